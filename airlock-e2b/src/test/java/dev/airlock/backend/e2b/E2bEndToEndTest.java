package dev.airlock.backend.e2b;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.airlock.AirlockRuntime;
import dev.airlock.SandboxCrashedException;
import dev.airlock.SandboxPool;
import dev.airlock.backend.cloud.BridgedBackend;
import java.util.List;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Real invocations through the E2B code path: the fake runs the real bridge and real worker JVMs. */
@Timeout(120)
class E2bEndToEndTest extends WithFakeE2b {
  private static final ObjectMapper JSON = new ObjectMapper();

  private SandboxPool pool(boolean reuse) {
    return SandboxPool.builder(testing.config(fake)).reuse(reuse).minSize(0).maxSize(2)
        .backend("e2b", () -> testing.backend(fake)).build();
  }

  @Test
  void runsACallInAWorkerOfATemplateSandboxAndKillsTheSandboxOnClose() throws Exception {
    long hostPid = ProcessHandle.current().pid();
    try (SandboxPool pool = pool(false)) {
      int a = 20;
      assertThat(pool.call(() -> a + 22)).isEqualTo(42);
      String where = pool.call(() -> AirlockRuntime.isSandboxed() + " " + ProcessHandle.current().pid());
      assertThat(where).startsWith("true ").isNotEqualTo("true " + hostPid);
      assertThat(fake.live()).hasSize(1);
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
        .containsExactlyInAnyOrder(BridgedBackend.OWNER_LABEL, BridgedBackend.HOST_LABEL, BridgedBackend.POOL_LABEL);
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
      assertThat(fake.live()).hasSize(1);
    }
  }

  @Test
  void shipsTheClasspathOnceAndReusesTheSandboxForEveryWorker() throws Exception {
    int uploadsForFirstWorker;
    try (SandboxPool pool = pool(false)) {
      assertThat(pool.call(() -> 0)).isZero();
      uploadsForFirstWorker = all(fake.sandboxRequests, "POST", "/files").size();
      for (int i = 1; i < 4; i++) {
        int n = i;
        assertThat(pool.call(() -> n * 2)).isEqualTo(i * 2);
      }
      assertThat(pool.stats().workersStarted()).isEqualTo(4);
    }
    assertThat(all(fake.apiRequests, "POST", "/sandboxes")).hasSize(1);
    long classpathUploads = all(fake.sandboxRequests, "POST", "/files").stream()
        .filter(r -> r.getBody().utf8().contains("/home/user/airlock/cas/")).count();
    assertThat(classpathUploads).isPositive();
    assertThat(all(fake.sandboxRequests, "POST", "/files")).as("nothing is uploaded after the first worker")
        .hasSize(uploadsForFirstWorker);
  }

  @Test
  void aSandboxKilledDuringACallIsACrashAndTheNextCallGetsANewSandbox() throws Exception {
    try (SandboxPool pool = pool(false)) {
      assertThat(pool.call(() -> 1)).isEqualTo(1);
      FakeE2b.Sandbox first = fake.live().get(0);
      Thread killer = new Thread(() -> {
        try {
          Thread.sleep(700);
        } catch (InterruptedException e) {
          return;
        }
        first.kill();
      });
      killer.start();
      assertThatThrownBy(() -> pool.call(() -> {
        Thread.sleep(20_000);
        return 2;
      })).isInstanceOf(SandboxCrashedException.class).hasMessageContaining("gone");
      killer.join();
      assertThat(pool.call(() -> 3)).isEqualTo(3);
      assertThat(fake.live()).hasSize(1).doesNotContain(first);
    }
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
