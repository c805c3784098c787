package dev.airlock.internal.mcp.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway on MCP's streamable HTTP transport, towards its client: {@code POST /mcp} carries one message and is
 * answered with JSON (no event stream; a {@code GET} stream is not offered, so server notifications are not
 * relayed over HTTP). One session per gateway, named by the {@code Mcp-Session-Id} handed out at
 * {@code initialize}; requests without it are refused. A request {@code Origin} other than the gateway's own (a
 * loopback host on the gateway's port) is refused, and on a loopback listener a {@code Host} other than a loopback
 * name (DNS rebinding: a web page must not reach a local gateway through the browser).
 *
 * <p>The JDK's server reads a request's head, and the handler its body, on a thread of the bounded pool, with no time
 * limit of its own (its {@code sun.net.httpserver.maxReqTime} is JVM-wide, not ours to set). So each exchange has
 * {@link #CLIENT_TIMEOUT} to send its whole request and again to take its answer: past it the thread is interrupted,
 * which closes the connection's channel. The upstream's part, from the request read to its answer, is not the
 * client's time and is bounded by the call timeout instead.
 */
public final class HttpGateway implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(HttpGateway.class);
  private static final String SESSION = "Mcp-Session-Id";
  private static final Set<String> LOOPBACK = Set.of("localhost", "127.0.0.1", "[::1]", "::1");
  /** How long a client has to send a whole request, and to take its answer. */
  static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(10);

  private final GatewaySettings settings;
  private final GatewaySession session;
  private final JsonRpc json;
  private final HttpServer server;
  private final ExecutorService executor;
  private final ScheduledExecutorService timer;
  private final Duration clientTimeout;
  private final ThreadLocal<ClientClock> clock = new ThreadLocal<>();
  private final Map<String, CompletableFuture<ObjectNode>> waiting = new ConcurrentHashMap<>();
  private volatile String sessionId;

  public HttpGateway(GatewaySettings settings, UpstreamAddress upstream, InetSocketAddress address)
      throws IOException {
    this(settings, upstream, address, CLIENT_TIMEOUT);
  }

  HttpGateway(GatewaySettings settings, UpstreamAddress upstream, InetSocketAddress address, Duration clientTimeout)
      throws IOException {
    this.settings = settings;
    this.clientTimeout = clientTimeout;
    this.json = new JsonRpc(settings.maxMessageBytes());
    this.session = new GatewaySession(settings, upstream.connect(settings), upstream.label(), this::toClient);
    this.server = HttpServer.create(address, 16);
    this.executor = Executors.newFixedThreadPool(settings.maxInFlight() + 2, r -> {
      Thread t = new Thread(r, "airlock-mcp-http");
      t.setDaemon(true);
      return t;
    });
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "airlock-mcp-http-clock");
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(exchange -> executor.execute(() -> timed(exchange)));
    server.createContext("/mcp", this::handle);
  }

  public GatewaySession session() {
    return session;
  }

  /** Starts the upstream and the listener. */
  public URI start() throws IOException {
    session.start();
    server.start();
    URI endpoint = URI.create("http://" + server.getAddress().getHostString() + ":" + server.getAddress().getPort()
        + "/mcp");
    LOG.info("MCP gateway listening on {}", endpoint);
    return endpoint;
  }

  /** Serves until the upstream ends or {@link #close}. */
  public void run() throws IOException, InterruptedException {
    try {
      start();
      LOG.info("MCP gateway session ended: {}", session.awaitEnd());
    } finally {
      close();
    }
  }

  private void toClient(ObjectNode message) {
    JsonNode id = message.get("id");
    if (message.has("method") || id == null) {
      LOG.debug("Not relayed over HTTP (no event stream): {}", message.path("method").asText("a response"));
      return;
    }
    CompletableFuture<ObjectNode> answer = waiting.remove(id.toString());
    if (answer != null) {
      answer.complete(message);
    }
  }

  /** Runs one exchange of the JDK's server (it reads the request's head, then calls {@link #handle}) on the clock. */
  private void timed(Runnable exchange) {
    ClientClock running = new ClientClock(Thread.currentThread());
    clock.set(running);
    running.start();
    try {
      exchange.run();
    } finally {
      running.stop();
      clock.remove();
      // An interrupt that closed this exchange's connection must not reach the pool's next task.
      Thread.interrupted();
    }
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String origin = exchange.getRequestHeaders().getFirst("Origin");
      if (origin != null && !ownOrigin(origin)) {
        respond(exchange, 403, JsonRpc.error(null, JsonRpc.INVALID_REQUEST, "origin " + origin + " is not allowed"),
            false);
        return;
      }
      // DNS rebinding without an Origin: on a loopback listener, a request must name a loopback host.
      String host = String.valueOf(exchange.getRequestHeaders().getFirst("Host")).replaceFirst(":\\d+$", "");
      if (server.getAddress().getAddress().isLoopbackAddress() && !LOOPBACK.contains(host)) {
        respond(exchange, 421, JsonRpc.error(null, JsonRpc.INVALID_REQUEST, "host " + host + " is not this gateway"),
            false);
        return;
      }
      switch (exchange.getRequestMethod()) {
        case "POST" -> post(exchange);
        case "DELETE" -> {
          if (sessionMatches(exchange)) {
            session.close();
          }
          exchange.sendResponseHeaders(sessionMatches(exchange) ? 200 : 404, -1);
        }
        default -> {
          exchange.getResponseHeaders().add("Allow", "POST, DELETE");
          exchange.sendResponseHeaders(405, -1);
        }
      }
    } catch (RuntimeException | IOException e) {
      LOG.debug("MCP HTTP exchange failed: {}", e.toString());
    }
  }

  /**
   * Whether a web page's origin is this gateway's own. A page of another port of this machine is another origin: its
   * {@code initialize}, a simple POST a browser sends without asking first, took the gateway's one session.
   */
  private boolean ownOrigin(String origin) {
    try {
      URI uri = new URI(origin);
      return LOOPBACK.contains(String.valueOf(uri.getHost())) && uri.getPort() == server.getAddress().getPort();
    } catch (URISyntaxException e) {
      return false;
    }
  }

  private void post(HttpExchange exchange) throws IOException {
    ObjectNode message;
    try (InputStream body = exchange.getRequestBody()) {
      message = json.parse(JsonRpc.readAll(body, settings.maxMessageBytes()));
      // The request is in: what follows until the answer is written (the upstream's part) is not the client's time.
      clock.get().stop();
    } catch (JsonRpc.MalformedMessageException | JsonRpc.OversizedLineException e) {
      respond(exchange, e instanceof JsonRpc.OversizedLineException ? 413 : 400,
          JsonRpc.error(null, JsonRpc.PARSE_ERROR, e.getMessage()), sessionMatches(exchange));
      return;
    }
    boolean initialize = "initialize".equals(message.path("method").asText());
    if (!(initialize && openSession()) && !sessionMatches(exchange)) {
      // Without the session's id in the answer: it is what keeps every other client of the port out.
      respond(exchange, exchange.getRequestHeaders().getFirst(SESSION) == null ? 400 : 404,
          JsonRpc.error(message.get("id"), JsonRpc.INVALID_REQUEST, "unknown or missing " + SESSION), false);
      return;
    }
    JsonNode id = message.get("id");
    if (id == null || !message.has("method")) {
      session.onClientMessage(message);
      exchange.getResponseHeaders().add(SESSION, sessionId);
      clock.get().start();
      exchange.sendResponseHeaders(202, -1);
      return;
    }
    CompletableFuture<ObjectNode> answer = new CompletableFuture<>();
    if (waiting.putIfAbsent(id.toString(), answer) != null) {
      respond(exchange, 400, JsonRpc.error(id, JsonRpc.INVALID_REQUEST, "a request with id " + id + " is waiting"),
          true);
      return;
    }
    session.onClientMessage(message);
    try {
      respond(exchange, 200, answer.get(settings.callTimeout().toSeconds() + 10, TimeUnit.SECONDS), true);
    } catch (TimeoutException | InterruptedException | java.util.concurrent.ExecutionException e) {
      waiting.remove(id.toString());
      respond(exchange, 504, JsonRpc.error(id, JsonRpc.UPSTREAM_ERROR, "no answer in time"), true);
    }
  }

  /** Makes the one session, for the first {@code initialize}: true for that request only. */
  private synchronized boolean openSession() {
    if (sessionId != null) {
      return false;
    }
    byte[] random = new byte[16];
    new SecureRandom().nextBytes(random);
    sessionId = HexFormat.of().formatHex(random);
    return true;
  }

  private boolean sessionMatches(HttpExchange exchange) {
    String given = exchange.getRequestHeaders().getFirst(SESSION);
    return sessionId != null && sessionId.equals(given);
  }

  /**
   * {@code ofSession}: the request is the session's (it named its id, or opened it). Only such an answer names the id:
   * a refusal that did handed the session to whoever was refused.
   */
  private void respond(HttpExchange exchange, int status, ObjectNode body, boolean ofSession) throws IOException {
    byte[] bytes = json.write(body).getBytes(StandardCharsets.UTF_8);
    clock.get().start();
    exchange.getResponseHeaders().add("Content-Type", "application/json");
    if (ofSession && sessionId != null) {
      exchange.getResponseHeaders().add(SESSION, sessionId);
    }
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    session.close();
    server.stop(0);
    executor.shutdownNow();
    timer.shutdownNow();
  }

  /**
   * The client's time on one exchange's thread: when it runs out, the thread is interrupted, and the blocked read or
   * write on the connection's channel fails and closes the channel. Started and stopped by that thread only.
   */
  private final class ClientClock {
    private final Thread thread;
    private ScheduledFuture<?> alarm;

    ClientClock(Thread thread) {
      this.thread = thread;
    }

    /** Starts the clock unless it runs: a request that is refused before it was read is still on its first time. */
    synchronized void start() {
      if (alarm == null) {
        alarm = timer.schedule(this::ring, clientTimeout.toMillis(), TimeUnit.MILLISECONDS);
      }
    }

    synchronized void stop() {
      if (alarm != null) {
        alarm.cancel(false);
        alarm = null;
      }
    }

    /** Synchronized with {@link #stop}: once stopped, the thread is never interrupted for this exchange. */
    private synchronized void ring() {
      if (alarm != null) {
        alarm = null;
        LOG.debug("An MCP HTTP client took longer than {} to send its request or take its answer; closing it",
            clientTimeout);
        thread.interrupt();
      }
    }
  }
}
