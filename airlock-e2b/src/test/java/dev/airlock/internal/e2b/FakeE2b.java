package dev.airlock.internal.e2b;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.airlock.internal.cloud.fake.BakedClasspath;
import dev.airlock.internal.cloud.fake.ChunkedBody;
import dev.airlock.internal.cloud.fake.LocalBridge;
import dev.airlock.internal.cloud.fake.PortForward;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.MultipartReader;
import okio.Buffer;

/**
 * E2B as the reference describes it (/work/shared/reference/e2b-protocol.md, checklist of section 8), on two
 * MockWebServers: the control plane and the sandbox proxy with envd behind it. A sandbox is a folder standing in
 * for its filesystem; the template's bridge and processes started through envd run as real local child processes,
 * and the proxy forwards the bridge's port to them.
 */
final class FakeE2b implements AutoCloseable {
  /** Made at run time, so no shipped class file holds it and a leak of the key into the sandbox can be seen. */
  static final String API_KEY = "e2b_" + java.util.HexFormat.of().formatHex(new SecureRandom().generateSeed(20));
  static final String TEMPLATE = "airlock-worker";
  static final String HOME = "/home/user/airlock";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Pattern PER_PORT_HOST = Pattern.compile("([0-9]+)-([a-z0-9]+)(-[^.]*)?\\..+");
  private static final Pattern FILENAME = Pattern.compile("filename=\"([^\"]*)\"");
  private static final Pattern NAME = Pattern.compile("[; ]name=\"([^\"]*)\"");

  final MockWebServer api = new MockWebServer();
  final MockWebServer proxy = new MockWebServer();
  final List<RecordedRequest> apiRequests = new CopyOnWriteArrayList<>();
  final List<RecordedRequest> sandboxRequests = new CopyOnWriteArrayList<>();
  final Map<String, Sandbox> sandboxes = new ConcurrentHashMap<>();
  private final List<Scripted> scripted = new CopyOnWriteArrayList<>();
  private final Path root;
  private final int bridgePort;
  /** Whether the template's start command left the bridge running in the snapshot. */
  volatile boolean templateRunsBridge = true;
  /** Whether the template was built with this JVM's classpath baked into the bridge's store. */
  volatile boolean templateHasClasspath;
  volatile Duration keepaliveEvery = Duration.ofMillis(150);
  /** How long the control plane takes to answer a create, after the sandbox exists: a slow control plane. */
  volatile Duration createAnswerDelay = Duration.ZERO;

  private record Scripted(MockWebServer server, Predicate<RecordedRequest> matches, MockResponse response) {
  }

  FakeE2b(Path root, int bridgePort) throws IOException {
    this.root = root;
    this.bridgePort = bridgePort;
    api.setDispatcher(new Dispatcher() {
      @Override
      public MockResponse dispatch(RecordedRequest request) {
        apiRequests.add(request);
        return scriptedFor(api, request).orElseGet(() -> controlPlane(request));
      }
    });
    proxy.setDispatcher(new Dispatcher() {
      @Override
      public MockResponse dispatch(RecordedRequest request) {
        sandboxRequests.add(request);
        return scriptedFor(proxy, request).orElseGet(() -> sandboxProxy(request));
      }
    });
    api.start();
    proxy.start();
  }

  /** The next request {@code matches} selects on {@code server} gets {@code response} instead of the fake's own. */
  void script(MockWebServer server, Predicate<RecordedRequest> matches, MockResponse response) {
    scripted.add(new Scripted(server, matches, response));
  }

  private java.util.Optional<MockResponse> scriptedFor(MockWebServer server, RecordedRequest request) {
    for (Scripted s : scripted) {
      if (s.server() == server && s.matches().test(request) && scripted.remove(s)) {
        return java.util.Optional.of(s.response());
      }
    }
    return java.util.Optional.empty();
  }

  static Predicate<RecordedRequest> request(String method, String path) {
    return r -> r.getMethod().equals(method) && r.getUrl().encodedPath().equals(path);
  }

  List<Sandbox> live() {
    return sandboxes.values().stream().filter(s -> !s.gone()).toList();
  }

  // ---- control plane -----------------------------------------------------------------------------------------

  private MockResponse controlPlane(RecordedRequest request) {
    if (!API_KEY.equals(request.getHeaders().get("X-API-Key"))) {
      return error(401, "Invalid API key, it must start with 'e2b_' and be followed by hex characters");
    }
    String path = request.getUrl().encodedPath();
    String[] parts = path.split("/");
    try {
      if (request.getMethod().equals("POST") && path.equals("/sandboxes")) {
        return create(JSON.readTree(request.getBody().toByteArray()));
      }
      if (request.getMethod().equals("GET") && path.equals("/v2/sandboxes")) {
        return list(request);
      }
      if (parts.length >= 3 && parts[1].equals("sandboxes")) {
        Sandbox sandbox = sandboxes.get(parts[2]);
        if (sandbox == null || sandbox.gone()) {
          return error(404, "Sandbox \"" + parts[2] + "\" doesn't exist or you don't have access to it");
        }
        if (request.getMethod().equals("DELETE") && parts.length == 3) {
          sandbox.kill();
          return new MockResponse.Builder().code(204).build();
        }
        if (request.getMethod().equals("PUT") && parts.length == 4 && parts[3].equals("network")) {
          return updateNetwork(sandbox, JSON.readTree(request.getBody().toByteArray()));
        }
        if (request.getMethod().equals("POST") && parts.length == 4 && parts[3].equals("timeout")) {
          JsonNode body = JSON.readTree(request.getBody().toByteArray());
          if (!body.path("timeout").canConvertToInt() || body.get("timeout").asInt() <= 0) {
            return error(400, "Timeout must be greater than 0");
          }
          sandbox.endAt = Instant.now().plusSeconds(body.get("timeout").asInt());
          return new MockResponse.Builder().code(204).build();
        }
      }
      return error(404, "no route for " + request.getMethod() + " " + path);
    } catch (IOException e) {
      return error(400, "bad request body: " + e.getMessage());
    }
  }

  private MockResponse create(JsonNode body) throws IOException {
    String template = body.path("templateID").asText("");
    if (template.isEmpty()) {
      return error(400, "Invalid template reference: ''");
    }
    int timeout = 15;
    if (body.has("timeout")) {
      if (!body.get("timeout").canConvertToInt() || body.get("timeout").asInt() <= 0) {
        return error(400, "Timeout must be greater than 0");
      }
      timeout = body.get("timeout").asInt();
      if (timeout > 3600) {
        return error(400, "Timeout cannot be greater than 1 hours");
      }
    }
    boolean secure = body.path("secure").asBoolean(false);
    boolean publicTraffic = body.path("network").path("allowPublicTraffic").asBoolean(true);
    if (!publicTraffic && !secure) {
      return error(400, "You cannot create a sandbox without public access unless you enable secure envd access "
          + "via 'secure' flag.");
    }
    String networkProblem = networkProblem(body.path("network"));
    if (networkProblem != null) {
      return error(400, networkProblem);
    }
    if (!template.equals(TEMPLATE)) {
      return error(404, "template '" + template + "' not found");
    }
    Map<String, String> metadata = new LinkedHashMap<>();
    body.path("metadata").fields().forEachRemaining(f -> metadata.put(f.getKey(), f.getValue().asText()));
    String id = "i" + randomId(20);
    Sandbox sandbox = new Sandbox(id, root.resolve(id), secure ? "tok" + randomId(24) : null,
        publicTraffic ? null : "trf" + randomId(24), metadata, Instant.now().plusSeconds(timeout));
    Files.createDirectories(sandbox.local(HOME));
    if (templateHasClasspath) {
      BakedClasspath.into(HOME, sandbox::local);
    }
    sandbox.network = egress(body.path("network"));
    sandboxes.put(id, sandbox);
    if (templateRunsBridge) {
      sandbox.startTemplateBridge(bridgePort);
    }
    ObjectNode answer = JSON.createObjectNode();
    answer.put("templateID", "rki5dems9wqfm4r03t7g");
    answer.put("sandboxID", id);
    answer.put("clientID", "6532622b");
    answer.put("envdVersion", "0.6.13");
    answer.put("alias", template);
    if (sandbox.envdToken != null) {
      answer.put("envdAccessToken", sandbox.envdToken);
    }
    if (sandbox.trafficToken != null) {
      answer.put("trafficAccessToken", sandbox.trafficToken);
    }
    try {
      Thread.sleep(createAnswerDelay.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return json(201, answer);
  }

  /**
   * {@code PUT /sandboxes/{id}/network}: replaces the running sandbox's egress rules, a field left out cleared; 204
   * with no body once applied, 400 {@code {"code","message"}} for a body E2B rejects (the unknown sandbox's 404 is
   * answered before).
   */
  private MockResponse updateNetwork(Sandbox sandbox, JsonNode body) {
    if (body == null || !body.isObject()) {
      return error(400, "Error when parsing request: the body must be a JSON object");
    }
    String problem = networkProblem(body);
    if (problem != null) {
      return error(400, problem);
    }
    sandbox.network = egress(body);
    return new MockResponse.Builder().code(204).build();
  }

  /** The egress fields of a create's {@code network} or an update's body, as the sandbox holds them. */
  private static ObjectNode egress(JsonNode network) {
    ObjectNode held = JSON.createObjectNode();
    for (String field : List.of("allowOut", "denyOut", "rules")) {
      if (network.has(field)) {
        held.set(field, network.get(field));
      }
    }
    return held;
  }

  private MockResponse list(RecordedRequest request) {
    Map<String, String> filter = new LinkedHashMap<>();
    String metadata = request.getUrl().queryParameter("metadata");
    if (metadata != null && !metadata.isEmpty()) {
      for (String pair : metadata.split("&")) {
        String[] kv = pair.split("=", 2);
        filter.put(URLDecoder.decode(kv[0], StandardCharsets.UTF_8),
            kv.length > 1 ? URLDecoder.decode(kv[1], StandardCharsets.UTF_8) : "");
      }
    }
    int limit = Integer.parseInt(java.util.Objects.requireNonNullElse(request.getUrl().queryParameter("limit"),
        "100"));
    int from = Integer.parseInt(java.util.Objects.requireNonNullElse(request.getUrl().queryParameter("nextToken"),
        "0"));
    List<Sandbox> matching = sandboxes.values().stream().filter(s -> !s.gone())
        .filter(s -> s.metadata.entrySet().containsAll(filter.entrySet()))
        .sorted(java.util.Comparator.comparing(s -> s.id)).toList();
    ArrayNode page = JSON.createArrayNode();
    for (Sandbox s : matching.subList(Math.min(from, matching.size()), Math.min(from + limit, matching.size()))) {
      ObjectNode listed = page.addObject();
      listed.put("templateID", "rki5dems9wqfm4r03t7g");
      listed.put("alias", TEMPLATE);
      listed.put("sandboxID", s.id);
      listed.put("clientID", "6532622b");
      listed.put("startedAt", s.startedAt.toString());
      listed.put("endAt", s.endAt.toString());
      listed.put("cpuCount", 2);
      listed.put("memoryMB", 1024);
      listed.put("diskSizeMB", 5120);
      listed.put("state", "running");
      listed.put("envdVersion", "0.6.13");
      s.metadata.forEach(listed.putObject("metadata")::put);
    }
    MockResponse.Builder answer = jsonBuilder(200, page);
    if (from + limit < matching.size()) {
      answer.setHeader("X-Next-Token", Integer.toString(from + limit));
    }
    answer.setHeader("X-Total-Running", matching.size());
    return answer.build();
  }

  // ---- sandbox proxy and envd ----------------------------------------------------------------------------------

  private MockResponse sandboxProxy(RecordedRequest request) {
    String host = request.getHeaders().get("Host");
    host = host == null ? "" : host.replaceFirst(":[0-9]+$", "");
    String id;
    String port;
    if (host.equals("localhost") || host.matches("[0-9.]+") || host.startsWith("sandbox.")) {
      id = request.getHeaders().get("E2b-Sandbox-Id");
      port = request.getHeaders().get("E2b-Sandbox-Port");
      if (id == null || port == null) {
        return plain(400, "Missing header: " + (id == null ? "E2b-Sandbox-Id" : "E2b-Sandbox-Port"));
      }
    } else {
      Matcher m = PER_PORT_HOST.matcher(host);
      if (!m.matches()) {
        return plain(400, "invalid host: " + host);
      }
      port = m.group(1);
      id = m.group(2);
    }
    Sandbox sandbox = sandboxes.get(id);
    if (sandbox == null || sandbox.gone()) {
      return proxyError(502, id, "The sandbox was not found", null);
    }
    int portNumber = Integer.parseInt(port);
    if (portNumber == E2bSandbox.ENVD_PORT) {
      return envd(sandbox, request);
    }
    if (sandbox.trafficToken != null) {
      String token = request.getHeaders().get("e2b-traffic-access-token");
      if (token == null || !token.equals(sandbox.trafficToken)) {
        return proxyError(403, id, "Sandbox is secured with traffic access token. Token header "
            + "'e2b-traffic-access-token' is " + (token == null ? "missing" : "invalid"), null);
      }
    }
    Integer local = sandbox.ports.get(portNumber);
    if (request.getUrl().encodedPath().endsWith("/frames")) {
      sandbox.networkAtFrames.add(sandbox.network.deepCopy());
    }
    try {
      MockResponse forwarded = local == null ? null
          : PortForward.forward(request, local, request.getUrl().encodedPath());
      return forwarded != null ? forwarded
          : proxyError(502, id, "The sandbox is running but port is not open", portNumber);
    } catch (IOException e) {
      return proxyError(502, id, "The sandbox is running but port is not open", portNumber);
    }
  }

  private MockResponse envd(Sandbox sandbox, RecordedRequest request) {
    String path = request.getUrl().encodedPath();
    boolean health = path.equals("/health") && request.getMethod().equals("GET");
    if (!health && sandbox.envdToken != null
        && !sandbox.envdToken.equals(request.getHeaders().get("X-Access-Token"))) {
      return error(401, "unauthorized access, please provide a valid access token or method signing if supported");
    }
    try {
      if (health) {
        return new MockResponse.Builder().code(204).build();
      }
      if (path.equals("/files") && request.getMethod().equals("POST")) {
        return upload(sandbox, request);
      }
      if (path.equals("/process.Process/Start") && request.getMethod().equals("POST")) {
        return start(sandbox, request);
      }
      if (path.equals("/process.Process/SendSignal") && request.getMethod().equals("POST")) {
        return signal(sandbox, request);
      }
      return connectError(404, "not_found", "no such procedure: " + path);
    } catch (IOException e) {
      return connectError(400, "invalid_argument", e.getMessage());
    }
  }

  private MockResponse upload(Sandbox sandbox, RecordedRequest request) throws IOException {
    String type = request.getHeaders().get("Content-Type");
    if (type == null || !type.startsWith("multipart/form-data")) {
      return error(400, "unsupported content type: " + type + ", expected multipart/form-data or "
          + "application/octet-stream");
    }
    String boundary = type.substring(type.indexOf("boundary=") + "boundary=".length()).replace("\"", "");
    ArrayNode written = JSON.createArrayNode();
    Set<String> seen = new HashSet<>();
    String queryPath = request.getUrl().queryParameter("path");
    try (MultipartReader reader = new MultipartReader(new Buffer().write(request.getBody()), boundary)) {
      while (true) {
        MultipartReader.Part next = reader.nextPart();
        if (next == null) {
          break;
        }
        try (MultipartReader.Part part = next) {
          String disposition = java.util.Objects.requireNonNullElse(part.headers().get("Content-Disposition"), "");
          Matcher name = NAME.matcher(disposition);
          if (!name.find() || !name.group(1).equals("file")) {
            continue;
          }
          Matcher filename = FILENAME.matcher(disposition);
          String target = queryPath != null ? queryPath : filename.find() ? filename.group(1) : "";
          if (!target.startsWith("/")) {
            target = "/home/user/" + target;
          }
          if (!seen.add(target)) {
            return error(400, "multiple files target the same path: " + target);
          }
          Path local = sandbox.local(target);
          if (Files.isDirectory(local)) {
            return error(400, "path is a directory: " + target);
          }
          Files.createDirectories(local.getParent());
          Files.write(local, part.body().readByteArray());
          ObjectNode entry = written.addObject();
          entry.put("path", target);
          entry.put("name", local.getFileName().toString());
          entry.put("type", "file");
        }
      }
    }
    // envd writes this JSON without a JSON content type.
    return new MockResponse.Builder().code(200).body(JSON.writeValueAsString(written)).build();
  }

  private MockResponse start(Sandbox sandbox, RecordedRequest request) throws IOException {
    String type = request.getHeaders().get("Content-Type");
    if (!"application/connect+json".equals(type) || !"1".equals(request.getHeaders().get("Connect-Protocol-Version"))) {
      return connectError(415, "unknown", "expected application/connect+json with Connect-Protocol-Version 1");
    }
    byte[] body = request.getBody().toByteArray();
    Buffer envelope = new Buffer().write(body);
    if (body.length < 5 || envelope.readByte() != 0 || envelope.readInt() != body.length - 5) {
      return connectError(400, "invalid_argument", "the request is not one uncompressed Connect envelope");
    }
    JsonNode start = JSON.readTree(envelope.readByteArray());
    JsonNode process = start.path("process");
    if (!process.path("cmd").isTextual()) {
      return endStreamOnly("invalid_argument", "process.cmd is required");
    }
    String cwd = process.path("cwd").asText("");
    if (!cwd.isEmpty() && !Files.isDirectory(sandbox.local(cwd))) {
      return endStreamOnly("invalid_argument", "cwd '" + cwd + "' does not exist");
    }
    List<String> command = new ArrayList<>();
    command.add(process.get("cmd").asText());
    process.path("args").forEach(a -> command.add(a.asText()));
    Map<String, String> envs = new LinkedHashMap<>();
    process.path("envs").fields().forEachRemaining(f -> envs.put(f.getKey(), f.getValue().asText()));
    Process started = sandbox.run(command, envs, start.path("tag").asText(""));
    String deadline = request.getHeaders().get("Connect-Timeout-Ms");
    if (deadline != null) {
      // As envd does: the deadline bounds the process itself, not only the call.
      long millis = Long.parseLong(deadline);
      Thread reaper = new Thread(() -> {
        try {
          if (!started.waitFor(millis, TimeUnit.MILLISECONDS)) {
            LocalBridge.killTree(started);
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }, "fake-envd-deadline");
      reaper.setDaemon(true);
      reaper.start();
    }
    long keepalive = Math.min(keepaliveEvery.toMillis(), 1000L
        * Long.parseLong(java.util.Objects.requireNonNullElse(request.getHeaders().get("Keepalive-Ping-Interval"),
        "90")));
    return new ChunkedBody(7, chunks -> streamProcess(started, keepalive, chunks))
        .into(new MockResponse.Builder().code(200).setHeader("Content-Type", "application/connect+json"))
        .build();
  }

  private void streamProcess(Process process, long keepaliveMillis, ChunkedBody.Chunks chunks) throws IOException {
    BlockingQueue<ObjectNode> events = new LinkedBlockingQueue<>();
    Thread out = pump(process.getInputStream(), "stdout", events);
    Thread err = pump(process.getErrorStream(), "stderr", events);
    chunks.write(message(0, event("start", JSON.createObjectNode().put("pid", process.pid()))));
    while (true) {
      ObjectNode data;
      try {
        data = events.poll(keepaliveMillis, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        return;
      }
      if (data != null) {
        chunks.write(message(0, event("data", data)));
      } else if (!process.isAlive() && !out.isAlive() && !err.isAlive() && events.isEmpty()) {
        break;
      } else {
        chunks.write(message(0, event("keepalive", JSON.createObjectNode())));
      }
    }
    int code = process.exitValue();
    ObjectNode end = JSON.createObjectNode();
    if (code > 128) {
      end.put("exitCode", -1).put("status", "signal: killed").put("error", "signal: killed");
    } else {
      if (code != 0) {
        end.put("exitCode", code);
        end.put("error", "exit status " + code);
      }
      end.put("exited", true).put("status", "exit status " + code);
    }
    chunks.write(message(0, event("end", end)));
    chunks.write(message(ConnectEnvelopes.END_STREAM, JSON.createObjectNode()));
  }

  /** {@code {"event":{"<kind>":<content>}}}, a ProcessEvent in proto3 JSON. */
  static ObjectNode event(String kind, ObjectNode content) {
    ObjectNode message = JSON.createObjectNode();
    message.putObject("event").set(kind, content);
    return message;
  }

  private static Thread pump(InputStream stream, String name, BlockingQueue<ObjectNode> events) {
    Thread pump = new Thread(() -> {
      byte[] buffer = new byte[32 * 1024];
      try (stream) {
        int n;
        while ((n = stream.read(buffer)) > 0) {
          ObjectNode data = JSON.createObjectNode();
          data.put(name, Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(buffer, n)));
          events.add(data);
        }
      } catch (IOException e) {
        // Process gone.
      }
    }, "fake-envd-" + name);
    pump.setDaemon(true);
    pump.start();
    return pump;
  }

  /** One Connect envelope around a JSON message. */
  static byte[] message(int flags, JsonNode node) throws IOException {
    byte[] json = JSON.writeValueAsBytes(node);
    return new Buffer().writeByte(flags).writeInt(json.length).write(json).readByteArray();
  }

  private MockResponse signal(Sandbox sandbox, RecordedRequest request) throws IOException {
    if (!"application/json".equals(request.getHeaders().get("Content-Type"))
        || !"1".equals(request.getHeaders().get("Connect-Protocol-Version"))) {
      return connectError(415, "unknown", "expected application/json with Connect-Protocol-Version 1");
    }
    JsonNode body = JSON.readTree(request.getBody().toByteArray());
    String signal = body.path("signal").asText("");
    if (!signal.equals("SIGNAL_SIGKILL") && !signal.equals("SIGNAL_SIGTERM")) {
      return connectError(501, "unimplemented", "invalid signal: " + signal);
    }
    long pid = body.path("process").path("pid").asLong(-1);
    Process process = sandbox.processes.get(pid);
    if (process == null || !process.isAlive()) {
      return connectError(404, "not_found", "process with pid " + pid + " not found");
    }
    LocalBridge.killTree(process);
    return jsonBuilder(200, JSON.createObjectNode()).setHeader("Content-Type", "application/json").build();
  }

  private MockResponse endStreamOnly(String code, String message) throws IOException {
    ObjectNode end = JSON.createObjectNode();
    end.putObject("error").put("code", code).put("message", message);
    return new MockResponse.Builder().code(200).setHeader("Content-Type", "application/connect+json")
        .body(new Buffer().write(message(ConnectEnvelopes.END_STREAM, end))).build();
  }

  // ---- answers ---------------------------------------------------------------------------------------------------

  static MockResponse error(int code, String message) {
    ObjectNode body = JSON.createObjectNode();
    body.put("code", code);
    body.put("message", message);
    return jsonBuilder(code, body).build();
  }

  static MockResponse rateLimited() {
    return error(429, "Rate limit exceeded").newBuilder().setHeader("Retry-After", "1")
        .setHeader("RateLimit-Limit", "20000").setHeader("RateLimit-Remaining", "0")
        .setHeader("RateLimit-Reset", "1").build();
  }

  static MockResponse concurrencyLimited() {
    return error(429, "you have reached the maximum number of concurrent E2B sandboxes (20). If you need more, "
        + "please visit 'https://e2b.dev/docs/billing'");
  }

  private static MockResponse connectError(int status, String code, String message) {
    ObjectNode body = JSON.createObjectNode();
    body.put("code", code);
    body.put("message", message);
    return new MockResponse.Builder().code(status).setHeader("Content-Type", "application/json")
        .body(body.toString()).build();
  }

  private static MockResponse proxyError(int status, String id, String message, Integer port) {
    ObjectNode body = JSON.createObjectNode();
    body.put("sandboxId", id);
    body.put("message", message);
    if (port != null) {
      body.put("port", port);
    }
    body.put("code", status);
    return jsonBuilder(status, body).build();
  }

  private static MockResponse plain(int status, String text) {
    return new MockResponse.Builder().code(status).setHeader("Content-Type", "text/plain; charset=utf-8")
        .body(text).build();
  }

  private static MockResponse json(int status, JsonNode body) {
    return jsonBuilder(status, body).build();
  }

  private static MockResponse.Builder jsonBuilder(int status, JsonNode body) {
    return new MockResponse.Builder().code(status).setHeader("Content-Type", "application/json; charset=utf-8")
        .body(body.toString());
  }

  private static String randomId(int length) {
    String alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < length; i++) {
      sb.append(alphabet.charAt(RANDOM.nextInt(alphabet.length())));
    }
    return sb.toString();
  }

  @Override
  public void close() throws IOException {
    sandboxes.values().forEach(Sandbox::kill);
    api.close();
    proxy.close();
  }

  /** One fake sandbox: a folder for its filesystem, its ports, its processes, its end of life. */
  final class Sandbox {
    final String id;
    final Path fs;
    final String envdToken;
    final String trafficToken;
    final Map<String, String> metadata;
    final Instant startedAt = Instant.now();
    volatile Instant endAt;
    volatile boolean killed;
    final Map<Integer, Integer> ports = new ConcurrentHashMap<>();
    final Map<Long, Process> processes = new ConcurrentHashMap<>();
    final Map<Long, String> tags = new ConcurrentHashMap<>();
    /** The egress rules E2B holds for it: create's, then each update's. */
    volatile ObjectNode network;
    /** The rules it held when each batch of frames (a call) reached its bridge. */
    final List<ObjectNode> networkAtFrames = new CopyOnWriteArrayList<>();

    Sandbox(String id, Path fs, String envdToken, String trafficToken, Map<String, String> metadata,
        Instant endAt) {
      this.id = id;
      this.fs = fs;
      this.envdToken = envdToken;
      this.trafficToken = trafficToken;
      this.metadata = metadata;
      this.endAt = endAt;
    }

    /** Killed, or past its timeout (then killed now, as E2B would have at that moment). */
    boolean gone() {
      if (!killed && Instant.now().isAfter(endAt)) {
        kill();
      }
      return killed;
    }

    Path local(String sandboxPath) {
      if (!sandboxPath.startsWith("/") || sandboxPath.contains("/../") || sandboxPath.endsWith("/..")) {
        throw new IllegalArgumentException("bad path: " + sandboxPath);
      }
      return fs.resolve(sandboxPath.substring(1));
    }

    /** What the template's start command left running in the snapshot: the bridge, on its port. */
    void startTemplateBridge(int port) throws IOException {
      int local = LocalBridge.freePort();
      Process process = new ProcessBuilder(LocalBridge.command(local, local(HOME))).redirectErrorStream(true)
          .redirectOutput(fs.resolve("template-bridge.log").toFile()).start();
      processes.put(process.pid(), process);
      ports.put(port, local);
    }

    /**
     * Runs a command as envd would, with sandbox paths mapped into the sandbox's folder and a {@code --port N}
     * argument given a free local port that the proxy then forwards N to.
     */
    Process run(List<String> command, Map<String, String> envs, String tag) throws IOException {
      List<String> local = new ArrayList<>();
      for (int i = 0; i < command.size(); i++) {
        String arg = command.get(i);
        if (i > 0 && command.get(i - 1).equals("--port")) {
          int free = LocalBridge.freePort();
          ports.put(Integer.parseInt(arg), free);
          arg = Integer.toString(free);
        } else if (arg.startsWith("/home/user")) {
          arg = local(arg).toString();
        }
        local.add(arg);
      }
      ProcessBuilder builder = new ProcessBuilder(local);
      builder.environment().putAll(envs);
      Process process = builder.start();
      processes.put(process.pid(), process);
      tags.put(process.pid(), tag);
      return process;
    }

    void kill() {
      killed = true;
      processes.values().forEach(LocalBridge::killTree);
    }
  }

  /**
   * E2B's egress fields as its docs state them: {@code allowOut} and {@code denyOut} are lists of strings, names only
   * in {@code allowOut} ({@code denyOut} takes IPs and CIDRs), a name in {@code allowOut} needs {@code 0.0.0.0/0}
   * in {@code denyOut}, and {@code rules} maps a domain to a list of {@code {"transform":{"headers":{...}}}}.
   */
  static String networkProblem(JsonNode network) {
    boolean names = false;
    for (JsonNode entry : network.path("allowOut")) {
      names |= entry.isTextual() && !entry.asText().matches("[0-9.:/a-fA-F]+");
    }
    boolean denyAll = false;
    for (JsonNode entry : network.path("denyOut")) {
      denyAll |= entry.asText().equals("0.0.0.0/0");
    }
    if (names && !denyAll) {
      return "When specifying allowed domains in allow out, you must include 'ALL_TRAFFIC' in deny out to block all "
          + "other traffic.";
    }
    for (String field : List.of("allowOut", "denyOut")) {
      JsonNode list = network.path(field);
      if (list.isMissingNode()) {
        continue;
      }
      if (!list.isArray()) {
        return "network." + field + " must be an array";
      }
      for (JsonNode entry : list) {
        if (!entry.isTextual()) {
          return "network." + field + " must hold strings";
        }
        if (field.equals("denyOut") && !entry.asText().matches("[0-9.:/a-fA-F]+")) {
          return "network.denyOut takes IPs and CIDRs only, not '" + entry.asText() + "'";
        }
      }
    }
    JsonNode rules = network.path("rules");
    if (!rules.isMissingNode()) {
      if (!rules.isObject()) {
        return "network.rules must be an object";
      }
      for (JsonNode domainRules : rules) {
        if (!domainRules.isArray()) {
          return "network.rules values must be arrays";
        }
        if (domainRules.size() > 1) {
          // e2b-dev/infra packages/api/internal/handlers/sandbox_create.go: maxNetworkRuleTransformsPerDomain = 1
          return "network.rules allows at most 1 transform per domain";
        }
        for (JsonNode rule : domainRules) {
          if (!rule.path("transform").path("headers").isObject()) {
            return "network.rules entries must be {\"transform\":{\"headers\":{...}}}";
          }
        }
      }
    }
    return null;
  }
}
