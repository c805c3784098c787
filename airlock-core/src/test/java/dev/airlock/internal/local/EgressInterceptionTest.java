package dev.airlock.internal.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpServer;
import dev.airlock.AirlockConfig;
import dev.airlock.AirlockPolicy;
import dev.airlock.SandboxPool;
import dev.airlock.annotation.Airlock;
import dev.airlock.internal.guard.Guard;
import dev.airlock.internal.guard.InProcessRateLimitStore;
import dev.airlock.internal.intercept.AirlockInterceptor;
import dev.airlock.internal.worker.WorkerClasspath;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.reflect.Method;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The whole path of an {@code @Airlock} tool with egress: the annotation's and its policy's entries reach the worker's
 * gate, the audit log counts what the proxy saw, and a failed call's exception says which host to allow.
 */
@Timeout(120)
class EgressInterceptionTest {
  private HttpServer server;
  private int port;
  private SandboxPool pool;

  /** A tool as an application writes it: plain JDK HTTP, a policy, and one name its annotation allows. */
  public static final class WebTools {
    @Airlock(sandbox = true, sandboxRequired = true, timeoutSeconds = 60, policy = "web", egress = "docs.test")
    public String fetch(String url) throws IOException {
      String result = EgressTools.fetch(url);
      if (!result.startsWith("200 ")) {
        throw new IOException("fetch failed: " + result);
      }
      return result;
    }
  }

  @BeforeAll
  static void requireBubblewrap() {
    boolean ci = "true".equalsIgnoreCase(System.getenv("CI"));
    assumeTrue(ci || Bubblewrap.onPath("bwrap") != null, "bubblewrap is not installed (apt-get install bubblewrap)");
  }

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", exchange -> {
      byte[] body = "hello".getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    server.start();
    port = server.getAddress().getPort();
    AirlockConfig config = AirlockConfig.builder().timeoutSeconds(60).set(AirlockConfig.EGRESS_ENABLED, "true")
        .build();
    pool = SandboxPool.builder(config).minSize(0).maxSize(1).reuse(false)
        .backend("local", () -> new LocalBackend(config, WorkerClasspath.ofThisJvm())).build();
  }

  @AfterEach
  void stop() {
    pool.close();
    server.stop(0);
  }

  private AirlockInterceptor interceptor() {
    AirlockPolicy web = AirlockPolicy.builder().egress("127.0.0.1:" + port).build();
    return new AirlockInterceptor(new AirlockInterceptor.PoolResolver() {
      @Override
      public AirlockConfig config() {
        return AirlockConfig.builder().timeoutSeconds(60).build();
      }

      @Override
      public SandboxPool pool(String backend, int memoryMb) {
        return pool;
      }
    }, new Guard(name -> name.equals("web") ? Optional.of(web) : Optional.empty(), new InProcessRateLimitStore(),
        Clock.systemUTC()));
  }

  @Test
  void thePolicysHostIsReachedAndARefusalNamesTheHostToAllow() throws Throwable {
    AirlockInterceptor interceptor = interceptor();
    WebTools tools = new WebTools();
    Method fetch = WebTools.class.getMethod("fetch", String.class);
    String allowed = "http://127.0.0.1:" + port + "/doc";
    assertThat(interceptor.intercept(tools, fetch, new Object[] {allowed}, () -> "ran on the host"))
        .isEqualTo("200 hello");
    assertThat(interceptor.auditLog().egressCounts()).containsEntry("hostsContacted", 1L)
        .containsEntry("refused", 0L);
    assertThat(interceptor.auditLog().egressCounts().get("bytesDown")).isPositive();

    String refused = "http://evil.example/steal";
    assertThatThrownBy(() -> interceptor.intercept(tools, fetch, new Object[] {refused}, () -> "ran on the host"))
        .isInstanceOf(IOException.class).hasMessageContaining("403")
        .satisfies(e -> assertThat(Arrays.stream(e.getSuppressed()).map(Throwable::getMessage))
            .anyMatch(m -> m.contains("evil.example") && m.contains("@Airlock(egress")));
    assertThat(interceptor.auditLog().egressCounts().get("refused")).isPositive();
  }
}
