package dev.airlock.internal.e2b;

import static dev.airlock.internal.e2b.E2bEndToEndTest.all;
import static dev.airlock.internal.e2b.E2bEndToEndTest.only;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.airlock.AirlockConfig;
import dev.airlock.SandboxPool;
import dev.airlock.SandboxCrashedException;
import dev.airlock.SandboxUnavailableException;
import dev.airlock.internal.cloud.CloudHttp;
import dev.airlock.internal.cloud.HttpCalls;
import dev.airlock.internal.cloud.RetryPolicy;
import dev.airlock.internal.cloud.SandboxFile;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import mockwebserver3.MockResponse;
import mockwebserver3.RecordedRequest;
import okhttp3.OkHttpClient;
import okio.Buffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** envd and the port proxy: starting the bridge, uploads, access tokens, readiness, routing by host name. */
@Timeout(120)
class E2bSandboxTest extends WithFakeE2b {
  private static final ObjectMapper JSON = new ObjectMapper();

  private SandboxPool pool(AirlockConfig config, java.util.function.Supplier<dev.airlock.spi.SandboxBackend> b) {
    return SandboxPool.builder(config).minSize(0).maxSize(1).backend("e2b", b).build();
  }

  private static long inAMinute() {
    return System.nanoTime() + Duration.ofMinutes(1).toNanos();
  }

  @Test
  void startsTheBridgeThroughEnvdWithoutADeadlineWhenTheTemplateDidNot() throws Exception {
    fake.templateRunsBridge = false;
    try (SandboxPool pool = pool(testing.config(fake), () -> testing.backend(fake))) {
      assertThat(pool.call(() -> "started by envd")).isEqualTo("started by envd");
    }

    RecordedRequest start = only(fake.sandboxRequests, "POST", "/process.Process/Start");
    assertThat(start.getHeaders().get("Content-Type")).isEqualTo("application/connect+json");
    assertThat(start.getHeaders().get("Connect-Protocol-Version")).isEqualTo("1");
    assertThat(start.getHeaders().get("Keepalive-Ping-Interval")).isEqualTo("50");
    assertThat(start.getHeaders().get("Connect-Timeout-Ms")).as("a deadline would kill the bridge").isNull();
    assertThat(start.getHeaders().get("E2b-Sandbox-Port")).isEqualTo("49983");
    assertThat(start.getHeaders().get("X-Access-Token")).isNotNull();
    Buffer body = new Buffer().write(start.getBody());
    assertThat(body.readByte()).isZero();
    int length = body.readInt();
    assertThat((long) length).isEqualTo(body.size());
    JsonNode request = JSON.readTree(body.readByteArray());
    assertThat(request.at("/process/cmd").asText()).endsWith("/bin/java");
    assertThat(request.at("/process/args").toString()).contains("dev.airlock.internal.cloud.WorkerBridge")
        .contains("\"--port\",\"49990\"").contains("\"--home\",\"/home/user/airlock\"");
    assertThat(request.at("/process/envs").isObject()).isTrue();
    assertThat(request.get("tag").asText()).isEqualTo("airlock-bridge");
    assertThat(request.get("stdin").asBoolean(true)).isFalse();

    assertThat(fake.live()).isEmpty();
  }

  @Test
  void aBridgeThatExitsEarlyIsReportedWithItsExitCodeAndOutput() {
    fake.templateRunsBridge = false;
    E2bSettings broken = testing.settings(testing.config(fake))
        .withBridgeCommand(List.of("/bin/sh", "-c", "echo no java in this template >&2; exit 3"));
    try (SandboxPool pool = pool(testing.config(fake), () -> E2bBackendProvider.create(broken, testing.calls()))) {
      assertThatThrownBy(() -> pool.call(() -> 1))
          .isInstanceOf(SandboxCrashedException.class)
          .hasMessageContaining("exit code 3")
          .hasMessageContaining("no java in this template");
    }
    assertThat(fake.live()).as("a sandbox that could not be prepared is killed").isEmpty();
  }

  /**
   * The bridge's exit and output are the sandbox's text: quoted in the launch's error, which an application logs,
   * they are escaped and clipped, so a bridge cannot start or hide a line of the host's log (attack review 6).
   */
  @Test
  void aBridgeExitingWithForgedOutputCannotStartALineOfTheHostsLog() {
    fake.templateRunsBridge = false;
    E2bSettings forging = testing.settings(testing.config(fake)).withBridgeCommand(List.of("/bin/sh", "-c",
        "printf 'x\\n2026-01-01 [main] INFO com.acme.Billing - refund approved\\r\\033[2K\\342\\200\\256txet' >&2; exit 3"));
    try (SandboxPool pool = pool(testing.config(fake), () -> E2bBackendProvider.create(forging, testing.calls()))) {
      assertThatThrownBy(() -> pool.call(() -> 1))
          .isInstanceOf(SandboxCrashedException.class)
          .hasMessageContaining("exit code 3")
          .hasMessageContaining("\\n2026-01-01 [main] INFO com.acme.Billing")
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n", "\r", "\u001b", "\u202e")
              .hasSizeLessThan(8 * 1024));
    }
    assertThat(fake.live()).isEmpty();
  }

  @Test
  void pollsTheBridgePortThroughPortNotOpenAnswers() throws Exception {
    for (int i = 0; i < 3; i++) {
      fake.script(fake.proxy, r -> r.getUrl().encodedPath().equals("/health")
          && "49990".equals(r.getHeaders().get("E2b-Sandbox-Port")), portNotOpen());
    }
    try (SandboxPool pool = pool(testing.config(fake), () -> testing.backend(fake))) {
      assertThat(pool.call(() -> 5)).isEqualTo(5);
    }
    assertThat(all(fake.sandboxRequests, "GET", "/health")).hasSizeGreaterThan(3);
    assertThat(all(fake.sandboxRequests, "POST", "/process.Process/Start"))
        .as("a template bridge that is still starting is waited for, not started again").isEmpty();
  }

  private static MockResponse portNotOpen() {
    return new MockResponse.Builder().code(502).setHeader("Content-Type", "application/json; charset=utf-8")
        .body("{\"sandboxId\":\"x\",\"message\":\"The sandbox is running but port is not open\",\"port\":49990,"
            + "\"code\":502}").build();
  }

  @Test
  void envdRefusesAWrongAccessTokenWithItsPlainBodyOnFilesAndRpcPaths() throws Exception {
    E2bSettings settings = testing.settings(testing.config(fake));
    E2bApi api = new E2bApi(settings, testing.calls());
    E2bApi.Created real = api.create(Map.of(), Duration.ofSeconds(60));
    E2bApi.Created forged = new E2bApi.Created(real.sandboxId(), real.templateId(), real.envdVersion(),
        "not-the-token", real.trafficAccessToken(), null);
    E2bSandbox sandbox = new E2bSandbox(settings, api, testing.calls(), forged);

    assertThatThrownBy(() -> sandbox.upload(List.of(SandboxFile.of("/home/user/x", new byte[] {1})), inAMinute()))
        .isInstanceOf(SandboxUnavailableException.class)
        .hasMessageContaining("401 unauthorized access, please provide a valid access token");
    assertThatThrownBy(() -> sandbox.startBridge(List.of("/bin/true"), inAMinute()))
        .isInstanceOf(SandboxUnavailableException.class)
        .hasMessageContaining("refused its access token");
    assertThat(fake.sandboxes.get(real.sandboxId()).processes).hasSize(1);
    api.kill(real.sandboxId());
  }

  /** Guest code may have stopped envd or the bridge: a kill asks neither, only the control plane. */
  @Test
  void killingGoesToTheControlPlaneWithoutAskingAnythingInTheSandbox() throws Exception {
    E2bSettings settings = testing.settings(testing.config(fake));
    E2bApi api = new E2bApi(settings, testing.calls());
    E2bSandbox sandbox = new E2bSandbox(settings, api, testing.calls(), api.create(Map.of(), Duration.ofSeconds(60)));
    sandbox.startBridge(List.of("/bin/sleep", "60"), inAMinute());

    sandbox.kill();

    assertThat(fake.sandboxes.get(sandbox.id()).killed).isTrue();
    assertThat(fake.sandboxRequests).as("requests into the sandbox after the bridge started")
        .noneMatch(r -> r.getUrl().encodedPath().equals("/process.Process/SendSignal"));

    // Only when the control plane refuses is the bridge stopped through envd, so the sandbox runs no worker until
    // its timeout.
    E2bSandbox refused = new E2bSandbox(settings, api, testing.calls(), api.create(Map.of(), Duration.ofSeconds(60)));
    refused.startBridge(List.of("/bin/sleep", "60"), inAMinute());
    fake.script(fake.api, FakeE2b.request("DELETE", "/sandboxes/" + refused.id()), FakeE2b.error(400, "no"));
    refused.kill();
    RecordedRequest signal = only(fake.sandboxRequests, "POST", "/process.Process/SendSignal");
    assertThat(signal.getHeaders().get("Content-Type")).isEqualTo("application/json");
    assertThat(signal.getHeaders().get("Connect-Protocol-Version")).isEqualTo("1");
    JsonNode kill = JSON.readTree(signal.getBody().toByteArray());
    assertThat(kill.get("signal").asText()).isEqualTo("SIGNAL_SIGKILL");
    assertThat(kill.at("/process/pid").asLong()).isPositive();
    api.kill(refused.id());
  }

  @Test
  void anUnknownPidOnStopMeansTheBridgeAlreadyExited() throws Exception {
    E2bSettings settings = testing.settings(testing.config(fake));
    E2bApi api = new E2bApi(settings, testing.calls());
    E2bSandbox sandbox = new E2bSandbox(settings, api, testing.calls(), api.create(Map.of(), Duration.ofSeconds(60)));

    sandbox.stopBridge(999_999);

    RecordedRequest signal = only(fake.sandboxRequests, "POST", "/process.Process/SendSignal");
    assertThat(JSON.readTree(signal.getBody().toByteArray()).at("/process/pid").asInt()).isEqualTo(999_999);
    sandbox.kill();
  }

  /**
   * Attack review 16: envd is asked to stop the bridge only when the control plane refused a kill, after the guest
   * ran, and a guest that is root in the VM answers on envd's port. Trickled, its answer held a kill thread for as
   * long as it liked (a read timeout of 60 s per byte, no deadline); endless, it was read whole into the host's heap.
   */
  @Test
  void envdAnswersAfterTheGuestRanAreBoundedInTimeAndSize() throws Exception {
    E2bSettings settings = testing.settings(testing.config(fake));
    E2bApi api = new E2bApi(settings, testing.calls());
    E2bSandbox sandbox = new E2bSandbox(settings, api, testing.calls(), api.create(Map.of(), Duration.ofSeconds(60)));

    fake.script(fake.proxy, FakeE2b.request("POST", "/process.Process/SendSignal"), new MockResponse.Builder()
        .code(200).body(" ".repeat(2000) + "{}").throttleBody(1, 200, java.util.concurrent.TimeUnit.MILLISECONDS)
        .build());
    long started = System.nanoTime();
    sandbox.stopBridge(4242);
    assertThat(Duration.ofNanos(System.nanoTime() - started)).as("a trickled answer holds the kill thread")
        .isLessThan(E2bSandbox.UNARY_TIMEOUT.plusSeconds(5));

    fake.script(fake.proxy, FakeE2b.request("POST", "/process.Process/SendSignal"), new MockResponse.Builder()
        .code(200).body("[".repeat(E2bSandbox.MAX_UNARY_BYTES + 1)).build());
    com.fasterxml.jackson.databind.node.ObjectNode signal = JSON.createObjectNode();
    signal.putObject("process").put("pid", 4242);
    signal.put("signal", "SIGNAL_SIGKILL");
    assertThatThrownBy(() -> sandbox.unary("/process.Process/SendSignal", signal))
        .isInstanceOf(IOException.class).hasMessageContaining("more than " + E2bSandbox.MAX_UNARY_BYTES + " bytes");
    sandbox.kill();
  }

  @Test
  void uploadsWriteEveryPartToItsFullPathAndAFullDiskIsNamed() throws Exception {
    E2bSettings settings = testing.settings(testing.config(fake));
    E2bApi api = new E2bApi(settings, testing.calls());
    E2bSandbox sandbox = new E2bSandbox(settings, api, testing.calls(), api.create(Map.of(), Duration.ofSeconds(60)));
    FakeE2b.Sandbox inFake = fake.sandboxes.get(sandbox.id());

    sandbox.upload(List.of(SandboxFile.of("/home/user/airlock/a/one.txt", "1".getBytes(StandardCharsets.UTF_8)),
        SandboxFile.of("/home/user/airlock/b/c/two.txt", "22".getBytes(StandardCharsets.UTF_8))), inAMinute());
    assertThat(Files.readString(inFake.local("/home/user/airlock/a/one.txt"))).isEqualTo("1");
    assertThat(Files.readString(inFake.local("/home/user/airlock/b/c/two.txt"))).isEqualTo("22");

    fake.script(fake.proxy, FakeE2b.request("POST", "/files"), FakeE2b.error(507, "not enough disk space"));
    assertThatThrownBy(() -> sandbox.upload(List.of(SandboxFile.of("/home/user/big", new byte[10])), inAMinute()))
        .isInstanceOf(SandboxUnavailableException.class).hasMessageContaining("no disk space left");
    sandbox.kill();
  }

  @Test
  void routesByPerPortHostNamesOnADomainWithoutASharedHost() throws Exception {
    AirlockConfig config = AirlockConfig.builder().backend("e2b").timeoutSeconds(30).memoryMb(96)
        .backendProperty(E2bSettings.API_KEY, FakeE2b.API_KEY)
        .backendProperty(E2bSettings.API_URL, fake.api.url("/").toString())
        .backendProperty(E2bSettings.DOMAIN, "e2b.test")
        .build();
    E2bSettings settings = testing.settings(config).withScheme("http");
    InetSocketAddress proxyAddress = new InetSocketAddress(fake.proxy.getHostName(), fake.proxy.getPort());
    OkHttpClient client = CloudHttp.client().newBuilder().proxySelector(new ProxySelector() {
      @Override
      public List<Proxy> select(URI uri) {
        return uri.getHost().endsWith(".e2b.test") ? List.of(new Proxy(Proxy.Type.HTTP, proxyAddress))
            : List.of(Proxy.NO_PROXY);
      }

      @Override
      public void connectFailed(URI uri, SocketAddress sa, IOException ioe) {
      }
    }).build();
    HttpCalls calls = new HttpCalls(client, RetryPolicy.DEFAULT.withSleeper(testing.waits::add));

    try (SandboxPool pool = pool(config, () -> E2bBackendProvider.create(settings, calls))) {
      assertThat(pool.call(() -> "by host name")).isEqualTo("by host name");
    }

    String id = fake.sandboxes.keySet().iterator().next();
    assertThat(fake.sandboxRequests).extracting(r -> r.getHeaders().get("Host"))
        .contains("49983-" + id + ".e2b.test", "49990-" + id + ".e2b.test")
        .allMatch(host -> host.endsWith("-" + id + ".e2b.test"));
  }
}
