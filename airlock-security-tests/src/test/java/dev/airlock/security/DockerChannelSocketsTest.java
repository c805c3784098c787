package dev.airlock.security;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.airlock.AirlockConfig;
import dev.airlock.SandboxPool;
import dev.airlock.internal.docker.DockerTestEngine;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Attack review 4. A Docker worker reaches the host through Unix sockets the host binds under the temp folder: its
 * channel, and with egress its gate to the proxy (which injects the configured secrets). Their folder was
 * searchable by every user ({@code rwx--x--x}), on the theory that a random name is found only by the container it
 * is mounted in; but {@code /proc/net/unix} lists every bound socket's path to every user. Another local user
 * connected to a running call's gate and had the proxy fetch from the call's allowed hosts, with its secrets; the
 * channel's socket, while a worker starts, would take the call itself. The container reaches both through its bind
 * mount, which does not walk the host's folders, so the folder is now the host user's alone.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class DockerChannelSocketsTest {

  @Test
  void anotherLocalUserCannotReachAWorkersSocketsThroughProcNetUnix() throws Exception {
    DockerTestEngine.requireEngine();
    Set<String> requests = ConcurrentHashMap.newKeySet();
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", exchange -> {
      requests.add(exchange.getRequestURI().getPath());
      byte[] body = "host data".getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    server.start();
    int port = server.getAddress().getPort();
    AirlockConfig config = DockerTestEngine.config().toBuilder().timeoutSeconds(120)
        .set(AirlockConfig.EGRESS_ALLOW, "127.0.0.1:" + port).build();
    String ours = "/airlock-docker-" + ProcessHandle.current().pid() + "-";
    try (SandboxPool pool = SandboxPool.builder(config).minSize(0).maxSize(1).reuse(false).build()) {
      CompletableFuture<String> call = CompletableFuture.supplyAsync(() -> pool.call(() -> {
        Thread.sleep(30_000);
        return "done";
      }));
      awaitSocketsOf(ours);

      String stolen = NonRootJvm.run(UnixSocketThief.class, ours, "http://127.0.0.1:" + port + "/stolen");

      assertThat(stolen).as("what uid 65534 saw").contains("FOUND").doesNotContain("CONNECTED");
      assertThat(requests).as("requests the host's server got").doesNotContain("/stolen");
      assertThat(call.get(90, TimeUnit.SECONDS)).isEqualTo("done");
    } finally {
      server.stop(0);
    }
    assertThat(DockerTestEngine.containersOfThisJvm()).isEmpty();
  }

  /** Waits until this JVM's Docker backend has a socket bound with a call running (its egress gate). */
  private static void awaitSocketsOf(String ours) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      if (Files.readAllLines(Path.of("/proc/net/unix")).stream().anyMatch(l -> l.contains(ours)
          && l.contains("egress"))) {
        Thread.sleep(2000);
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("no socket of this JVM's Docker backend appeared in /proc/net/unix");
  }
}
