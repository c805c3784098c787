package dev.airlock.internal.morph;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.airlock.internal.cloud.fake.LocalBridge;
import dev.airlock.internal.cloud.fake.PortForward;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.file.virtualfs.VirtualFileSystemFactory;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.keyprovider.SimpleGeneratorHostKeyProvider;
import org.apache.sshd.server.session.ServerSession;
import org.apache.sshd.sftp.server.FileHandle;
import org.apache.sshd.sftp.server.SftpEventListener;
import org.apache.sshd.sftp.server.SftpSubsystemFactory;

/**
 * Morph Cloud as its SDK uses it: the instance API on a MockWebServer, the SSH gateway as Apache MINA's embedded
 * SFTP server (user {@code <instance id>:<api key>}, any key), and exposed HTTP services on a second MockWebServer
 * that forwards to the real bridge running as a local child process. An instance is a folder.
 */
final class FakeMorph implements AutoCloseable {
  static final String API_KEY = "morph_test_key_0123456789";
  static final String SNAPSHOT = "snapshot_airlock01";
  static final String HOME = "/root/airlock";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Pattern PORT_ARG = Pattern.compile("(--port'? '?)([0-9]+)");

  final MockWebServer api = new MockWebServer();
  final MockWebServer services = new MockWebServer();
  final SshServer ssh = SshServer.setUpDefaultServer();
  final List<RecordedRequest> apiRequests = new CopyOnWriteArrayList<>();
  final List<RecordedRequest> serviceRequests = new CopyOnWriteArrayList<>();
  final List<String> sshUsers = new CopyOnWriteArrayList<>();
  final Map<String, Instance> instances = new ConcurrentHashMap<>();
  private final VirtualFileSystemFactory files = new VirtualFileSystemFactory();
  private final Path root;
  private final int bridgePort;
  volatile boolean snapshotRunsBridge = true;
  /** The status a new instance reports on its first read before turning ready (or staying in error). */
  volatile String statusAfterStart = "ready";
  /**
   * What the instance's SFTP server (root in the VM answers the SFTP subsystem the gateway hands it) does with a
   * write: takes it as SFTP says, holds it unacknowledged until the fake closes, or drops the SSH session.
   */
  enum SftpWrites { TAKEN, HANG, DROP_SESSION }

  volatile SftpWrites sftpWrites = SftpWrites.TAKEN;
  private final java.util.concurrent.CountDownLatch closing = new java.util.concurrent.CountDownLatch(1);
  private final List<Scripted> scripted = new CopyOnWriteArrayList<>();

  private record Scripted(java.util.function.Predicate<RecordedRequest> matches, MockResponse response) {
  }

  FakeMorph(Path root, int bridgePort) throws IOException {
    this.root = root;
    this.bridgePort = bridgePort;
    api.setDispatcher(new Dispatcher() {
      @Override
      public MockResponse dispatch(RecordedRequest request) {
        apiRequests.add(request);
        for (Scripted s : scripted) {
          if (s.matches().test(request) && scripted.remove(s)) {
            return s.response();
          }
        }
        return instanceApi(request);
      }
    });
    services.setDispatcher(new Dispatcher() {
      @Override
      public MockResponse dispatch(RecordedRequest request) {
        serviceRequests.add(request);
        return service(request);
      }
    });
    api.start();
    services.start();
    ssh.setHost("127.0.0.1");
    ssh.setPort(0);
    ssh.setKeyPairProvider(new SimpleGeneratorHostKeyProvider());
    ssh.setPublickeyAuthenticator((user, key, session) -> {
      Instance instance = instances.get(user.split(":", 2)[0]);
      boolean accepted = instance != null && !instance.stopped && user.equals(instance.id + ":" + API_KEY);
      if (accepted) {
        sshUsers.add(user);
      }
      return accepted;
    });
    ssh.setFileSystemFactory(files);
    SftpSubsystemFactory sftp = new SftpSubsystemFactory.Builder().build();
    sftp.addSftpEventListener(new SftpEventListener() {
      @Override
      public void writing(ServerSession session, String remoteHandle, FileHandle localHandle, long offset,
          byte[] data, int dataOffset, int dataLen) {
        if (sftpWrites == SftpWrites.HANG) {
          try {
            closing.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        } else if (sftpWrites == SftpWrites.DROP_SESSION) {
          session.close(true);
        }
      }
    });
    ssh.setSubsystemFactories(List.of(sftp));
    ssh.start();
  }

  /** The next API request {@code matches} selects gets {@code response} instead of the fake's own. */
  void script(java.util.function.Predicate<RecordedRequest> matches, MockResponse response) {
    scripted.add(new Scripted(matches, response));
  }

  String hostKeyFingerprint() throws Exception {
    PublicKey key = ssh.getKeyPairProvider().loadKeys(null).iterator().next().getPublic();
    return KeyUtils.getFingerPrint(key);
  }

  List<Instance> running() {
    return instances.values().stream().filter(i -> !i.stopped).toList();
  }

  // ---- instance API --------------------------------------------------------------------------------------------

  private MockResponse instanceApi(RecordedRequest request) {
    if (!("Bearer " + API_KEY).equals(request.getHeaders().get("Authorization"))) {
      return error(401, "Invalid or missing API key", "unauthorized");
    }
    String[] parts = request.getUrl().encodedPath().split("/");
    String method = request.getMethod();
    try {
      if (parts.length == 2 && parts[1].equals("instance")) {
        return method.equals("POST") ? start(request) : list(request);
      }
      Instance instance = parts.length >= 3 ? instances.get(parts[2]) : null;
      if (instance == null || instance.stopped) {
        return error(404, "Instance not found", "instance_not_found");
      }
      if (parts.length == 3 && method.equals("GET")) {
        instance.read();
        return json(200, instance.json());
      }
      if (parts.length == 3 && method.equals("DELETE")) {
        instance.stop();
        return json(200, JSON.createObjectNode());
      }
      JsonNode body = JSON.readTree(request.getBody().toByteArray());
      if (parts.length == 4 && parts[3].equals("http") && method.equals("POST")) {
        String name = body.path("name").asText();
        instance.services.put(name, body.path("port").asInt());
        return json(200, instance.json());
      }
      if (parts.length == 4 && parts[3].equals("ttl") && method.equals("POST")) {
        instance.endAt = Instant.now().plusSeconds(body.path("ttl_seconds").asLong());
        return json(200, instance.json());
      }
      if (parts.length == 4 && parts[3].equals("exec") && method.equals("POST")) {
        return json(200, instance.exec(body.path("command")));
      }
      return error(404, "Not Found", null);
    } catch (IOException | InterruptedException e) {
      return error(400, e.getMessage(), null);
    }
  }

  private MockResponse start(RecordedRequest request) throws IOException {
    String snapshot = request.getUrl().queryParameter("snapshot_id");
    if (!SNAPSHOT.equals(snapshot)) {
      return error(404, "Snapshot not found", "snapshot_not_found");
    }
    JsonNode body = JSON.readTree(request.getBody().toByteArray());
    Map<String, String> metadata = new LinkedHashMap<>();
    body.path("metadata").fields().forEachRemaining(f -> metadata.put(f.getKey(), f.getValue().asText()));
    String id = "morphvm_" + Long.toString(RANDOM.nextLong() & Long.MAX_VALUE, 36);
    Instance instance = new Instance(id, root.resolve(id), metadata,
        Instant.now().plusSeconds(body.path("ttl_seconds").asLong(3600)));
    Files.createDirectories(instance.fs.resolve("root"));
    files.setUserHomeDir(id + ":" + API_KEY, instance.fs);
    instances.put(id, instance);
    return json(200, instance.json());
  }

  private MockResponse list(RecordedRequest request) {
    Map<String, String> filter = new LinkedHashMap<>();
    for (String name : request.getUrl().queryParameterNames()) {
      Matcher m = Pattern.compile("metadata\\[(.+)]").matcher(name);
      if (m.matches()) {
        filter.put(m.group(1), request.getUrl().queryParameter(name));
      }
    }
    ObjectNode answer = JSON.createObjectNode();
    ArrayNode data = answer.putArray("data");
    running().stream().filter(i -> i.metadata.entrySet().containsAll(filter.entrySet()))
        .forEach(i -> data.add(i.json()));
    return json(200, answer);
  }

  private MockResponse service(RecordedRequest request) {
    String[] parts = request.getUrl().encodedPath().split("/", 4);
    Instance instance = parts.length >= 3 ? instances.get(parts[1]) : null;
    if (instance == null || instance.stopped || !instance.services.containsKey(parts[2])) {
      return new MockResponse.Builder().code(404).body("service not found").build();
    }
    Integer local = instance.ports.get(instance.services.get(parts[2]));
    try {
      MockResponse forwarded = local == null ? null
          : PortForward.forward(request, local, "/" + (parts.length > 3 ? parts[3] : ""));
      return forwarded != null ? forwarded : new MockResponse.Builder().code(502).body("Bad Gateway").build();
    } catch (IOException e) {
      return new MockResponse.Builder().code(502).body("Bad Gateway").build();
    }
  }

  static MockResponse error(int code, String detail, String errorCode) {
    ObjectNode body = JSON.createObjectNode().put("detail", detail);
    if (errorCode != null) {
      body.put("error_code", errorCode);
    }
    return json(code, body);
  }

  private static MockResponse json(int code, JsonNode body) {
    return new MockResponse.Builder().code(code).setHeader("Content-Type", "application/json")
        .body(body.toString()).build();
  }

  @Override
  public void close() throws IOException {
    closing.countDown();
    instances.values().forEach(Instance::stop);
    ssh.stop(true);
    api.close();
    services.close();
  }

  /** One instance: a folder for its disk, its services and ports, the processes started in it. */
  final class Instance {
    final String id;
    final Path fs;
    final Map<String, String> metadata;
    final long created = Instant.now().getEpochSecond();
    final Map<String, Integer> services = new ConcurrentHashMap<>();
    final Map<Integer, Integer> ports = new ConcurrentHashMap<>();
    final List<Process> processes = new CopyOnWriteArrayList<>();
    final List<JsonNode> execs = new CopyOnWriteArrayList<>();
    volatile Instant endAt;
    volatile String status = "pending";
    volatile boolean stopped;

    Instance(String id, Path fs, Map<String, String> metadata, Instant endAt) {
      this.id = id;
      this.fs = fs;
      this.metadata = metadata;
      this.endAt = endAt;
    }

    /** The first read after start still says pending, as an instance restoring its snapshot does. */
    void read() throws IOException {
      if (status.equals("pending")) {
        status = statusAfterStart;
        if (status.equals("ready") && snapshotRunsBridge) {
          int local = LocalBridge.freePort();
          processes.add(new ProcessBuilder(LocalBridge.command(local, local(HOME))).redirectErrorStream(true)
              .redirectOutput(fs.resolve("snapshot-bridge.log").toFile()).start());
          ports.put(bridgePort, local);
        }
      } else if (!stopped && Instant.now().isAfter(endAt)) {
        stop();
      }
    }

    Path local(String path) {
      return fs.resolve(path.substring(1));
    }

    ObjectNode json() {
      ObjectNode node = JSON.createObjectNode();
      node.put("id", id);
      node.put("object", "instance");
      node.put("created", created);
      node.put("status", status);
      node.putObject("spec").put("vcpus", 1).put("memory", 1024).put("disk_size", 8192);
      node.putObject("refs").put("snapshot_id", SNAPSHOT).put("image_id", "morphvm-minimal");
      ObjectNode networking = node.putObject("networking");
      networking.put("internal_ip", "10.0.0.2");
      ArrayNode list = networking.putArray("http_services");
      services.forEach((name, port) -> list.addObject().put("name", name).put("port", port)
          .put("url", services().url("/" + id + "/" + name + "/").toString()));
      node.putObject("ttl").put("ttl_seconds", endAt.getEpochSecond() - created).put("ttl_action", "stop");
      metadata.forEach(node.putObject("metadata")::put);
      return node;
    }

    private MockWebServer services() {
      return FakeMorph.this.services;
    }

    /** Runs a command to its end, sandbox paths mapped into the folder and {@code --port N} to a local port. */
    ObjectNode exec(JsonNode command) throws IOException, InterruptedException {
      execs.add(command);
      List<String> argv = new ArrayList<>();
      for (JsonNode arg : command) {
        String mapped = arg.asText().replace(HOME, local(HOME).toString());
        Matcher port = PORT_ARG.matcher(mapped);
        StringBuilder out = new StringBuilder();
        while (port.find()) {
          int free = LocalBridge.freePort();
          ports.put(Integer.parseInt(port.group(2)), free);
          port.appendReplacement(out, Matcher.quoteReplacement(port.group(1) + free));
        }
        port.appendTail(out);
        argv.add(out.toString());
      }
      Process process = new ProcessBuilder(argv).start();
      byte[] stdout = process.getInputStream().readAllBytes();
      byte[] stderr = process.getErrorStream().readAllBytes();
      process.waitFor(30, TimeUnit.SECONDS);
      return JSON.createObjectNode().put("exit_code", process.exitValue())
          .put("stdout", new String(stdout, StandardCharsets.UTF_8))
          .put("stderr", new String(stderr, StandardCharsets.UTF_8));
    }

    /** Stops the VM: everything started in its folder dies with it. */
    void stop() {
      stopped = true;
      processes.forEach(LocalBridge::killTree);
      String folder = fs.toString();
      ProcessHandle.allProcesses()
          .filter(p -> p.info().commandLine().map(c -> c.contains(folder)).orElse(false))
          .forEach(p -> {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
          });
    }
  }
}
