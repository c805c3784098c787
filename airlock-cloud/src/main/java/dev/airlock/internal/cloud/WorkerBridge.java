package dev.airlock.internal.cloud;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.airlock.internal.backend.WorkerChannels;
import dev.airlock.internal.cloud.BridgeProtocol.ClasspathQuery;
import dev.airlock.internal.cloud.BridgeProtocol.Missing;
import dev.airlock.internal.cloud.BridgeProtocol.Problem;
import dev.airlock.internal.cloud.BridgeProtocol.StartWorker;
import dev.airlock.internal.cloud.BridgeProtocol.WorkerState;
import dev.airlock.internal.wire.ChannelStreams;
import dev.airlock.internal.wire.Frame;
import dev.airlock.internal.wire.FrameReader;
import dev.airlock.internal.wire.FrameType;
import dev.airlock.internal.wire.FrameWriter;
import dev.airlock.internal.worker.WorkerCommand;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs inside a cloud sandbox and starts worker JVMs on the classpath the host shipped, relaying each call's frames
 * over HTTP (see {@link BridgeProtocol}). A sandbox template starts it as its start command, so its JVM is already
 * warm in the snapshot a sandbox starts from. The host gives each worker a sandbox of its own and so asks each bridge
 * for one worker; the bridge itself does not rely on that.
 *
 * <pre>java -cp 'airlock/lib/*' dev.airlock.internal.cloud.WorkerBridge --port 49999 --home /home/user/airlock</pre>
 */
public final class WorkerBridge {
  private static final int MAX_WORKERS = 64;

  private final Path home;
  private final String java;
  private final Map<String, SandboxWorkerProcess> workers = new ConcurrentHashMap<>();
  private final Set<String> verified = ConcurrentHashMap.newKeySet();
  private final AtomicInteger ids = new AtomicInteger();
  private volatile byte[] token;

  WorkerBridge(Path home, String java) {
    this.home = home;
    this.java = java;
  }

  public static void main(String[] args) throws IOException {
    int port = 49999;
    Path home = Path.of(System.getProperty("user.home"), "airlock");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    for (int i = 0; i < args.length - 1; i += 2) {
      switch (args[i]) {
        case "--port" -> port = Integer.parseInt(args[i + 1]);
        case "--home" -> home = Path.of(args[i + 1]);
        case "--java" -> java = args[i + 1];
        default -> throw new IllegalArgumentException("usage: WorkerBridge [--port N] [--home DIR] [--java PATH]");
      }
    }
    new WorkerBridge(home, java).serve(port);
  }

  void serve(int port) throws IOException {
    Files.createDirectories(home.resolve("run"));
    HttpServer server = HttpServer.create(new InetSocketAddress(port), 64);
    server.setExecutor(Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "airlock-bridge");
      t.setDaemon(true);
      return t;
    }));
    server.createContext("/", this::handle);
    server.start();
    Runtime.getRuntime().addShutdownHook(new Thread(this::killAll));
  }

  private void handle(HttpExchange exchange) throws IOException {
    try {
      String path = exchange.getRequestURI().getPath();
      String method = exchange.getRequestMethod();
      if (path.equals("/health") && method.equals("GET")) {
        json(exchange, 200, Map.of("status", "ok", "claimed", token != null || tokenFile().toFile().exists()));
        return;
      }
      if (!authorized(exchange)) {
        json(exchange, 401, new Problem("missing or wrong bridge token"));
        return;
      }
      String[] parts = path.split("/");
      if (path.equals("/classpath") && method.equals("POST")) {
        ClasspathQuery query = readJson(exchange, ClasspathQuery.class);
        json(exchange, 200, new Missing(missing(query.entries())));
      } else if (path.equals("/workers") && method.equals("POST")) {
        startWorker(exchange, readJson(exchange, StartWorker.class));
      } else if (parts.length == 4 && parts[1].equals("workers") && parts[3].equals("frames")
          && method.equals("POST")) {
        relay(exchange, workers.get(parts[2]));
      } else if (parts.length == 3 && parts[1].equals("workers")) {
        SandboxWorkerProcess worker = workers.get(parts[2]);
        if (worker == null) {
          json(exchange, 404, new Problem("no worker " + parts[2]));
        } else if (method.equals("GET")) {
          json(exchange, 200, new WorkerState(worker.isAlive(), worker.describeExit(),
              worker.resourceLimitHit().orElse(null)));
        } else if (method.equals("DELETE")) {
          workers.remove(parts[2]);
          worker.kill();
          exchange.sendResponseHeaders(204, -1);
        } else {
          json(exchange, 405, new Problem(method + " not allowed on " + path));
        }
      } else {
        json(exchange, 404, new Problem("no such endpoint: " + method + " " + path));
      }
    } catch (com.fasterxml.jackson.core.JsonProcessingException | IllegalArgumentException e) {
      json(exchange, 400, new Problem("bad request: " + e.getMessage()));
    } catch (RuntimeException e) {
      json(exchange, 500, new Problem(e.toString()));
    } finally {
      // Not try-with-resources: that would close the exchange before the catch blocks could answer on it.
      exchange.close();
    }
  }

  /**
   * The host writes the token as a file through the sandbox's file API; the bridge reads it once and deletes it, so
   * code running in a worker cannot read it back.
   */
  private boolean authorized(HttpExchange exchange) throws IOException {
    if (token == null) {
      Path file = tokenFile();
      if (!Files.isRegularFile(file)) {
        return false;
      }
      token = Files.readString(file, StandardCharsets.UTF_8).trim().getBytes(StandardCharsets.UTF_8);
      Files.deleteIfExists(file);
    }
    String header = exchange.getRequestHeaders().getFirst("Authorization");
    byte[] presented = header == null || !header.startsWith("Bearer ") ? new byte[0]
        : header.substring("Bearer ".length()).getBytes(StandardCharsets.UTF_8);
    return MessageDigest.isEqual(token, presented);
  }

  private Path tokenFile() {
    return home.resolve(BridgeProtocol.TOKEN_FILE);
  }

  private List<String> missing(List<ClasspathEntry> entries) {
    List<String> missing = new ArrayList<>();
    for (ClasspathEntry entry : entries) {
      if (!verified.contains(entry.hash())) {
        if (entry.presentAt(Path.of(entry.remotePath(home.toString())))) {
          verified.add(entry.hash());
        } else {
          missing.add(entry.hash());
        }
      }
    }
    return missing;
  }

  private void startWorker(HttpExchange exchange, StartWorker request) throws IOException {
    List<String> missing = missing(request.entries());
    if (!missing.isEmpty()) {
      json(exchange, 409, new Problem("classpath entries not uploaded: " + missing));
      return;
    }
    if (workers.size() >= MAX_WORKERS) {
      json(exchange, 503, new Problem("the bridge already runs " + MAX_WORKERS + " workers"));
      return;
    }
    SandboxWorkerProcess worker;
    try {
      worker = launch(request);
    } catch (IOException | RuntimeException e) {
      json(exchange, 503, new Problem("could not start a worker: " + e.getMessage()));
      return;
    }
    workers.put(worker.id(), worker);
    exchange.getResponseHeaders().set(BridgeProtocol.WORKER_HEADER, worker.id());
    exchange.getResponseHeaders().set("Content-Type", BridgeProtocol.FRAMES);
    byte[] hello = worker.hello();
    exchange.sendResponseHeaders(201, hello.length);
    exchange.getResponseBody().write(hello);
  }

  private SandboxWorkerProcess launch(StartWorker request) throws IOException {
    String id = "w" + ids.incrementAndGet();
    Path socket = home.resolve("run").resolve(id + ".sock");
    String classpath = String.join(":", request.entries().stream().map(e -> e.remotePath(home.toString())).toList());
    List<String> command = new ArrayList<>(WorkerCommand.javaArguments(java, classpath, request.memoryMb()));
    command.addAll(List.of("--connect", socket.toString()));
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(socket));
      ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
      builder.environment().clear();
      builder.directory(home.resolve("run").toFile());
      SandboxWorkerProcess worker = new SandboxWorkerProcess(id, builder.start());
      try {
        SocketChannel channel = WorkerChannels.accept(server, worker,
            Duration.ofMillis(Math.max(1000, request.startTimeoutMillis())), Duration.ofMillis(100),
            worker::consoleTail);
        InputStream in = ChannelStreams.input(channel);
        Frame hello = new FrameReader(in, 4096).read();
        if (hello.type() != FrameType.HELLO) {
          throw new IOException("worker opened with " + hello.type());
        }
        ByteArrayOutputStream helloBytes = new ByteArrayOutputStream();
        new FrameWriter(helloBytes).write(FrameType.HELLO, hello.body());
        worker.connected(channel, in, ChannelStreams.output(channel), helloBytes.toByteArray());
        return worker;
      } catch (IOException | RuntimeException e) {
        worker.kill();
        throw e;
      }
    } finally {
      Files.deleteIfExists(socket);
    }
  }

  /**
   * Passes the host's frames to the worker and streams the worker's frames back until the call or the warm-up they
   * hold is answered. When the worker dies mid-call the response ends early; the host sees a call without its answer
   * and asks why.
   */
  private void relay(HttpExchange exchange, SandboxWorkerProcess worker) throws IOException {
    if (worker == null) {
      json(exchange, 404, new Problem("no such worker"));
      return;
    }
    if (!worker.relay.tryLock()) {
      json(exchange, 409, new Problem("worker " + worker.id() + " is already relaying a call"));
      return;
    }
    try {
      FrameBoundaries request = new FrameBoundaries();
      byte[] buffer = new byte[64 * 1024];
      try (InputStream body = exchange.getRequestBody()) {
        int n;
        while ((n = body.read(buffer)) > 0) {
          request.advance(buffer, 0, n);
          worker.output().write(buffer, 0, n);
        }
        worker.output().flush();
      } catch (IOException e) {
        json(exchange, 410, new Problem("worker " + worker.id() + " is gone: " + worker.describeExit()));
        return;
      }
      if (!request.saw(FrameType.INVOKE) && !request.saw(FrameType.WARM_UP)) {
        exchange.sendResponseHeaders(204, -1);
        return;
      }
      exchange.getResponseHeaders().set("Content-Type", BridgeProtocol.FRAMES);
      exchange.sendResponseHeaders(200, 0);
      OutputStream out = exchange.getResponseBody();
      FrameBoundaries answer = new FrameBoundaries();
      InputStream in = worker.input();
      while (!answer.answered()) {
        int n;
        try {
          n = in.read(buffer);
        } catch (IOException e) {
          n = -1;
        }
        if (n < 0) {
          worker.awaitExit(Duration.ofSeconds(2));
          return;
        }
        answer.advance(buffer, 0, n);
        out.write(buffer, 0, n);
        out.flush();
      }
    } finally {
      worker.relay.unlock();
    }
  }

  private <T> T readJson(HttpExchange exchange, Class<T> type) throws IOException {
    try (InputStream body = exchange.getRequestBody()) {
      byte[] bytes = body.readNBytes(BridgeProtocol.MAX_JSON_BYTES + 1);
      if (bytes.length > BridgeProtocol.MAX_JSON_BYTES) {
        throw new IllegalArgumentException("request body over " + BridgeProtocol.MAX_JSON_BYTES + " bytes");
      }
      return BridgeProtocol.JSON.readValue(bytes, type);
    }
  }

  private static void json(HttpExchange exchange, int status, Object body) throws IOException {
    byte[] bytes = BridgeProtocol.JSON.writeValueAsBytes(body);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    exchange.getResponseBody().write(bytes);
  }

  private void killAll() {
    workers.values().forEach(SandboxWorkerProcess::kill);
  }
}
