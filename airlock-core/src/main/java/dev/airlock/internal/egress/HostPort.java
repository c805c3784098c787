package dev.airlock.internal.egress;

import java.net.InetAddress;

/**
 * A destination as the guest asked for it: a normalized host name or an IP literal, and a port. Anything else in
 * the authority (user info, a zone id, an empty or out-of-range port, non-ASCII) is refused before any lookup.
 */
record HostPort(String name, InetAddress literal, int port) {

  /** Parses {@code host:port}, {@code [v6]:port}, or without port when {@code defaultPort} is positive. */
  static HostPort parse(String authority, int defaultPort) throws Refusal {
    String host = authority;
    String portText = null;
    if (authority.startsWith("[")) {
      int close = authority.indexOf(']');
      if (close < 0) {
        throw malformed(authority);
      }
      host = authority.substring(1, close);
      String rest = authority.substring(close + 1);
      if (!rest.isEmpty()) {
        if (!rest.startsWith(":")) {
          throw malformed(authority);
        }
        portText = rest.substring(1);
      }
      if (host.indexOf(':') < 0) {
        throw malformed(authority);
      }
    } else {
      int colon = authority.lastIndexOf(':');
      if (colon >= 0) {
        host = authority.substring(0, colon);
        portText = authority.substring(colon + 1);
        if (host.indexOf(':') >= 0) {
          throw malformed(authority); // IPv6 literals are written in brackets
        }
      }
    }
    int port = defaultPort;
    if (portText != null) {
      if (portText.isEmpty() || portText.length() > 5 || !portText.chars().allMatch(c -> c >= '0' && c <= '9')) {
        throw malformed(authority);
      }
      port = Integer.parseInt(portText);
    }
    if (port < 1 || port > 65535) {
      throw malformed(authority);
    }
    InetAddress literal = Addresses.literal(host);
    if (literal != null) {
      return new HostPort(null, literal, port);
    }
    String name = EgressRule.normalizeName(host);
    if (name == null) {
      throw malformed(authority);
    }
    return new HostPort(name, null, port);
  }

  private static Refusal malformed(String authority) {
    return new Refusal(400, authority, "not a host:port the proxy accepts (ASCII host name or IP literal, port"
        + " 1-65535)", null);
  }

  /** The name, or the literal in URL form (IPv6 in brackets). */
  String host() {
    return name != null ? name : Addresses.authority(literal);
  }

  @Override
  public String toString() {
    return host() + ":" + port;
  }
}
