package dev.airlock.internal.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** A host killed with SIGKILL cannot clean up: its workers must still die with it. */
@Timeout(90)
class OrphanTest {

  @ParameterizedTest
  @EnumSource(names = {"STRICT", "NONE"})
  void workersDieWhenTheHostIsKilled(dev.airlock.AirlockConfig.LocalIsolation isolation) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String classpath = String.join(File.pathSeparator,
        dev.airlock.internal.worker.WorkerClasspath.ofThisJvm().stream().map(Path::toString).toList());
    Process host = new ProcessBuilder(java, "-cp", classpath, HostThatDies.class.getName(), isolation.name())
        .redirectErrorStream(true).start();
    List<Long> workers;
    try (BufferedReader out = new BufferedReader(new InputStreamReader(host.getInputStream(),
        StandardCharsets.UTF_8))) {
      String line;
      do {
        line = out.readLine();
      } while (line != null && !line.startsWith("workers"));
      assertThat(line).as("host reported its workers").isNotNull();
      workers = Arrays.stream(line.substring("workers".length()).trim().split(" "))
          .filter(s -> !s.isEmpty()).map(Long::parseLong).toList();
    } finally {
      host.destroyForcibly();
    }
    assertThat(workers).isNotEmpty();
    host.waitFor();
    long deadline = System.nanoTime() + 10_000_000_000L;
    List<Long> alive;
    do {
      Thread.sleep(100);
      alive = workers.stream().filter(pid -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false))
          .toList();
    } while (!alive.isEmpty() && System.nanoTime() < deadline);
    assertThat(alive).as("worker processes still alive after their host was killed").isEmpty();

    new LocalBackend(dev.airlock.AirlockConfig.defaults()).close();
    try (var dirs = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      assertThat(dirs.map(p -> p.getFileName().toString()))
          .as("the next backend start reaps the dead host's socket folder")
          .noneMatch(name -> name.startsWith("airlock-" + host.pid() + "-"));
    }
    for (String controller : List.of("memory", "pids", "cpu")) {
      Path groups = Path.of("/sys/fs/cgroup", controller, "airlock");
      if (Files.isDirectory(groups)) {
        try (var owners = Files.list(groups)) {
          assertThat(owners.map(p -> p.getFileName().toString()))
              .as("the next backend start reaps the dead host's %s cgroups", controller)
              .noneMatch(name -> name.startsWith(host.pid() + "."));
        }
      }
    }
  }
}
