package dev.airlock.internal.e2b;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.airlock.AirlockConfig;
import dev.airlock.SandboxPool;
import dev.airlock.SandboxTimeoutException;
import dev.airlock.internal.backend.HostProcess;
import dev.airlock.internal.cloud.BridgedBackend;
import dev.airlock.spi.WorkerHandle;
import dev.airlock.spi.WorkerSpec;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Nothing leaks: a short sandbox lifetime kept up while its worker lives, and sandboxes of dead hosts reaped.
 */
@Timeout(120)
class E2bLifecycleTest extends WithFakeE2b {

  private AirlockConfig threeSecondLifetime() {
    return testing.config(fake).toBuilder().timeoutSeconds(3).backendProperty(E2bSettings.LIFETIME_MARGIN, "0")
        .build();
  }

  @Test
  void aShortLifetimeIsExtendedWhileThePoolLivesSoTheSandboxOutlivesIt() throws Exception {
    AirlockConfig config = threeSecondLifetime();
    String id;
    // A pre-started worker's sandbox, idle past its first 3 s, still serves (a cloud worker is never reused, so the
    // one sandbox that lives that long is the one waiting for its call).
    try (SandboxPool pool = SandboxPool.builder(config).minSize(1).maxSize(1).reuse(false)
        .backend("e2b", () -> E2bBackendProvider.create(testing.settings(config), testing.calls())).build()) {
      while (pool.stats().idle() == 0) {
        Thread.sleep(50);
      }
      id = fake.sandboxes.keySet().iterator().next();
      Thread.sleep(4500);
      assertThat(pool.call(() -> 2)).as("the same sandbox, past its first 3 s").isEqualTo(2);
      assertThat(fake.sandboxes).containsKey(id);
    }
    assertThat(E2bEndToEndTest.all(fake.apiRequests, "POST", "/sandboxes/" + id + "/timeout"))
        .hasSizeGreaterThanOrEqualTo(3)
        .allSatisfy(r -> assertThat(r.getBody().utf8()).isEqualTo("{\"timeout\":3}"));
  }

  @Test
  void everyLiveSandboxIsExtendedAndAKilledOneNoMore() throws Exception {
    BridgedBackend backend = E2bBackendProvider.create(testing.settings(threeSecondLifetime()), testing.calls());
    WorkerSpec spec = new WorkerSpec(64, Duration.ofSeconds(60));
    String first;
    String second;
    try {
      WorkerHandle one = backend.launch(spec);
      WorkerHandle two = backend.launch(spec);
      first = one.id().substring(0, one.id().indexOf('/'));
      second = two.id().substring(0, two.id().indexOf('/'));
      Thread.sleep(4500);
      assertThat(fake.live()).as("both outlived their first 3 s").hasSize(2);
      assertThat(extensions(first)).hasSizeGreaterThanOrEqualTo(3);
      assertThat(extensions(second)).hasSizeGreaterThanOrEqualTo(3);

      one.kill();
      one.kill();
      int secondBefore = extensions(second).size();
      Thread.sleep(2500);
      assertThat(fake.sandboxes.get(first).killed).isTrue();
      assertThat(E2bEndToEndTest.all(fake.apiRequests, "DELETE", "/sandboxes/" + first)).as("killed once")
          .hasSize(1);
      int deleted = fake.apiRequests.indexOf(E2bEndToEndTest.only(fake.apiRequests, "DELETE", "/sandboxes/" + first));
      assertThat(extensions(first)).as("none after the kill")
          .allSatisfy(r -> assertThat(fake.apiRequests.indexOf(r)).isLessThan(deleted));
      assertThat(extensions(second).size()).isGreaterThan(secondBefore);
      assertThat(fake.sandboxes.get(second).gone()).isFalse();
    } finally {
      backend.close();
    }
    assertThat(fake.live()).as("close kills the sandbox still running").isEmpty();
    assertThat(E2bEndToEndTest.all(fake.apiRequests, "DELETE", "/sandboxes/" + second)).hasSize(1);
  }

  /**
   * The control plane is trusted but can be slow: a caller waited for a create's answer past its own call's timeout,
   * for as long as the control plane took. It now leaves at its deadline, and the sandbox created after it left is
   * killed when its answer comes.
   */
  @Test
  void aSlowControlPlaneHoldsNoCallerPastItsTimeoutAndItsLateSandboxIsKilled() throws Exception {
    fake.createAnswerDelay = Duration.ofSeconds(6);
    AirlockConfig config = testing.config(fake).toBuilder().timeoutSeconds(2).poolMinSize(0).poolMaxSize(1).build();
    try (SandboxPool pool = SandboxPool.builder(config).build()) {
      long start = System.nanoTime();
      assertThatThrownBy(() -> pool.call(() -> 1)).isInstanceOf(SandboxTimeoutException.class)
          .hasMessageContaining("did not create a sandbox within the call's start time");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).as("the caller's wait")
          .isLessThan(Duration.ofMillis(4500));
      assertThat(pool.stats().fallbacks()).isZero();
      long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
      while (fake.sandboxes.isEmpty() || !fake.live().isEmpty()) {
        assertThat(System.nanoTime()).as("the late sandbox is killed").isLessThan(deadline);
        Thread.sleep(100);
      }
      assertThat(fake.sandboxes.values()).allSatisfy(s -> assertThat(s.killed).isTrue());
    }
  }

  /**
   * Each call that left at its deadline left its creation running, and the pool's slot free: with a slow control plane
   * every later call asked for one more sandbox, on one more thread, beside the pool's max-size (four sandboxes and
   * four threads for a pool of one here; attack review 19). A later call now waits for the creation an earlier caller
   * left, and only a creation nobody waits for any more when it answers is killed.
   */
  @Test
  void callsThatLeaveASlowCreationAskForNoMoreSandboxesThanThePoolHolds() throws Exception {
    fake.createAnswerDelay = Duration.ofSeconds(6);
    AirlockConfig config = testing.config(fake).toBuilder().timeoutSeconds(1).poolMinSize(0).poolMaxSize(1).build();
    try (SandboxPool pool = SandboxPool.builder(config).build()) {
      for (int i = 0; i < 4; i++) {
        assertThatThrownBy(() -> pool.call(() -> 1)).isInstanceOf(SandboxTimeoutException.class)
            .hasMessageContaining("did not create a sandbox within the call's start time");
      }
      assertThat(fake.sandboxes).as("sandboxes asked for by four calls of a pool of one").hasSize(1);
      long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
      while (!fake.live().isEmpty()) {
        assertThat(System.nanoTime()).as("the late sandbox is killed").isLessThan(deadline);
        Thread.sleep(100);
      }
    }
  }

  private List<RecordedRequest> extensions(String sandboxId) {
    return E2bEndToEndTest.all(fake.apiRequests, "POST", "/sandboxes/" + sandboxId + "/timeout");
  }

  /**
   * Only an owner proven dead is reaped: same boot, same PID namespace, no such process. A pid this process cannot
   * see in another namespace or boot may be a live host sharing the account; its sandboxes end at their lifetime.
   */
  @Test
  void reapsSandboxesOfProcessesProvenDeadOnceAndSparesOwnersItCannotSee() throws Exception {
    Process gone = new ProcessBuilder("true").start();
    gone.waitFor();
    String host = InetAddress.getLocalHost().getHostName();
    HostProcess self = HostProcess.current();
    E2bApi api = new E2bApi(testing.settings(testing.config(fake)), testing.calls());
    fake.templateRunsBridge = false;
    String orphan = create(api, labels(host, gone.pid(), self.boot(), self.pidNamespace(), 1));
    String otherNamespace = create(api, labels(host, gone.pid(), self.boot(), "pid:[4026599999]", 1));
    String otherBoot = create(api, labels(host, gone.pid(), "0b5e1d2c-another-boot", self.pidNamespace(), 1));
    String olderVersion = create(api, Map.of(BridgedBackend.HOST_LABEL, host,
        BridgedBackend.OWNER_LABEL, host + "/" + gone.pid()));
    String living = create(api, labels(host, self.pid(), self.boot(), self.pidNamespace(), self.started()));
    String otherHost = create(api, labels("elsewhere", gone.pid(), self.boot(), self.pidNamespace(), 1));
    fake.templateRunsBridge = true;

    try (SandboxPool pool = SandboxPool.builder(testing.config(fake)).minSize(0).maxSize(1)
        .backend("e2b", () -> testing.backend(fake)).build()) {
      assertThat(pool.call(() -> 1)).isEqualTo(1);
      assertThat(pool.call(() -> 2)).as("a second sandbox, no second reaping").isEqualTo(2);
    }

    assertThat(E2bEndToEndTest.all(fake.apiRequests, "POST", "/sandboxes")).hasSize(6 + 2);
    assertThat(fake.sandboxes.get(orphan).killed).as("dead owner, same boot and namespace").isTrue();
    assertThat(fake.sandboxes.get(otherNamespace).killed).as("owner in another PID namespace").isFalse();
    assertThat(fake.sandboxes.get(otherBoot).killed).as("owner of another boot").isFalse();
    assertThat(fake.sandboxes.get(olderVersion).killed).as("owner without namespace labels").isFalse();
    assertThat(fake.sandboxes.get(living).killed).isFalse();
    assertThat(fake.sandboxes.get(otherHost).killed).isFalse();
    assertThat(E2bEndToEndTest.all(fake.apiRequests, "GET", "/v2/sandboxes")).singleElement()
        .satisfies(r -> assertThat(r.getUrl().queryParameter("metadata"))
            .isEqualTo(BridgedBackend.HOST_LABEL + "=" + java.net.URLEncoder.encode(host,
                java.nio.charset.StandardCharsets.UTF_8)));
  }

  private static String create(E2bApi api, Map<String, String> labels) {
    return api.create(labels, Duration.ofSeconds(300)).sandboxId();
  }

  static Map<String, String> labels(String host, long pid, String boot, String pidNamespace, long started) {
    return Map.of(BridgedBackend.HOST_LABEL, host, BridgedBackend.OWNER_LABEL, host + "/" + pid,
        BridgedBackend.BOOT_LABEL, boot, BridgedBackend.PID_NAMESPACE_LABEL, pidNamespace,
        BridgedBackend.STARTED_LABEL, Long.toString(started));
  }
}
