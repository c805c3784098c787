package dev.airlock.backend.morph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.airlock.AirlockConfig;
import dev.airlock.AirlockRuntime;
import dev.airlock.SandboxPool;
import dev.airlock.SandboxUnavailableException;
import dev.airlock.backend.cloud.BridgedBackend;
import dev.airlock.backend.cloud.CloudHttp;
import dev.airlock.backend.cloud.HttpCalls;
import dev.airlock.backend.cloud.RetryPolicy;
import dev.airlock.backend.cloud.fake.LocalBridge;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Real invocations through the Morph code path: instance API, SFTP gateway and exposed service, all faked. */
@Timeout(120)
class MorphBackendTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int BRIDGE_PORT = 49990;
  private final List<Duration> waits = new CopyOnWriteArrayList<>();
  private FakeMorph fake;

  @BeforeEach
  void startFake(@TempDir Path dir) throws Exception {
    fake = new FakeMorph(dir, BRIDGE_PORT);
  }

  @AfterEach
  void stopFake() throws Exception {
    fake.close();
  }

  private AirlockConfig.Builder config() {
    return AirlockConfig.builder().backend("morph").timeoutSeconds(30).memoryMb(96).sandboxRequired(true)
        .backendProperty(MorphSettings.API_KEY, FakeMorph.API_KEY)
        .backendProperty(MorphSettings.API_URL, fake.api.url("/").toString())
        .backendProperty(MorphSettings.SSH_HOST, "127.0.0.1")
        .backendProperty(MorphSettings.SSH_PORT, Integer.toString(fake.ssh.getPort()))
        .backendProperty(MorphSettings.SNAPSHOT, FakeMorph.SNAPSHOT);
  }

  private SandboxPool pool(AirlockConfig config) {
    MorphSettings settings = MorphSettings.from(config, name -> null)
        .withBridgeCommand(LocalBridge.command(BRIDGE_PORT, Path.of(FakeMorph.HOME)))
        .withReadyPoll(Duration.ofMillis(50));
    HttpCalls calls = new HttpCalls(CloudHttp.client(), RetryPolicy.DEFAULT.withSleeper(waits::add));
    return SandboxPool.builder(config).minSize(0).maxSize(1)
        .backend("morph", () -> MorphBackendProvider.create(settings, calls)).build();
  }

  private List<RecordedRequest> requests(String method, String path) {
    return fake.apiRequests.stream()
        .filter(r -> r.getMethod().equals(method) && r.getUrl().encodedPath().equals(path)).toList();
  }

  @Test
  void runsACallInAnInstanceOfTheSnapshotWithFilesOverSftpAndStopsItOnClose() throws Exception {
    AirlockConfig config = config().backendProperty(MorphSettings.SSH_HOST_KEY, fake.hostKeyFingerprint()).build();
    try (SandboxPool pool = pool(config)) {
      assertThat(pool.call(() -> AirlockRuntime.isSandboxed() + " " + (6 * 7))).isEqualTo("true 42");
      assertThat(pool.call(() -> "again")).isEqualTo("again");
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
  void startsTheBridgeWithExecWhenTheSnapshotHasNone() throws Exception {
    fake.snapshotRunsBridge = false;
    try (SandboxPool pool = pool(config().build())) {
      assertThat(pool.call(() -> 3 + 4)).isEqualTo(7);
    }
    FakeMorph.Instance instance = fake.instances.values().iterator().next();
    assertThat(instance.execs).singleElement().satisfies(command -> {
      assertThat(command.get(0).asText()).isEqualTo("/bin/sh");
      assertThat(command.get(2).asText()).startsWith("mkdir -p '/root/airlock' && nohup ")
          .contains("'dev.airlock.backend.cloud.WorkerBridge'").endsWith("< /dev/null &");
    });
    assertThat(fake.running()).isEmpty();
  }

  @Test
  void aWrongGatewayHostKeyIsRefusedAndTheInstanceStopped() {
    AirlockConfig config = config().backendProperty(MorphSettings.SSH_HOST_KEY, "SHA256:not-the-gateway").build();
    try (SandboxPool pool = pool(config)) {
      assertThatThrownBy(() -> pool.call(() -> 1)).isInstanceOf(SandboxUnavailableException.class);
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
      assertThatThrownBy(() -> pool.call(() -> 1)).isInstanceOf(SandboxUnavailableException.class)
          .hasMessageContaining("status error");
    }
    assertThat(fake.instances.values()).singleElement().satisfies(i -> assertThat(i.stopped).isTrue());
  }

  @Test
  void isFoundByNameAndAsksForTheApiKeyWhenItIsMissing() {
    AirlockConfig config = AirlockConfig.builder().backend("morph")
        .backendProperty(MorphSettings.SNAPSHOT, FakeMorph.SNAPSHOT).build();
    assertThatThrownBy(() -> dev.airlock.backend.Backends.create("morph", config))
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
    String orphan = api.start(java.util.Map.of(BridgedBackend.HOST_LABEL, host, BridgedBackend.OWNER_LABEL,
        host + "/" + gone.pid()), Duration.ofSeconds(300), System.nanoTime() + 10_000_000_000L);
    fake.snapshotRunsBridge = true;

    try (SandboxPool pool = pool(config().build())) {
      assertThat(pool.call(() -> 1)).isEqualTo(1);
    }
    assertThat(fake.instances.get(orphan).stopped).isTrue();
    RecordedRequest list = requests("GET", "/instance").get(0);
    assertThat(list.getUrl().queryParameter("metadata[" + BridgedBackend.HOST_LABEL + "]")).isEqualTo(host);
  }
}
