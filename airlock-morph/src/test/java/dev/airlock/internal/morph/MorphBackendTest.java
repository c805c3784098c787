package dev.airlock.internal.morph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.airlock.AirlockConfig;
import dev.airlock.AirlockRuntime;
import dev.airlock.SandboxCall;
import dev.airlock.SandboxPool;
import dev.airlock.SandboxCrashedException;
import dev.airlock.SandboxTimeoutException;
import dev.airlock.SandboxExecutionException;
import dev.airlock.SandboxUnavailableException;
import dev.airlock.internal.backend.HostProcess;
import dev.airlock.internal.cloud.BridgedBackend;
import dev.airlock.internal.cloud.CloudHttp;
import dev.airlock.internal.cloud.HttpCalls;
import dev.airlock.internal.cloud.RetryPolicy;
import dev.airlock.internal.cloud.fake.Eventually;
import dev.airlock.internal.cloud.fake.LocalBridge;
import dev.airlock.internal.intercept.CallEgress;
import dev.airlock.internal.intercept.Invocation;
import dev.airlock.internal.intercept.PoolAccess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import mockwebserver3.RecordedRequest;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Real invocations through the Morph code path: instance API, SFTP gateway and exposed service, all faked. Every
 * worker has an instance of its own.
 */
@Timeout(120)
class MorphBackendTest extends WithFakeMorph {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final List<Duration> waits = new CopyOnWriteArrayList<>();

  private SandboxPool pool(AirlockConfig config) {
    return pool(config, false, 0);
  }

  private SandboxPool pool(AirlockConfig config, boolean reuse, int minSize) {
    return pool(config, reuse, minSize, LocalBridge.command(BRIDGE_PORT, Path.of(FakeMorph.HOME)));
  }

  private SandboxPool pool(AirlockConfig config, boolean reuse, int minSize, List<String> bridgeCommand) {
    MorphSettings settings = MorphSettings.from(config, name -> null).withBridgeCommand(bridgeCommand)
        .withReadyPoll(Duration.ofMillis(50));
    HttpCalls calls = new HttpCalls(CloudHttp.client(), RetryPolicy.DEFAULT.withSleeper(waits::add));
    return SandboxPool.builder(config).reuse(reuse).minSize(minSize).maxSize(2)
        .backend("morph", () -> MorphBackendProvider.create(settings, calls)).build();
  }

  private List<RecordedRequest> bridge(String method, String pathEnd) {
    return fake.serviceRequests.stream()
        .filter(r -> r.getMethod().equals(method) && r.getUrl().encodedPath().endsWith("/airlock-bridge" + pathEnd))
        .toList();
  }

  private List<RecordedRequest> requests(String method, String path) {
    return fake.apiRequests.stream()
        .filter(r -> r.getMethod().equals(method) && r.getUrl().encodedPath().equals(path)).toList();
  }

  @Test
  void runsACallInAnInstanceOfTheSnapshotWithFilesOverSftpAndStopsItOnClose() throws Exception {
    AirlockConfig config = config().backendProperty(MorphSettings.SSH_HOST_KEY, fake.hostKeyFingerprint()).build();
    try (SandboxPool pool = pool(config, true, 0)) {
      assertThat(pool.call(() -> AirlockRuntime.isSandboxed() + " " + (6 * 7))).isEqualTo("true 42");
    }
    FakeMorph.Instance instance = fake.instances.values().iterator().next();
    assertThat(instance.stopped).isTrue();
    assertThat(fake.running()).isEmpty();

    RecordedRequest start = requests("POST", "/instance").get(0);
    assertThat(start.getHeaders().get("Authorization")).isEqualTo("Bearer " + FakeMorph.API_KEY);
    assertThat(start.getUrl().queryParameter("snapshot_id")).isEqualTo(FakeMorph.SNAPSHOT);
    JsonNode body = JSON.readTree(start.getBody().toByteArray());
    assertThat(body.get("ttl_seconds").asInt()).isEqualTo(150);
    assertThat(body.get("ttl_action").asText()).isEqualTo("stop");
    assertThat(body.get("metadata").has(BridgedBackend.OWNER_LABEL)).isTrue();
    assertThat(requests("GET", "/instance/" + instance.id)).as("polled until ready").hasSizeGreaterThanOrEqualTo(2);
    assertThat(JSON.readTree(requests("POST", "/instance/" + instance.id + "/http").get(0).getBody().toByteArray()))
        .isEqualTo(JSON.readTree("{\"name\":\"airlock-bridge\",\"port\":49990}"));
    assertThat(requests("DELETE", "/instance/" + instance.id)).hasSize(1);
    assertThat(fake.sshUsers).isNotEmpty().allMatch(u -> u.equals(instance.id + ":" + FakeMorph.API_KEY));
    try (var stored = Files.list(instance.local(FakeMorph.HOME + "/cas"))) {
      assertThat(stored.count()).as("classpath entries arrived over SFTP").isGreaterThan(5);
    }
    assertThat(instance.execs).as("the snapshot's bridge was running").isEmpty();
  }

  @Test
  void aCallNamingHostsIsRefusedNamingMorphsMissingEgressFilterAndNeverShippedNorRunOnTheHost() throws Exception {
    AirlockConfig config = config().backendProperty(MorphSettings.SSH_HOST_KEY, fake.hostKeyFingerprint()).build();
    try (SandboxPool pool = pool(config)) {
      AtomicBoolean ranOnHost = new AtomicBoolean();
      SandboxCall<Integer> call = () -> 1;
      Invocation invocation = new Invocation(call, SandboxCall.class.getMethod("call"), new Object[0],
          Duration.ofSeconds(30), false, () -> {
            ranOnHost.set(true);
            return 1;
          }, CallEgress.of(new String[] {"api.github.com"}, List.of()));
      assertThatThrownBy(() -> PoolAccess.invoke(pool, invocation)).isInstanceOf(SandboxExecutionException.class)
          .hasMessageContaining("[api.github.com]").hasMessageContaining(MorphInstances.NO_EGRESS)
          .hasMessageContaining("local, docker or e2b backend").hasMessageContaining("nothing was shipped")
          .hasMessageNotContaining("airlock.egress.enabled");
      assertThat(ranOnHost).isFalse();
      assertThat(fake.serviceRequests).noneMatch(r -> r.getUrl().encodedPath().endsWith("/frames"));
      assertThat(pool.call(() -> 2)).as("a call naming no host still runs on Morph").isEqualTo(2);
    }
  }

  @Test
  void withoutReuseEveryCallGetsAFreshLabelledInstanceThatIsDeletedAfterIt() throws Exception {
    List<String> ids = new java.util.ArrayList<>();
    try (SandboxPool pool = pool(config().build())) {
      for (int i = 0; i < 3; i++) {
        // The worker's folder lies in its instance's disk, so it names the instance the call ran in.
        String folder = pool.call(() -> java.nio.file.Path.of("").toAbsolutePath().toString());
        String id = fake.instances.keySet().stream().filter(folder::contains).findFirst().orElseThrow();
        assertThat(ids).doesNotContain(id);
        ids.add(id);
        Eventually.await("instance " + id + " deleted after its call", Duration.ofSeconds(20),
            () -> !requests("DELETE", "/instance/" + id).isEmpty());
        assertThat(fake.instances.get(id).stopped).isTrue();
      }
    }
    assertThat(fake.running()).isEmpty();
    assertThat(requests("POST", "/instance")).hasSize(3).allSatisfy(start -> assertThat(
        JSON.readTree(start.getBody().toByteArray()).get("metadata").fieldNames()).toIterable()
        .containsExactlyInAnyOrder(BridgedBackend.OWNER_LABEL, BridgedBackend.HOST_LABEL, BridgedBackend.POOL_LABEL,
            BridgedBackend.BOOT_LABEL, BridgedBackend.PID_NAMESPACE_LABEL, BridgedBackend.STARTED_LABEL));
    assertThat(ids).allSatisfy(id -> assertThat(requests("DELETE", "/instance/" + id)).hasSize(1));
  }

  /**
   * A cloud worker cannot be proven idle from the host (its bridge runs as the guest's user, in the guest's VM), so
   * {@code reuse=true} gives every call an instance of its own, as {@code reuse=false} does (issue 14 item 5).
   */
  @Test
  void withReuseEveryCallStillGetsAnInstanceOfItsOwn() throws Exception {
    try (SandboxPool pool = pool(config().build(), true, 0)) {
      for (int i = 0; i < 3; i++) {
        int n = i;
        assertThat(pool.call(() -> n + 1)).isEqualTo(i + 1);
      }
      assertThat(pool.stats().workersStarted()).isEqualTo(3);
    }
    assertThat(requests("POST", "/instance")).hasSize(3);
    assertThat(fake.running()).isEmpty();
  }

  @Test
  void minSizeWarmsThatManyInstancesBeforeTheFirstCallAndKeepsEachAlive() throws Exception {
    AirlockConfig config = config().timeoutSeconds(3).backendProperty(MorphSettings.LIFETIME_MARGIN, "0").build();
    try (SandboxPool pool = pool(config, true, 2)) {
      Eventually.await("two warm instances with a worker each", Duration.ofSeconds(60),
          () -> pool.stats().idle() == 2);
      assertThat(fake.running()).hasSize(2);
      assertThat(bridge("POST", "/workers")).hasSize(2);
      Thread.sleep(4000);
      assertThat(fake.running()).as("both outlived their first 3 s").hasSize(2).allSatisfy(instance -> assertThat(
          requests("POST", "/instance/" + instance.id + "/ttl")).hasSizeGreaterThanOrEqualTo(3)
          .allSatisfy(r -> assertThat(r.getBody().utf8()).contains("\"ttl_seconds\":3")));
      assertThat(pool.call(() -> "warm")).isEqualTo("warm");
      assertThat(requests("POST", "/instance")).hasSize(2);
    }
    assertThat(fake.running()).isEmpty();
  }

  @Test
  void aBridgeThatNeverOpensItsPortFailsTheLaunchAndItsInstanceIsDeleted() {
    fake.snapshotRunsBridge = false;
    List<String> elsewhere = LocalBridge.command(BRIDGE_PORT + 1, Path.of(FakeMorph.HOME));
    try (SandboxPool pool = pool(config().build(), false, 0, elsewhere)) {
      // The wait for the bridge is bounded by the call's 6 s, so the call times out, saying why its worker did not
      // start.
      assertThatThrownBy(() -> pool.call(() -> 1, Duration.ofSeconds(6)))
          .isInstanceOf(SandboxTimeoutException.class).hasMessageContaining("while its worker was starting")
          .hasMessageContaining("did not open its port in time").hasMessageContaining("sandbox template");
      FakeMorph.Instance instance = fake.instances.values().iterator().next();
      assertThat(requests("DELETE", "/instance/" + instance.id)).as("deleted before the pool closed").hasSize(1);
      assertThat(fake.running()).isEmpty();
    }
  }

  @Test
  void startsTheBridgeWithExecWhenTheSnapshotHasNone() throws Exception {
    fake.snapshotRunsBridge = false;
    try (SandboxPool pool = pool(config().build())) {
      assertThat(pool.call(() -> 3 + 4)).isEqualTo(7);
    }
    FakeMorph.Instance instance = fake.instances.values().iterator().next();
    assertThat(instance.execs).singleElement().satisfies(command -> {
      assertThat(command.get(0).asText()).isEqualTo("/bin/sh");
      assertThat(command.get(2).asText()).startsWith("mkdir -p '/root/airlock' && nohup ")
          .contains("'dev.airlock.internal.cloud.WorkerBridge'").endsWith("< /dev/null &");
    });
    assertThat(fake.running()).isEmpty();
  }

  @Test
  void aWrongGatewayHostKeyIsRefusedAndTheInstanceStopped() {
    AirlockConfig config = config().backendProperty(MorphSettings.SSH_HOST_KEY, "SHA256:not-the-gateway").build();
    try (SandboxPool pool = pool(config)) {
      // The API answers, so it is this launch that failed: the call fails, never runs on the host.
      assertThatThrownBy(() -> pool.call(() -> 1)).isInstanceOf(SandboxCrashedException.class);
    }
    assertThat(fake.sshUsers).isEmpty();
    assertThat(fake.running()).isEmpty();
  }

  /**
   * No key pinned: the gateway's first key is recorded and required from then on. The upload's user name carries the
   * API key, so a gateway showing another key (someone on the path) must not get it.
   */
  @Test
  void theGatewayKeyIsTrustedOnFirstUseAndAnotherKeyIsRefusedBeforeTheApiKeyIsSent() throws Exception {
    try (SandboxPool pool = pool(config().build())) {
      assertThat(pool.call(() -> 6 * 7)).isEqualTo(42);
    }
    assertThat(Files.readString(knownHosts)).contains("[127.0.0.1]:" + fake.ssh.getPort());
    assertThat(Files.getPosixFilePermissions(knownHosts.getParent())).isEqualTo(
        PosixFilePermissions.fromString("rwx------"));
    try (SandboxPool pool = pool(config().build())) {
      assertThat(pool.call(() -> 6 * 7)).as("the recorded key is accepted").isEqualTo(42);
    }
    int usersSoFar = fake.sshUsers.size();

    PublicKey impostor = KeyPairGenerator.getInstance("EC").generateKeyPair().getPublic();
    Files.writeString(knownHosts, PublicKeyEntry.appendPublicKeyEntry(
        new StringBuilder("[127.0.0.1]:" + fake.ssh.getPort() + " "), impostor) + "\n");
    try (SandboxPool pool = pool(config().build())) {
      assertThatThrownBy(() -> pool.call(() -> 1)).isInstanceOf(SandboxCrashedException.class)
          .hasMessageContaining(knownHosts.toString()).hasMessageContaining(KeyUtils.getFingerPrint(impostor))
          .hasMessageContaining("may be intercepted").hasMessageContaining(MorphSettings.SSH_HOST_KEY);
    }
    assertThat(fake.sshUsers).as("no user name, so no API key, went to the gateway").hasSize(usersSoFar);
    assertThat(fake.running()).isEmpty();
  }

  @Test
  void aKnownHostsFileOthersCanWriteIsNotBelieved() throws Exception {
    Files.createDirectories(knownHosts.getParent());
    Files.writeString(knownHosts, "");
    Files.setPosixFilePermissions(knownHosts, PosixFilePermissions.fromString("rw-rw-rw-"));
    try (SandboxPool pool = pool(config().build())) {
      assertThatThrownBy(() -> pool.call(() -> 1)).isInstanceOf(SandboxCrashedException.class)
          .hasMessageContaining("writable by others").hasMessageContaining("chmod 600");
    }
    assertThat(fake.sshUsers).isEmpty();
    assertThat(fake.running()).isEmpty();
  }

  @Test
  void aRefusedApiKeyNamesTheVariableToFix() {
    try (SandboxPool pool = pool(config().backendProperty(MorphSettings.API_KEY, "wrong").build())) {
      assertThatThrownBy(() -> pool.call(() -> 1)).isInstanceOf(SandboxUnavailableException.class)
          .hasMessageContaining("401").hasMessageContaining("MORPH_API_KEY");
    }
    assertThat(fake.instances).isEmpty();
  }

  @Test
  void anInstanceInErrorIsReportedAndStopped() {
    fake.statusAfterStart = "error";
    try (SandboxPool pool = pool(config().build())) {
      assertThatThrownBy(() -> pool.call(() -> 1)).isInstanceOf(SandboxCrashedException.class)
          .hasMessageContaining("status error");
    }
    assertThat(fake.instances.values()).singleElement().satisfies(i -> assertThat(i.stopped).isTrue());
  }

  @Test
  void isFoundByNameAndAsksForTheApiKeyWhenItIsMissing() {
    AirlockConfig config = AirlockConfig.builder().backend("morph")
        .backendProperty(MorphSettings.SNAPSHOT, FakeMorph.SNAPSHOT).build();
    assertThatThrownBy(() -> dev.airlock.internal.backend.Backends.create("morph", config))
        .isInstanceOf(SandboxUnavailableException.class).hasMessageContaining("MORPH_API_KEY");
  }

  @Test
  void aMissingSnapshotSettingNamesTheKey() {
    AirlockConfig config = AirlockConfig.builder().backend("morph")
        .backendProperty(MorphSettings.API_KEY, FakeMorph.API_KEY).build();
    assertThatThrownBy(() -> MorphSettings.from(config, name -> null))
        .isInstanceOf(SandboxUnavailableException.class).hasMessageContaining("airlock.morph.snapshot");
  }

  @Test
  void listsInstancesByMetadataAndReapsThoseOfDeadHostProcesses() throws Exception {
    Process gone = new ProcessBuilder("true").start();
    gone.waitFor();
    String host = java.net.InetAddress.getLocalHost().getHostName();
    fake.snapshotRunsBridge = false;
    MorphSettings settings = MorphSettings.from(config().build(), name -> null).withReadyPoll(Duration.ofMillis(10));
    MorphApi api = new MorphApi(settings, new HttpCalls(CloudHttp.client(), RetryPolicy.DEFAULT));
    HostProcess self = HostProcess.current();
    String orphan = api.start(java.util.Map.of(BridgedBackend.HOST_LABEL, host, BridgedBackend.OWNER_LABEL,
        host + "/" + gone.pid(), BridgedBackend.BOOT_LABEL, self.boot(), BridgedBackend.PID_NAMESPACE_LABEL,
        self.pidNamespace(), BridgedBackend.STARTED_LABEL, "1"), Duration.ofSeconds(300),
        System.nanoTime() + 10_000_000_000L);
    String otherNamespace = api.start(java.util.Map.of(BridgedBackend.HOST_LABEL, host, BridgedBackend.OWNER_LABEL,
        host + "/" + gone.pid(), BridgedBackend.BOOT_LABEL, self.boot(), BridgedBackend.PID_NAMESPACE_LABEL,
        "pid:[4026599999]", BridgedBackend.STARTED_LABEL, "1"), Duration.ofSeconds(300),
        System.nanoTime() + 10_000_000_000L);
    fake.snapshotRunsBridge = true;

    try (SandboxPool pool = pool(config().build())) {
      assertThat(pool.call(() -> 1)).isEqualTo(1);
    }
    assertThat(fake.instances.get(orphan).stopped).isTrue();
    assertThat(fake.instances.get(otherNamespace).stopped).as("owner in another PID namespace").isFalse();
    RecordedRequest list = requests("GET", "/instance").get(0);
    assertThat(list.getUrl().queryParameter("metadata[" + BridgedBackend.HOST_LABEL + "]")).isEqualTo(host);
  }
}
