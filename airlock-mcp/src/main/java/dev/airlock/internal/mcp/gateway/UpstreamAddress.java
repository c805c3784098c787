package dev.airlock.internal.mcp.gateway;

import java.net.URI;
import java.util.List;

/** Where the upstream MCP server is: a command to start (stdio) or a URL (streamable HTTP). Exactly one is set. */
public record UpstreamAddress(List<String> command, URI url) {

  public UpstreamAddress {
    if ((command == null || command.isEmpty()) == (url == null)) {
      throw new IllegalStateException("the gateway needs exactly one upstream: a command (upstream=...) or a URL"
          + " (upstream-url=https://...)");
    }
    if (url != null && !List.of("http", "https").contains(String.valueOf(url.getScheme()))) {
      throw new IllegalArgumentException("the upstream URL must be http or https, was " + url);
    }
    command = command == null ? null : List.copyOf(command);
  }

  /** Names the upstream in audit records: the program's file name, or the URL's host. */
  String label() {
    return url != null ? url.getHost() : command.get(0).replaceAll(".*/", "");
  }

  Upstream connect(GatewaySettings settings) {
    JsonRpc json = new JsonRpc(settings.maxMessageBytes());
    return url != null ? new HttpUpstream(url, json, settings.callTimeout(), settings.maxInFlight())
        : new StdioUpstream(command, json);
  }
}
