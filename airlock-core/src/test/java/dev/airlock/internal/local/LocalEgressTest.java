package dev.airlock.internal.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.airlock.AirlockConfig;
import dev.airlock.SandboxCall;
import dev.airlock.SandboxExecutionException;
import dev.airlock.SandboxPool;
import dev.airlock.internal.egress.EgressProxy;
import dev.airlock.internal.egress.EgressReport;
import dev.airlock.internal.intercept.CallEgress;
import dev.airlock.internal.intercept.Invocation;
import dev.airlock.internal.intercept.PoolAccess;
import dev.airlock.internal.worker.WorkerClasspath;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import javax.net.ssl.X509TrustManager;
import okhttp3.tls.HandshakeCertificates;
import okhttp3.tls.HeldCertificate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Egress on the local backend, end to end: real bubblewrap sandboxes, real worker JVMs whose tools use the JDK's own
 * HTTP clients, the host's egress proxy, and an HTTP server on the host's loopback that the sandbox reaches only
 * through its gate (allowed by the explicit entry {@code 127.0.0.1:<port>}, or by a test name bound to it).
 */
@Timeout(180)
class LocalEgressTest {
  private static final byte[] BIG = new byte[4 * 1024 * 1024];
  /**
   * A body longer than any socket buffers between the server and the guest: loopback TCP buffers grow to several MiB,
   * so a body of BIG's size could move whole before the call that opened it ended.
   */
  private static final long ENDLESS_LENGTH = 256L * 1024 * 1024;

  private HttpServer server;
  private int port;
  /** The headers of each request the host's server received, by path. */
  private final Map<String, Map<String, List<String>>> received = new ConcurrentHashMap<>();

  @BeforeAll
  static void requireBubblewrap() {
    boolean ci = "true".equalsIgnoreCase(System.getenv("CI"));
    assumeTrue(ci || Bubblewrap.onPath("bwrap") != null, "bubblewrap is not installed (apt-get install bubblewrap)");
  }

  @BeforeEach
  void startServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", exchange -> {
      received.put(exchange.getRequestURI().getPath(), Map.copyOf(exchange.getRequestHeaders()));
      String path = exchange.getRequestURI().getPath();
      byte[] body = path.equals("/big") ? BIG : "hello from the host".getBytes(StandardCharsets.UTF_8);
      boolean endless = path.equals("/endless");
      exchange.sendResponseHeaders(200, endless ? ENDLESS_LENGTH : body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        if (endless) {
          for (long sent = 0; sent < ENDLESS_LENGTH; sent += BIG.length) {
            out.write(BIG);
          }
        } else {
          out.write(body);
        }
      } catch (IOException cut) {
        // the proxy cut the connection at the byte cap
      }
    });
    server.start();
    port = server.getAddress().getPort();
  }

  @AfterEach
  void stopServer() {
    server.stop(0);
  }

  /** Test names resolved on the host: both to the host's loopback; only entries decide which may be reached. */
  private static UnaryOperator<EgressProxy.Builder> testNames() {
    return b -> b.resolver(host -> {
      if (host.equals("secret.test") || host.equals("evil.test")) {
        return List.of(InetAddress.getLoopbackAddress());
      }
      throw new UnknownHostException(host);
    });
  }

  private static SandboxPool pool(AirlockConfig config) {
    return SandboxPool.builder(config).minSize(1).maxSize(2).reuse(false)
        .backend("local", () -> new LocalBackend(config, WorkerClasspath.ofThisJvm(), testNames())).build();
  }

  private AirlockConfig.Builder egress(String allow) {
    return AirlockConfig.builder().timeoutSeconds(60).set(AirlockConfig.EGRESS_ALLOW, allow);
  }

  /** Runs {@code call} as an {@code @Airlock} call whose annotation names {@code entries}; returns its result. */
  private static String run(SandboxPool pool, CallEgress egress, SandboxCall<String> call) throws Throwable {
    return (String) PoolAccess.invoke(pool, new Invocation(call, SandboxCall.class.getMethod("call"), new Object[0],
        Duration.ofSeconds(60), true, call::call, egress));
  }

  @Test
  void anAllowedHostIsReachedWithHttpClientAndOthersAreRefusedNamingTheHost() throws Throwable {
    String allowed = "http://127.0.0.1:" + port + "/page";
    try (SandboxPool pool = pool(egress("127.0.0.1:" + port).build())) {
      CallEgress first = CallEgress.none();
      assertThat(run(pool, first, () -> EgressTools.fetch(allowed))).isEqualTo("200 hello from the host");
      assertThat(received).containsKey("/page");
      EgressReport report = first.report().orElseThrow();
      assertThat(report.hostsContacted()).anyMatch(h -> h.contains(Integer.toString(port)));
      assertThat(report.bytesDown()).isPositive();
      assertThat(report.refused()).isEmpty();

      CallEgress second = CallEgress.none();
      String refusedHttp = "http://evil.test:" + port + "/evil";
      String refusedHttps = "https://evil.test/";
      String literal = "http://10.1.2.3/";
      String results = run(pool, second, () -> EgressTools.fetch(refusedHttp) + "\u0000"
          + EgressTools.https(refusedHttps) + "\u0000" + EgressTools.fetch(literal));
      String[] lines = results.split("\u0000");
      assertThat(lines[0]).startsWith("403");
      assertThat(lines[1]).startsWith("IOException").contains("403").contains("evil.test:443");
      assertThat(lines[2]).startsWith("403");
      assertThat(received).doesNotContainKey("/evil");
      assertThat(second.report().orElseThrow().refused()).anyMatch(r -> r.contains("evil.test"))
          .anyMatch(r -> r.contains("10.1.2.3"));
    }
  }

  /**
   * Attack review 21: the report keeps 100 refused attempts and a line counting the rest, and the audit's egress
   * totals (Micrometer's {@code airlock.egress}) counted the report's lines: a guest's 150 refused attempts counted
   * 101, and any number of them at most 101 a call, so a guest probing the network in a loop showed as a few.
   */
  @Test
  void everyRefusedAttemptOfACallIsCountedThoughTheReportKeepsAHundred() throws Throwable {
    try (SandboxPool pool = pool(egress("127.0.0.1:" + port).build())) {
      CallEgress egress = CallEgress.none();
      String results = run(pool, egress, () -> {
        int refused = 0;
        for (int i = 0; i < 150; i++) {
          refused += EgressTools.fetchOnce("http://10.1.2." + (i % 250) + "/").startsWith("403") ? 1 : 0;
        }
        return Integer.toString(refused);
      });
      assertThat(results).isEqualTo("150");
      EgressReport report = egress.report().orElseThrow();
      assertThat(report.refused()).hasSize(101).last().asString().contains("50 more");
      assertThat(report.refusedAttempts()).isEqualTo(150);

      dev.airlock.internal.guard.Guard guard = new dev.airlock.internal.guard.Guard(name -> java.util.Optional.empty(),
          new dev.airlock.internal.guard.InProcessRateLimitStore(), java.time.Clock.systemUTC());
      guard.audit(SandboxCall.class.getMethod("call"), "success", null, "local", Duration.ofMillis(1), new Object[0],
          report);
      assertThat(guard.auditLog().egressCounts()).containsEntry("refused", 150L);
    }
  }

  @Test
  void aSecretIsInjectedOnTheHostAndIsNowhereInTheSandbox() throws Throwable {
    // Made at run time: a constant would sit in this class's file, which the sandbox can read.
    String secret = "sk-" + UUID.randomUUID();
    AirlockConfig config = AirlockConfig.builder().timeoutSeconds(60)
        .set(AirlockConfig.EGRESS_SECRETS_PREFIX + "test.host", "secret.test:" + port)
        .set(AirlockConfig.EGRESS_SECRETS_PREFIX + "test.header", "X-Api-Key")
        .set(AirlockConfig.EGRESS_SECRETS_PREFIX + "test.value", secret)
        .set(AirlockConfig.EGRESS_SECRETS_PREFIX + "test.plain-http", "true")
        .build();
    String url = "http://secret.test:" + port + "/echo";
    try (SandboxPool pool = pool(config)) {
      CallEgress egress = CallEgress.of(new String[] {"secret.test:" + port, "127.0.0.1:" + port}, List.of());
      String everything = run(pool, egress, () -> EgressTools.everythingTheSandboxHas(url));
      assertThat(everything).contains("sent headers: {X-Tool=[sandboxed]}").contains("response: 200")
          .contains("environment: ").contains("file /proc/self/environ");
      assertThat(everything).doesNotContain(secret);
      assertThat(received.get("/echo")).containsEntry("X-api-key", List.of(secret))
          .containsEntry("X-tool", List.of("sandboxed"));
    }
  }

  /** The CA of the test's HTTPS server, which the proxy is told to trust upstream. */
  private static final HeldCertificate TLS_CA = new HeldCertificate.Builder().certificateAuthority(0)
      .commonName("egress test CA").build();

  /** An HTTPS server for secret.test on the host's loopback, answering every request with {@code answer}. */
  private static HttpsServer tlsServer(Function<HttpExchange, String> answer) throws IOException {
    HeldCertificate leaf = new HeldCertificate.Builder().addSubjectAlternativeName("secret.test").signedBy(TLS_CA)
        .build();
    HttpsServer tls = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    tls.setHttpsConfigurator(new HttpsConfigurator(new HandshakeCertificates.Builder()
        .heldCertificate(leaf, TLS_CA.certificate()).build().sslContext()));
    tls.createContext("/", exchange -> {
      byte[] body = answer.apply(exchange).getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      } catch (IOException cut) {
        // the proxy cut the connection
      }
    });
    tls.start();
    return tls;
  }

  /** A pool of one worker whose secret {@code value} goes in {@code Authorization} to secret.test on {@code port}. */
  private static SandboxPool tlsSecretPool(int port, String value) {
    AirlockConfig config = AirlockConfig.builder().timeoutSeconds(60)
        .set(AirlockConfig.EGRESS_SECRETS_PREFIX + "tls.host", "secret.test:" + port)
        .set(AirlockConfig.EGRESS_SECRETS_PREFIX + "tls.header", "Authorization")
        .set(AirlockConfig.EGRESS_SECRETS_PREFIX + "tls.value", value)
        .build();
    X509TrustManager upstream = new HandshakeCertificates.Builder().addTrustedCertificate(TLS_CA.certificate())
        .build().trustManager();
    return SandboxPool.builder(config).minSize(0).maxSize(1).reuse(false)
        .backend("local", () -> new LocalBackend(config, WorkerClasspath.ofThisJvm(),
            b -> testNames().apply(b).upstreamTrust(upstream))).build();
  }

  @Test
  void overHttpsTheWorkerTrustsOnlyThePoolCaAndTheSecretIsAddedOnTheHost() throws Throwable {
    HttpsServer tls = tlsServer(exchange -> {
      received.put("tls" + exchange.getRequestURI().getPath(), Map.copyOf(exchange.getRequestHeaders()));
      return "hello over tls";
    });
    int tlsPort = tls.getAddress().getPort();
    String secret = "sk-" + UUID.randomUUID();
    String url = "https://secret.test:" + tlsPort + "/api";
    try (SandboxPool pool = tlsSecretPool(tlsPort, "Bearer " + secret)) {
      CallEgress egress = CallEgress.of(new String[] {"secret.test:" + tlsPort, "127.0.0.1:" + tlsPort}, List.of());
      String everything = run(pool, egress, () -> EgressTools.everythingTheSandboxHas(url));
      assertThat(everything).contains("response: 200").contains("hello over tls")
          .contains("javax.net.ssl.trustStore=/run/airlock-egress/");
      assertThat(everything).doesNotContain(secret);
      assertThat(received.get("tls/api")).containsEntry("Authorization", List.of("Bearer " + secret));
    } finally {
      tls.stop(0);
    }
  }

  /**
   * Attack review 29, the headline: the guest never sees the secret echoed, only its own text reflected by an error
   * page, and used the proxy's cut as an oracle: from the public prefix of a key format it guessed the next character
   * (16 tries), kept the one whose reflection was cut, and read the whole key over HTTPS in one call.
   */
  @Test
  void aGuestCannotGuessTheSecretThroughTheWatchsCutOverAReflectingHost() throws Throwable {
    HttpsServer tls = tlsServer(exchange -> "no such model: " + exchange.getRequestURI().getQuery());
    int tlsPort = tls.getAddress().getPort();
    String known = "Bearer sk-live-";
    String secret = known + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    try (SandboxPool pool = tlsSecretPool(tlsPort, secret)) {
      CallEgress egress = CallEgress.of(new String[] {"secret.test:" + tlsPort, "127.0.0.1:" + tlsPort}, List.of());
      String base = "https://secret.test:" + tlsPort + "/v1/models";
      // The prefix is public, but a whole "Bearer ..." is refused at shipping as a token: the tool adds the scheme.
      String format = known.substring("Bearer ".length());
      String recovered = run(pool, egress, () -> EgressTools.guessThroughReflection(base, format, 16));
      assertThat(recovered).as("what the guest learned").startsWith(known)
          .hasSizeLessThanOrEqualTo(known.length() + 1);
      assertThat(egress.report().orElseThrow().refused())
          .anyMatch(r -> r.contains("sent back the injected secret"))
          .anyMatch(r -> r.contains("no further request from it gets a secret"));
    } finally {
      tls.stop(0);
    }
  }

  @Test
  void theGuestSeesOnlyItsOwnGateAndATrustStoreWithoutAKey() throws Throwable {
    AirlockConfig config = AirlockConfig.builder().timeoutSeconds(60)
        .set(AirlockConfig.EGRESS_SECRETS_PREFIX + "k.host", "secret.test")
        .set(AirlockConfig.EGRESS_SECRETS_PREFIX + "k.header", "X-Api-Key")
        .set(AirlockConfig.EGRESS_SECRETS_PREFIX + "k.value", "sk-" + UUID.randomUUID())
        .build();
    try (SandboxPool pool = SandboxPool.builder(config).minSize(2).maxSize(2).reuse(false)
        .backend("local", () -> new LocalBackend(config, WorkerClasspath.ofThisJvm(), testNames())).build()) {
      String seen = run(pool, CallEgress.none(), EgressTools::gateFolderAndTrustStore);
      assertThat(seen).contains("/run/airlock-egress: [egress-truststore.p12, egress.sock]")
          .contains("/run: [airlock-egress")
          .contains(" certificate").doesNotContain(" KEY").doesNotContain("trust store:")
          .doesNotContain("egress-w");
    }
  }

  @Test
  void aReusedWorkerGetsEachCallsOwnRulesAndNothingInBetween() throws Throwable {
    String url = "http://127.0.0.1:" + port + "/reused";
    AirlockConfig config = AirlockConfig.builder().timeoutSeconds(60).set(AirlockConfig.EGRESS_ENABLED, "true")
        .build();
    try (SandboxPool pool = SandboxPool.builder(config).minSize(1).maxSize(1).reuse(true)
        .backend("local", () -> new LocalBackend(config, WorkerClasspath.ofThisJvm(), testNames())).build()) {
      CallEgress allowed = CallEgress.of(new String[] {"127.0.0.1:" + port}, List.of());
      String first = run(pool, allowed, () -> EgressTools.fetchOnce(url) + " call "
          + EgressTools.CALLS.incrementAndGet());
      assertThat(first).isEqualTo("200 hello from the host call 1");
      // The same worker JVM (its static counter goes on), the next call naming nothing: the host is closed again.
      String second = run(pool, CallEgress.none(), () -> EgressTools.fetchOnce(url) + " call "
          + EgressTools.CALLS.incrementAndGet());
      assertThat(second).startsWith("403").endsWith(" call 2");
    }
  }

  @Test
  void aConnectionKeptByAReusedWorkerEndsWithTheCallThatOpenedIt() throws Throwable {
    AirlockConfig config = AirlockConfig.builder().timeoutSeconds(60).set(AirlockConfig.EGRESS_ENABLED, "true")
        .build();
    String hostPort = "127.0.0.1:" + port;
    try (SandboxPool pool = SandboxPool.builder(config).minSize(1).maxSize(1).reuse(true)
        .backend("local", () -> new LocalBackend(config, WorkerClasspath.ofThisJvm(), testNames())).build()) {
      CallEgress opening = CallEgress.of(new String[] {hostPort}, List.of());
      String first = run(pool, opening, () -> EgressTools.openAndKeep(hostPort, "/endless"));
      assertThat(first).isEqualTo("read 1000");
      CallEgress later = CallEgress.none();
      String second = run(pool, later, EgressTools::drainKept);
      long more = Long.parseLong(second.replaceAll("^(ended|cut) after (\\d+).*$", "$2"));
      // What the proxy had moved before the first call ended sits in the sandbox's socket buffers and may still be
      // read; nothing moves once it ended: the second call moves no byte, and the stream ends short of the body.
      assertThat(later.report().orElseThrow().bytesDown()).isZero();
      assertThat(1000 + more).as(second).isLessThanOrEqualTo(opening.report().orElseThrow().bytesDown())
          .isLessThan(ENDLESS_LENGTH);
    }
  }

  @Test
  void theByteCapCutsACallThatDownloadsMore() throws Throwable {
    String url = "http://127.0.0.1:" + port + "/big";
    try (SandboxPool pool = pool(egress("127.0.0.1:" + port)
        .set(AirlockConfig.EGRESS_MAX_BYTES_PER_CALL, "262144").build())) {
      CallEgress egress = CallEgress.none();
      String result = run(pool, egress, () -> EgressTools.countBytes(url));
      // The proxy cuts the connection; HttpURLConnection may report that as an early end rather than an error.
      long got = Long.parseLong(result.replaceAll("^(complete|cut after) (\\d+).*$", "$2"));
      assertThat(got).as(result).isLessThan(BIG.length / 2);
      assertThat(egress.report().orElseThrow().bytesDown()).isLessThanOrEqualTo(262144 + 64 * 1024);
    }
  }

  @Test
  void aCallWithoutEgressHasNoNetworkAtAll() throws Throwable {
    int hostPort = port;
    try (SandboxPool pool = pool(AirlockConfig.builder().timeoutSeconds(60).build())) {
      String seen = run(pool, CallEgress.none(), () -> EgressTools.directConnect("127.0.0.1", hostPort) + " | "
          + EgressTools.fetch("http://127.0.0.1:" + hostPort + "/none") + " | " + System.getProperty("http.proxyHost")
          + " | " + java.nio.file.Files.exists(java.nio.file.Path.of("/run/airlock-egress")));
      assertThat(seen).startsWith("IOException").contains("| IOException").endsWith("| null | false");
      assertThat(received).isEmpty();
      assertThatThrownBy(() -> run(pool, CallEgress.of(new String[] {"127.0.0.1:" + hostPort}, List.of()),
          () -> "ran")).isInstanceOf(SandboxExecutionException.class).hasMessageContaining("airlock.egress.enabled");
    }
  }

  @Test
  void aPoolWithEgressGivesACallThatNamesNothingNoWayOut() throws Throwable {
    int hostPort = port;
    try (SandboxPool pool = pool(AirlockConfig.builder().timeoutSeconds(60)
        .set(AirlockConfig.EGRESS_ENABLED, "true").build())) {
      CallEgress egress = CallEgress.none();
      String seen = run(pool, egress, () -> EgressTools.fetch("http://127.0.0.1:" + hostPort + "/nothing") + " | "
          + EgressTools.directConnect("127.0.0.1", hostPort) + " | "
          + EgressTools.tryWrite("/run/airlock-egress/fill") + " | " + EgressTools.tryWrite("/run/airlock-egress"
          + "/egress.sock"));
      // The gate's folder is a host folder bound read-only: the guest cannot fill the host's disk through it.
      assertThat(seen).startsWith("403").contains("| IOException: java.net")
          .contains("/run/airlock-egress/fill: Read-only file system").doesNotContain("wrote");
      assertThat(received).isEmpty();
      assertThat(egress.report().orElseThrow().refused()).isNotEmpty();
    }
  }
}
