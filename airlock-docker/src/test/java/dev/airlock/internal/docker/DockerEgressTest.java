package dev.airlock.internal.docker;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.model.Container;
import com.sun.net.httpserver.HttpServer;
import dev.airlock.AirlockConfig;
import dev.airlock.SandboxPool;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Egress on Docker: the container keeps network {@code none}; its only way out is the gate socket bound in, so a tool
 * using {@code HttpClient} reaches the host-loopback server named by {@code 127.0.0.1:<port>} and nothing else.
 */
@Timeout(180)
class DockerEgressTest {
  private HttpServer server;
  private int port;
  private final Set<String> paths = ConcurrentHashMap.newKeySet();

  @BeforeAll
  static void requireEngine() {
    DockerTestEngine.require();
  }

  @BeforeEach
  void startServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", exchange -> {
      paths.add(exchange.getRequestURI().getPath());
      byte[] body = "hello from the host".getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    server.start();
    port = server.getAddress().getPort();
  }

  @AfterEach
  void stopServer() {
    server.stop(0);
    assertThat(DockerTestEngine.containersOfThisJvm()).extracting(Container::getNames).isEmpty();
  }

  static String fetch(String url) {
    try {
      HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url))
          .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
      return response.statusCode() + " " + response.body();
    } catch (IOException | InterruptedException e) {
      return "IOException: " + e.getMessage();
    }
  }

  static String directConnect(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 3000);
      return "connected";
    } catch (IOException e) {
      return "IOException: " + e;
    }
  }

  @Test
  void anAllowedHostIsReachedThroughTheGateAndOthersAreRefused() {
    String allowed = "http://127.0.0.1:" + port + "/page";
    AirlockConfig config = DockerTestEngine.config().toBuilder()
        .set(AirlockConfig.EGRESS_ALLOW, "127.0.0.1:" + port).build();
    try (SandboxPool pool = SandboxPool.builder(config).minSize(1).maxSize(1).reuse(false).build()) {
      assertThat(pool.call(() -> fetch(allowed))).isEqualTo("200 hello from the host");
      assertThat(paths).containsExactly("/page");
      int hostPort = port;
      assertThat(pool.call(() -> fetch("http://10.1.2.3:" + hostPort + "/literal"))).startsWith("403");
      assertThat(pool.call(() -> fetch("http://example.invalid/"))).startsWith("403");
      assertThat(pool.call(() -> directConnect(hostPort))).startsWith("IOException");
      assertThat(paths).containsExactly("/page");
    }
  }

  @Test
  void withoutEgressTheContainerHasNoNetworkAndNoProxySettings() {
    int hostPort = port;
    try (SandboxPool pool = SandboxPool.builder(DockerTestEngine.config()).minSize(0).maxSize(1).build()) {
      assertThat(pool.call(() -> fetch("http://127.0.0.1:" + hostPort + "/none") + " | "
          + System.getProperty("http.proxyHost"))).startsWith("IOException").endsWith("| null");
    }
    assertThat(paths).isEmpty();
  }
}
