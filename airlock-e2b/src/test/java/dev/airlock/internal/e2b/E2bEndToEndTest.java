package dev.airlock.internal.e2b;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.airlock.AirlockRuntime;
import dev.airlock.SandboxCrashedException;
import dev.airlock.SandboxPool;
import dev.airlock.internal.cloud.BridgedBackend;
import dev.airlock.internal.cloud.fake.Eventually;
import dev.airlock.internal.wire.FrameType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Real invocations through the E2B code path: the fake runs the real bridge and real worker JVMs. Every worker has
 * a sandbox of its own.
 */
@Timeout(120)
class E2bEndToEndTest extends WithFakeE2b {
  private static final ObjectMapper JSON = new ObjectMapper();

  private SandboxPool pool(boolean reuse) {
    return pool(reuse, 0);
  }

  private SandboxPool pool(boolean reuse, int minSize) {
    return SandboxPool.builder(testing.config(fake)).reuse(reuse).minSize(minSize).maxSize(2)
        .backend("e2b", () -> testing.backend(fake)).build();
  }

  @Test
  void runsACallInAWorkerOfATemplateSandboxAndKillsTheSandboxOnClose() throws Exception {
    long hostPid = ProcessHandle.current().pid();
    try (SandboxPool pool = pool(true)) {
      int a = 20;
      String where = pool.call(() -> (a + 22) + " " + AirlockRuntime.isSandboxed() + " "
          + ProcessHandle.current().pid());
      assertThat(where).startsWith("42 true ").isNotEqualTo("42 true " + hostPid);
      assertThat(pool.stats().workersStarted()).isEqualTo(1);
    }
    assertThat(fake.live()).isEmpty();
    assertThat(fake.sandboxes.values()).allSatisfy(s -> assertThat(s.processes.values())
        .noneMatch(Process::isAlive));

    RecordedRequest create = only(fake.apiRequests, "POST", "/sandboxes");
    assertThat(create.getHeaders().get("X-API-Key")).isEqualTo(FakeE2b.API_KEY);
    JsonNode body = JSON.readTree(create.getBody().toByteArray());
    assertThat(body.get("templateID").asText()).isEqualTo("airlock-worker");
    assertThat(body.get("timeout").asInt()).isEqualTo(30 + 120);
    assertThat(body.get("allow_internet_access").asBoolean()).isFalse();
    assertThat(body.get("secure").asBoolean()).isTrue();
    assertThat(body.at("/network/allowPublicTraffic").asBoolean(true)).isFalse();
    assertThat(body.get("metadata").fieldNames()).toIterable()
        .containsExactlyInAnyOrder(BridgedBackend.OWNER_LABEL, BridgedBackend.HOST_LABEL, BridgedBackend.POOL_LABEL,
            BridgedBackend.BOOT_LABEL, BridgedBackend.PID_NAMESPACE_LABEL, BridgedBackend.STARTED_LABEL);
    assertThat(body.at("/metadata/" + BridgedBackend.OWNER_LABEL).asText()).endsWith("/" + hostPid);
    String id = fake.sandboxes.keySet().iterator().next();
    assertThat(only(fake.apiRequests, "DELETE", "/sandboxes/" + id).getHeaders().get("X-API-Key"))
        .isEqualTo(FakeE2b.API_KEY);

    FakeE2b.Sandbox sandbox = fake.sandboxes.get(id);
    List<RecordedRequest> uploads = all(fake.sandboxRequests, "POST", "/files");
    assertThat(uploads).isNotEmpty().allSatisfy(upload -> {
      assertThat(upload.getHeaders().get("E2b-Sandbox-Id")).isEqualTo(id);
      assertThat(upload.getHeaders().get("E2b-Sandbox-Port")).isEqualTo("49983");
      assertThat(upload.getHeaders().get("X-Access-Token")).isEqualTo(sandbox.envdToken);
      assertThat(upload.getHeaders().get("Content-Type")).startsWith("multipart/form-data; boundary=");
    });
    assertThat(uploads.get(0).getBody().utf8())
        .contains("Content-Disposition: form-data; name=\"file\"; filename=\"/home/user/airlock/token\"");
    List<RecordedRequest> bridgeCalls = fake.sandboxRequests.stream()
        .filter(r -> "49990".equals(r.getHeaders().get("E2b-Sandbox-Port"))).toList();
    assertThat(bridgeCalls).isNotEmpty().allSatisfy(call -> {
      assertThat(call.getHeaders().get("e2b-traffic-access-token")).isEqualTo(sandbox.trafficToken);
      assertThat(call.getHeaders().get("X-Access-Token")).isNull();
    });
    assertThat(bridgeCalls).anySatisfy(call -> assertThat(call.getUrl().encodedPath()).endsWith("/frames"));
    assertThat(fake.sandboxRequests).allSatisfy(r -> {
      String sent = r.getBody() == null ? "" : r.getBody().string(java.nio.charset.StandardCharsets.ISO_8859_1);
      assertThat(r.getHeaders().toString().contains(FakeE2b.API_KEY) || sent.contains(FakeE2b.API_KEY))
          .as("the API key went to the sandbox in %s %s", r.getMethod(), r.getUrl()).isFalse();
    });
    assertThat(fake.sandboxRequests).filteredOn(r -> "49983".equals(r.getHeaders().get("E2b-Sandbox-Port")))
        .isNotEmpty().allSatisfy(r -> assertThat(r.getHeaders().get("Authorization"))
            .as("envd runs as the default user; none is asked for").isNull());
  }

  @Test
  void aUserExceptionKeepsItsTypeAndARunawayCallTimesOutThroughTheSandbox() {
    try (SandboxPool pool = pool(false)) {
      assertThatThrownBy(() -> pool.call(() -> {
        throw new IllegalStateException("from the sandbox");
      })).isInstanceOf(IllegalStateException.class).hasMessage("from the sandbox");
      long start = System.nanoTime();
      assertThatThrownBy(() -> pool.call(() -> {
        while (true) {
          Thread.onSpinWait();
        }
      }, java.time.Duration.ofSeconds(2))).isInstanceOf(dev.airlock.SandboxTimeoutException.class);
      assertThat(java.time.Duration.ofNanos(System.nanoTime() - start)).isLessThan(java.time.Duration.ofSeconds(8));
      assertThat(pool.call(() -> "still serving")).isEqualTo("still serving");
    }
    assertThat(fake.live()).isEmpty();
  }

  @Test
  void withoutReuseEveryCallGetsAFreshLabelledSandboxThatIsKilledAfterIt() throws Exception {
    List<String> ids = new ArrayList<>();
    try (SandboxPool pool = pool(false)) {
      for (int i = 0; i < 3; i++) {
        // The worker's folder lies in its sandbox's filesystem, so it names the sandbox the call ran in.
        String folder = pool.call(() -> {
          Path left = Path.of("..", "left-by-an-earlier-call");
          boolean sawEarlierCall = Files.exists(left);
          Files.writeString(left, "arguments of this call");
          return sawEarlierCall + " " + Path.of("").toAbsolutePath();
        });
        assertThat(folder).as("nothing an earlier call left behind is there").startsWith("false ");
        String id = fake.sandboxes.keySet().stream().filter(folder::contains).findFirst().orElseThrow();
        assertThat(ids).doesNotContain(id);
        ids.add(id);
        Eventually.await("sandbox " + id + " killed after its call", Duration.ofSeconds(20),
            () -> !all(fake.apiRequests, "DELETE", "/sandboxes/" + id).isEmpty());
        assertThat(fake.sandboxes.get(id).killed).isTrue();
      }
      assertThat(pool.stats().workersStarted()).isEqualTo(3);
    }
    assertThat(fake.live()).isEmpty();
    List<RecordedRequest> creates = all(fake.apiRequests, "POST", "/sandboxes");
    assertThat(creates).hasSize(3);
    List<JsonNode> labels = new ArrayList<>();
    for (RecordedRequest create : creates) {
      labels.add(JSON.readTree(create.getBody().toByteArray()).get("metadata"));
    }
    assertThat(labels).allSatisfy(metadata -> {
      assertThat(metadata.fieldNames()).toIterable().containsExactlyInAnyOrder(BridgedBackend.OWNER_LABEL,
          BridgedBackend.HOST_LABEL, BridgedBackend.POOL_LABEL, BridgedBackend.BOOT_LABEL,
          BridgedBackend.PID_NAMESPACE_LABEL, BridgedBackend.STARTED_LABEL);
      assertThat(metadata.get(BridgedBackend.OWNER_LABEL).asText()).endsWith("/" + ProcessHandle.current().pid());
    }).extracting(metadata -> metadata.get(BridgedBackend.POOL_LABEL).asText()).as("one pool").containsOnly(
        labels.get(0).get(BridgedBackend.POOL_LABEL).asText());
    assertThat(ids).allSatisfy(id -> assertThat(all(fake.apiRequests, "DELETE", "/sandboxes/" + id)).hasSize(1));
  }

  /**
   * A cloud worker cannot be proven idle from the host (its bridge runs as the guest's user, in the guest's VM), so
   * {@code reuse=true} gives every call a sandbox of its own, as {@code reuse=false} does (issue 14 item 5).
   */
  @Test
  void withReuseEveryCallStillGetsASandboxOfItsOwn() throws Exception {
    try (SandboxPool pool = pool(true)) {
      for (int i = 0; i < 3; i++) {
        int n = i;
        assertThat(pool.call(() -> n * 2)).isEqualTo(i * 2);
      }
      assertThat(pool.stats().workersStarted()).isEqualTo(3);
    }
    assertThat(all(fake.apiRequests, "POST", "/sandboxes")).hasSize(3);
    assertThat(fake.live()).isEmpty();
  }

  @Test
  void aTemplateWithTheClasspathBakedInGetsNothingUploadedButTheToken() {
    fake.templateHasClasspath = true;
    try (SandboxPool pool = pool(false)) {
      assertThat(pool.call(() -> "on baked jars")).isEqualTo("on baked jars");
    }
    assertThat(all(fake.sandboxRequests, "POST", "/files")).singleElement()
        .satisfies(upload -> assertThat(upload.getBody().utf8()).contains("/home/user/airlock/token")
            .doesNotContain("/cas/"));
    assertThat(bridge("POST", "/classpath")).as("asked what is missing, and nothing was").hasSize(2);
  }

  @Test
  void minSizeWarmsThatManySandboxesBeforeTheFirstCall() throws Exception {
    try (SandboxPool pool = pool(true, 2)) {
      Eventually.await("two warm sandboxes with a worker each", Duration.ofSeconds(60),
          () -> pool.stats().idle() == 2);
      assertThat(fake.live()).hasSize(2);
      assertThat(bridge("POST", "/workers")).hasSize(2);
      // Each waiting worker gets its warm-up now, alone, not in front of its first call.
      List<RecordedRequest> warmUps = bridge("POST", "/workers/w1/frames");
      assertThat(warmUps).as("frames posted before any call").hasSize(2);
      for (RecordedRequest warmUp : warmUps) {
        byte[] frames = warmUp.getBody().toByteArray();
        assertThat(frames[4]).as("the type of the first frame posted").isEqualTo(FrameType.WARM_UP.code());
        assertThat(frames).as("one WARM_UP frame and nothing else").hasSize(5 + Long.BYTES);
      }
      assertThat(pool.call(() -> "warm")).isEqualTo("warm");
      assertThat(all(fake.apiRequests, "POST", "/sandboxes")).as("the call took a warm one").hasSize(2);
    }
    assertThat(fake.live()).isEmpty();
  }

  @Test
  void aFailureWhilePreparingKillsTheNewSandboxAndNamesTheCause() {
    fake.script(fake.proxy, FakeE2b.request("POST", "/files"), FakeE2b.error(507, "not enough disk space"));
    try (SandboxPool pool = pool(false)) {
      // One sandbox's failure, not the service's: the call fails and is never run on the host.
      assertThatThrownBy(() -> pool.call(() -> 1)).isInstanceOf(SandboxCrashedException.class)
          .hasMessageContaining("no disk space left");
      only(fake.apiRequests, "POST", "/sandboxes");
      String id = fake.sandboxes.keySet().iterator().next();
      assertThat(only(fake.apiRequests, "DELETE", "/sandboxes/" + id)).isNotNull();
      assertThat(fake.live()).as("killed before the pool closed").isEmpty();
      assertThat(pool.call(() -> "next call, new sandbox")).isEqualTo("next call, new sandbox");
    }
    assertThat(all(fake.apiRequests, "POST", "/sandboxes")).hasSize(2);
  }

  @Test
  void aSandboxKilledDuringACallIsACrashAndTheNextCallGetsANewSandbox() throws Exception {
    try (SandboxPool pool = pool(true)) {
      FakeE2b.Sandbox[] first = new FakeE2b.Sandbox[1];
      Thread killer = new Thread(() -> {
        try {
          while (pool.stats().active() == 0) {
            Thread.sleep(50);
          }
          Thread.sleep(700);
        } catch (InterruptedException e) {
          return;
        }
        first[0] = fake.live().get(0);
        first[0].kill();
      });
      killer.start();
      assertThatThrownBy(() -> pool.call(() -> {
        Thread.sleep(20_000);
        return 2;
      })).isInstanceOf(SandboxCrashedException.class).hasMessageContaining("gone");
      killer.join();
      assertThat(pool.call(() -> 3)).isEqualTo(3);
      assertThat(all(fake.apiRequests, "POST", "/sandboxes")).hasSize(2);
      assertThat(first[0].processes.values()).noneMatch(Process::isAlive);
    }
  }

  private List<RecordedRequest> bridge(String method, String path) {
    return all(fake.sandboxRequests, method, path).stream()
        .filter(r -> Integer.toString(E2bTesting.BRIDGE_PORT).equals(r.getHeaders().get("E2b-Sandbox-Port")))
        .toList();
  }

  static RecordedRequest only(List<RecordedRequest> requests, String method, String path) {
    List<RecordedRequest> matching = all(requests, method, path);
    assertThat(matching).as(method + " " + path).hasSize(1);
    return matching.get(0);
  }

  static List<RecordedRequest> all(List<RecordedRequest> requests, String method, String path) {
    return requests.stream().filter(r -> r.getMethod().equals(method) && r.getUrl().encodedPath().equals(path))
        .toList();
  }
}
