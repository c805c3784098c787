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
import java.util.ArrayList;
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
    assertThat(workers(containersOf(host))).as("a SIGKILLed host cannot clean up").hasSize(2);

    new DockerBackendProvider().create(DockerTestEngine.config()).close();
    assertThat(containersOf(host)).as("reaped by the next backend start").isEmpty();
    try (var folders = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      assertThat(folders.map(p -> p.getFileName().toString()))
          .as("the dead host's channel folder is reaped too")
          .noneMatch(name -> name.startsWith("airlock-docker-" + host.pid() + "-"));
    }
  }

  /**
   * Guest code stops the worker JVM's watchdogs and spins; the host is SIGKILLed mid-call. The container must end on
   * its own, with no other Airlock host starting on the engine: its end cannot depend on the host's timeout (dead), the
   * worker JVM (the guest's) or a later reaper.
   */
  @Test
  void aWorkerTakenOverByItsGuestEndsWhenItsHostIsKilled() throws Exception {
    Process host = startWarmHost("takeover");
    try {
      // The call reaches the guest, which stops the watchdogs and spins.
      Thread.sleep(4000);
      assertThat(running(host)).as("the guest spins in a running container").isNotEmpty();
      host.destroyForcibly().waitFor();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
      while (!running(host).isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(200);
      }
      assertThat(running(host)).as("containers still running 15 s after their host was killed").isEmpty();
    } finally {
      host.destroyForcibly().waitFor();
      for (Container c : containersOf(host)) {
        DockerTestEngine.removeIfPresent(c.getId());
      }
    }
  }

  /**
   * Another application on the same engine, in a PID namespace of its own (as in another container): its pid means
   * nothing here, and its live workers must survive this host's reaper.
   */
  @Test
  void containersOfALiveHostInAnotherPidNamespaceAreLeftAlone() throws Exception {
    Process host = startWarmHost("wait", "unshare", "--pid", "--mount-proc", "--kill-child");
    List<String> theirs = List.of();
    List<Container> withLifelines = List.of();
    try {
      ProcessHandle hostJvm = host.toHandle().children().findFirst().orElseThrow();
      assertThat(Files.readSymbolicLink(Path.of("/proc/" + hostJvm.pid() + "/ns/pid")))
          .isNotEqualTo(Files.readSymbolicLink(Path.of("/proc/self/ns/pid")));
      Map<String, String> theirLabel = Map.of(Owner.PID, pidInItsNamespace(hostJvm));
      withLifelines = DockerTestEngine.require().client().listContainersCmd().withShowAll(true)
          .withLabelFilter(theirLabel).exec();
      theirs = containers(theirLabel);
      assertThat(theirs).as("the other namespace's warm workers").hasSize(2);

      new DockerBackendProvider().create(DockerTestEngine.config()).close();
      assertThat(containers(theirLabel)).as("workers of a live host in another PID namespace, after this host's "
          + "reaper ran").containsExactlyInAnyOrderElementsOf(theirs);
    } finally {
      host.destroyForcibly().waitFor();
      // Killed, it cannot clean up, and no reaper here may remove what a host of another namespace left.
      for (Container c : withLifelines) {
        DockerTestEngine.removeIfPresent(c.getId());
      }
    }
  }

  /** The last {@code NSpid} entry: the pid the process sees as its own. */
  private static String pidInItsNamespace(ProcessHandle process) throws Exception {
    String line = Files.readAllLines(Path.of("/proc/" + process.pid() + "/status")).stream()
        .filter(l -> l.startsWith("NSpid:")).findFirst().orElseThrow();
    String[] pids = line.substring("NSpid:".length()).trim().split("\\s+");
    return pids[pids.length - 1];
  }

  private static List<String> containers(Map<String, String> labels) {
    return workers(DockerTestEngine.require().client().listContainersCmd().withShowAll(true).withLabelFilter(labels)
        .exec()).stream().map(Container::getId).toList();
  }

  private static List<Container> workers(List<Container> containers) {
    return containers.stream().filter(c -> !c.getLabels().containsKey(Owner.LIFELINE)).toList();
  }

  private static Process startWarmHost(String mode, String... wrapper) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String classpath = String.join(File.pathSeparator,
        WorkerClasspath.ofThisJvm().stream().map(Path::toString).toList());
    List<String> command = new ArrayList<>(List.of(wrapper));
    command.addAll(List.of(java, "-cp", classpath, DockerHostThatDies.class.getName(), mode));
    Process host = new ProcessBuilder(command).redirectErrorStream(true).start();
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

  private static List<String> running(Process host) {
    return containersOf(host).stream().filter(c -> "running".equals(c.getState())).map(Container::getId).toList();
  }

  private static List<Container> containersOf(Process host) {
    return DockerTestEngine.require().client().listContainersCmd().withShowAll(true)
        .withLabelFilter(Map.of(Owner.PID, Long.toString(host.pid()))).exec();
  }
}
