package dev.airlock.internal.docker;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.model.Container;
import dev.airlock.internal.worker.WorkerClasspath;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Hosts that never close their pool: their containers are removed at exit, or by the next start when killed. */
@Timeout(120)
class DockerOrphanTest {

  @BeforeAll
  static void requireEngine() {
    DockerTestEngine.require();
  }

  @Test
  void aHostThatExitsWithoutClosingRemovesItsContainersOnShutdown() throws Exception {
    Process host = startWarmHost("exit");
    assertThat(host.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(containersOf(host)).as("containers of a host that exited").isEmpty();
  }

  @Test
  void containersOfAKilledHostAreReapedByTheNextStart() throws Exception {
    Process host = startWarmHost("wait");
    host.destroyForcibly().waitFor();
    assertThat(containersOf(host)).as("a SIGKILLed host cannot clean up").hasSize(2);

    new DockerBackendProvider().create(DockerTestEngine.config()).close();
    assertThat(containersOf(host)).as("reaped by the next backend start").isEmpty();
    try (var folders = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      assertThat(folders.map(p -> p.getFileName().toString()))
          .as("the dead host's channel folder is reaped too")
          .noneMatch(name -> name.startsWith("airlock-docker-" + host.pid() + "-"));
    }
  }

  private static Process startWarmHost(String mode) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String classpath = String.join(File.pathSeparator,
        WorkerClasspath.ofThisJvm().stream().map(Path::toString).toList());
    Process host = new ProcessBuilder(java, "-cp", classpath, DockerHostThatDies.class.getName(), mode)
        .redirectErrorStream(true).start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(host.getInputStream(), StandardCharsets.UTF_8));
      String line;
      do {
        line = out.readLine();
      } while (line != null && !line.startsWith("warm"));
      assertThat(line).as("the host warmed its pool").isEqualTo("warm 2");
      Thread drain = new Thread(() -> out.lines().forEach(l -> { }), "drain-" + host.pid());
      drain.setDaemon(true);
      drain.start();
      return host;
    } catch (RuntimeException | Error e) {
      host.destroyForcibly();
      throw e;
    }
  }

  private static List<Container> containersOf(Process host) {
    return DockerTestEngine.require().client().listContainersCmd().withShowAll(true)
        .withLabelFilter(Map.of(Owner.PID, Long.toString(host.pid()))).exec();
  }
}
