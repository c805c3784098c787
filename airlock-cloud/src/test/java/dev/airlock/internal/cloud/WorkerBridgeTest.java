package dev.airlock.internal.cloud;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.internal.cloud.fake.BakedClasspath;
import dev.airlock.internal.cloud.fake.LocalBridge;
import dev.airlock.internal.wire.Frame;
import dev.airlock.internal.wire.FrameReader;
import dev.airlock.internal.wire.FrameType;
import dev.airlock.internal.wire.Messages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The bridge as a real child process: its token, its classpath check, its workers. */
@Timeout(60)
class WorkerBridgeTest {
  private static final MediaType JSON = MediaType.get("application/json");
  private final OkHttpClient client = new OkHttpClient.Builder().readTimeout(Duration.ofSeconds(30)).build();
  private Path home;
  private LocalBridge bridge;

  @BeforeEach
  void start(@TempDir Path dir) throws Exception {
    home = Files.createDirectories(dir.resolve("airlock"));
    bridge = LocalBridge.start(home);
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (System.nanoTime() < deadline) {
      try (Response response = call("GET", "/health", null, null)) {
        if (response.code() == 200) {
          return;
        }
      } catch (java.io.IOException notYet) {
        Thread.sleep(50);
      }
    }
    throw new AssertionError("the bridge did not listen");
  }

  @AfterEach
  void stop() {
    bridge.close();
  }

  private Response call(String method, String path, String token, String json) throws Exception {
    Request.Builder request = new Request.Builder().url("http://127.0.0.1:" + bridge.port() + path)
        .method(method, json == null ? null : RequestBody.create(json, JSON));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return client.newCall(request.build()).execute();
  }

  @Test
  void refusesEverythingButHealthUntilTheHostWroteItsTokenThenDeletesTheTokenFile() throws Exception {
    try (Response health = call("GET", "/health", null, null)) {
      assertThat(health.body().string()).contains("\"claimed\":false");
    }
    try (Response unclaimed = call("POST", "/classpath", "anything", "{\"entries\":[]}")) {
      assertThat(unclaimed.code()).isEqualTo(401);
    }
    Files.writeString(home.resolve("token"), "s3cret\n");
    try (Response wrong = call("POST", "/classpath", "guess", "{\"entries\":[]}")) {
      assertThat(wrong.code()).isEqualTo(401);
    }
    assertThat(home.resolve("token")).as("read once, then removed so worker code cannot read it").doesNotExist();
    try (Response right = call("POST", "/classpath", "s3cret", "{\"entries\":[]}")) {
      assertThat(right.code()).isEqualTo(200);
      assertThat(right.body().string()).isEqualTo("{\"missing\":[]}");
    }
  }

  @Test
  void reportsEntriesThatAreMissingOrDoNotMatchTheirHash(@TempDir Path host) throws Exception {
    Files.writeString(home.resolve("token"), "t");
    // A real jar: a classpath file that is no zip is shipped blank (ClasspathSecrets), so it would hash as zeros.
    Path jar = host.resolve("lib.jar");
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
      out.putNextEntry(new JarEntry("lib/Marker.txt"));
      out.write(new byte[] {1, 2, 3});
    }
    byte[] bytes = Files.readAllBytes(jar);
    ClasspathEntry entry = ClasspathEntry.of(jar);
    String query = "{\"entries\":[{\"hash\":\"" + entry.hash() + "\",\"name\":\"lib.jar\",\"directory\":false}]}";
    try (Response missing = call("POST", "/classpath", "t", query)) {
      assertThat(missing.body().string()).contains(entry.hash());
    }
    Path copy = Path.of(entry.remotePath(home.toString()));
    Files.createDirectories(copy.getParent());
    Files.write(copy, Arrays.copyOf(bytes, bytes.length - 1));
    try (Response truncated = call("POST", "/classpath", "t", query)) {
      assertThat(truncated.body().string()).as("a cut upload is not taken").contains(entry.hash());
    }
    Files.write(copy, bytes);
    try (Response present = call("POST", "/classpath", "t", query)) {
      assertThat(present.body().string()).isEqualTo("{\"missing\":[]}");
    }
  }

  @Test
  void refusesEntryNamesThatWouldLeaveTheStore() throws Exception {
    Files.writeString(home.resolve("token"), "t");
    String hash = "a".repeat(64);
    try (Response response = call("POST", "/classpath", "t",
        "{\"entries\":[{\"hash\":\"" + hash + "\",\"name\":\"../../etc\",\"directory\":true}]}")) {
      assertThat(response.code()).isEqualTo(400);
    }
  }

  @Test
  void startsExactlyTheOneWorkerAskedForThatSaysHelloAndForgetsItOnDelete() throws Exception {
    Files.writeString(home.resolve("token"), "t");
    List<ClasspathEntry> entries = BakedClasspath.into(home.toString(), Path::of);
    String start = BridgeProtocol.JSON.writeValueAsString(new BridgeProtocol.StartWorker(entries, 64, 20_000));
    String worker;
    long pid;
    try (Response started = call("POST", "/workers", "t", start)) {
      assertThat(started.code()).isEqualTo(201);
      worker = started.header(BridgeProtocol.WORKER_HEADER);
      Frame hello = new FrameReader(started.body().byteStream(), 4096).read();
      assertThat(hello.type()).isEqualTo(FrameType.HELLO);
      pid = Messages.hello(hello.body()).pid();
      assertThat(ProcessHandle.of(pid)).isPresent();
    }
    Thread.sleep(1500);
    assertThat(bridge.children()).as("no spare JVM beside the worker: its sandbox serves one worker")
        .extracting(ProcessHandle::pid).containsExactly(pid);
    try (Response state = call("GET", "/workers/" + worker, "t", null)) {
      assertThat(state.body().string()).contains("\"alive\":true");
    }
    try (Response deleted = call("DELETE", "/workers/" + worker, "t", null)) {
      assertThat(deleted.code()).isEqualTo(204);
    }
    try (Response gone = call("GET", "/workers/" + worker, "t", null)) {
      assertThat(gone.code()).isEqualTo(404);
    }
    ProcessHandle.of(pid).ifPresent(p -> p.onExit().join());
    assertThat(ProcessHandle.of(pid)).as("the worker JVM is killed").isEmpty();
  }
}
