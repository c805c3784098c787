package dev.airlock.internal.mcp.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An upstream MCP server at a URL, over streamable HTTP: each message is a POST, answered with JSON, with an event
 * stream, or with 202. Every body is read through the same bounds as a stdio line (one JSON message, one SSE event at
 * most {@code maxLineBytes}), and an event stream is cut at the call timeout, so a server that never stops sending
 * holds one bounded buffer and one thread for that long.
 */
final class HttpUpstream implements Upstream {
  private static final Logger LOG = LoggerFactory.getLogger(HttpUpstream.class);
  private static final String SESSION = "Mcp-Session-Id";

  private final URI url;
  private final JsonRpc json;
  private final Duration timeout;
  private final HttpClient http;
  private final ThreadPoolExecutor readers;
  private final AtomicBoolean ended = new AtomicBoolean();
  private volatile String sessionId;
  private Consumer<ObjectNode> onMessage;
  private Consumer<String> onEnd;

  HttpUpstream(URI url, JsonRpc json, Duration timeout, int maxInFlight) {
    this.url = url;
    this.json = json;
    this.timeout = timeout;
    this.readers = new ThreadPoolExecutor(1, Math.max(2, maxInFlight), 30, TimeUnit.SECONDS,
        new ArrayBlockingQueue<>(maxInFlight), r -> {
          Thread t = new Thread(r, "airlock-mcp-upstream-http");
          t.setDaemon(true);
          return t;
        });
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
        .followRedirects(HttpClient.Redirect.NEVER).build();
  }

  @Override
  public void start(Consumer<ObjectNode> onMessage, Consumer<String> onEnd) {
    this.onMessage = onMessage;
    this.onEnd = onEnd;
  }

  @Override
  public void send(ObjectNode message) throws IOException {
    if (ended.get()) {
      throw new IOException("the upstream MCP connection is closed");
    }
    HttpRequest.Builder request = HttpRequest.newBuilder(url).timeout(timeout)
        .header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
        .POST(HttpRequest.BodyPublishers.ofString(json.write(message)));
    String session = sessionId;
    if (session != null) {
      request.header(SESSION, session);
    }
    JsonNode id = message.get("id");
    http.sendAsync(request.build(), HttpResponse.BodyHandlers.ofInputStream()).whenComplete((response, failure) -> {
      if (failure != null) {
        failed(id, "the upstream at " + url + " did not answer: " + failure.getMessage());
        return;
      }
      try {
        readers.execute(() -> read(response, id));
      } catch (RuntimeException e) {
        close(response.body());
        failed(id, "too many upstream answers are being read");
      }
    });
  }

  private void read(HttpResponse<InputStream> response, JsonNode id) {
    // A server that holds the body open without sending is cut at the timeout too: closing the body ends the read.
    CompletableFuture.runAsync(() -> close(response.body()),
        CompletableFuture.delayedExecutor(timeout.toMillis(), TimeUnit.MILLISECONDS));
    response.headers().firstValue(SESSION).ifPresent(s -> sessionId = s);
    String type = response.headers().firstValue("Content-Type").orElse("");
    try (InputStream body = new BufferedInputStream(response.body())) {
      if (response.statusCode() == 202) {
        return;
      }
      if (response.statusCode() / 100 != 2) {
        failed(id, "the upstream answered HTTP " + response.statusCode());
        return;
      }
      if (type.startsWith("text/event-stream")) {
        readEvents(body);
      } else {
        deliver(JsonRpc.readAll(body, json.maxLineBytes()));
      }
    } catch (IOException e) {
      failed(id, "the upstream's answer broke off: " + e.getMessage());
    }
  }

  /** Server-sent events: {@code data:} lines up to a blank line make one message; the stream is cut at the timeout. */
  private void readEvents(InputStream body) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    StringBuilder data = new StringBuilder();
    String line;
    while ((line = JsonRpc.readLine(body, json.maxLineBytes())) != null) {
      if (System.nanoTime() > deadline) {
        throw new IOException("the event stream stayed open past " + timeout.toSeconds() + " s");
      }
      if (line.isEmpty()) {
        deliver(data.toString());
        data.setLength(0);
      } else if (line.startsWith("data:")) {
        if (data.length() + line.length() > json.maxLineBytes()) {
          throw new JsonRpc.OversizedLineException(json.maxLineBytes());
        }
        data.append(data.length() == 0 ? "" : "\n").append(line.substring(line.startsWith("data: ") ? 6 : 5));
      }
    }
    deliver(data.toString());
  }

  private void deliver(String text) {
    if (text == null || text.isBlank()) {
      return;
    }
    try {
      onMessage.accept(json.parse(text));
    } catch (JsonRpc.MalformedMessageException e) {
      LOG.warn("Dropped a malformed message from the upstream MCP server: {}", e.getMessage());
    }
  }

  /** A request whose answer cannot come: answered with an error in its name, so the caller does not wait. */
  private void failed(JsonNode id, String why) {
    LOG.warn("{}", GatewaySession.shown(why)); // may quote the upstream (a bad status line)
    if (id != null && !ended.get()) {
      onMessage.accept(JsonRpc.error(id, JsonRpc.UPSTREAM_ERROR, why));
    }
  }

  private static void close(InputStream in) {
    try {
      in.close();
    } catch (IOException e) {
      // nothing left to read
    }
  }

  @Override
  public void close() {
    if (ended.compareAndSet(false, true)) {
      String session = sessionId;
      if (session != null) {
        http.sendAsync(HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(5)).header(SESSION, session).DELETE()
            .build(), HttpResponse.BodyHandlers.discarding());
      }
      readers.shutdownNow();
      onEnd.accept("the gateway closed the session");
    }
  }
}
