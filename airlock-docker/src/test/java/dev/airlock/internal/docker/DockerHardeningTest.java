package dev.airlock.internal.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.dockerjava.api.command.CreateContainerResponse;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.LogConfig;
import dev.airlock.AirlockConfig;
import dev.airlock.IsolationPosture.Control;
import dev.airlock.SandboxPool;
import dev.airlock.SandboxUnavailableException;
import dev.airlock.internal.backend.HostProcess;
import dev.airlock.spi.contract.ContractTools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/** What the Docker backend adds to the contract: each hardening measure, seen from inside and from the engine. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(120)
class DockerHardeningTest {
  private static final int PIDS_LIMIT = 48;

  private SandboxPool pool;

  @BeforeAll
  void startPool() {
    DockerTestEngine.require();
    pool = SandboxPool.builder(DockerTestEngine.config().toBuilder().pidsLimit(PIDS_LIMIT).memoryMb(96).build())
        .minSize(0).maxSize(1).build();
  }

  @AfterAll
  void closePool() {
    if (pool == null) {
      return;
    }
    pool.close();
    assertThat(DockerTestEngine.containersOfThisJvm()).extracting(Container::getNames).isEmpty();
  }

  /**
   * PID 1 of the worker's namespace is the host's lifeline, under another uid: the guest can neither hold its stdin
   * open as a second writer (it would never see the end), nor read its memory (ptrace access), nor kill it.
   */
  @Test
  void theGuestCannotHoldOrStopItsLifeline() throws InterruptedException {
    try (SandboxPool warm = SandboxPool.builder(DockerTestEngine.config()).minSize(1).maxSize(1).build()) {
      List<Container> workers = List.of();
      for (int i = 0; i < 300 && workers.size() != 1; i++) {
        Thread.sleep(100);
        workers = DockerTestEngine.workerContainersOfThisJvm().stream().filter(c -> "running".equals(c.getState()))
            .toList();
      }
      assertThat(workers).as("the warm worker").hasSize(1);
      InspectContainerResponse worker = DockerTestEngine.require().client().inspectContainerCmd(workers.get(0)
          .getId()).exec();
      String lifelineId = worker.getHostConfig().getPidMode().substring("container:".length());
      InspectContainerResponse lifeline = DockerTestEngine.require().client().inspectContainerCmd(lifelineId).exec();
      assertThat(lifeline.getConfig().getLabels()).containsKey(Owner.LIFELINE);
      assertThat(lifeline.getConfig().getUser()).isNotEqualTo(worker.getConfig().getUser());
      assertThat(lifeline.getHostConfig().getCapDrop()).contains(Capability.ALL);
      assertThat(lifeline.getHostConfig().getSecurityOpts()).contains("no-new-privileges");
      assertThat(lifeline.getHostConfig().getReadonlyRootfs()).isTrue();
      assertThat(lifeline.getHostConfig().getNetworkMode()).isEqualTo("none");

      List<String> seen = warm.call(DockerAttacks::attackPid1);
      assertThat(seen).as("the guest's view of PID 1 and its attempts on it").contains(
          "cmdline " + String.join(" ", lifeline.getConfig().getEntrypoint()), "stdin AccessDeniedException",
          "mem AccessDeniedException", "kill false").noneMatch(line -> line.equals("self 1"));
    }
  }

  @Test
  void rootFilesystemIsReadOnlyAndOnlyTmpIsWritable() {
    assertThat(pool.call(() -> DockerAttacks.tryWrite("/escape.txt"))).contains("Read-only file system");
    assertThat(pool.call(() -> DockerAttacks.tryWrite("/etc/passwd"))).contains("FileSystemException");
    assertThat(pool.call(() -> DockerAttacks.tryWrite("/tmp/scratch.txt"))).isEqualTo("wrote");
  }

  /**
   * Attack review 16: the engine's default hard core limit was unlimited, so a guest could raise its soft limit and
   * crash processes in a loop; each dump goes to the host's {@code core_pattern}, on many hosts a pipe to a handler
   * (apport, systemd-coredump) that the kernel runs as root on the host, outside the container's limits. Attack
   * review 35: a hard limit of 0 stopped no such pipe (the kernel hands a pipe the whole image and only passes the
   * limit on: a crashing guest JVM had 277 MB piped to a handler under {@code core 0:0}); a limit of 1 byte is the
   * kernel's own mark for "no core to a pipe".
   */
  @Test
  void theGuestCannotDumpCore() {
    assertThat(pool.call(DockerAttacks::coreLimit)).matches("Max core file size\\s+1\\s+1\\s+bytes\\s*");
  }

  /**
   * Attack review 16: the engine gives each container a devpts of its own, but the kernel's pty limit is one for
   * every such instance on the host ({@code kernel.pty.max} less the reserve, 3,072 by default): a guest opened them
   * all, and until its call ended no other container on the engine could get a terminal.
   */
  /**
   * The kernel keeps inotify instances (128), pending signals, message queue bytes and pipe buffers per uid, across
   * containers and the host: workers that all ran as 65534 shared them with each other and with the host's
   * {@code nobody}, and one guest took all 128 inotify instances of that uid (attack review 16). Each worker now has
   * a uid of its own.
   */
  @Test
  void eachWorkerRunsAsAUidOfItsOwn() {
    long first = pool.call(DockerAttacks::uid);
    long second = pool.call(DockerAttacks::uid);
    assertThat(first).isNotEqualTo(second).isGreaterThanOrEqualTo(1L << 30);
    assertThat(second).isGreaterThanOrEqualTo(1L << 30);
  }

  @Test
  void theGuestCannotTakeTheHostsPseudoTerminals() {
    assertThat(pool.call(() -> DockerAttacks.openPtys(10))).startsWith("opened 0: ");
  }

  @Test
  void classpathIsMountedReadOnly() throws Exception {
    String jar = Path.of(com.esotericsoftware.kryo.kryo5.Kryo.class.getProtectionDomain().getCodeSource()
        .getLocation().toURI()).toString();
    assertThat(pool.call(() -> DockerAttacks.tryWrite(jar))).contains("Read-only file system");
  }

  @Test
  void ofTheHostOnlyTheClasspathEntriesAreVisible() throws Exception {
    Path jar = Path.of(com.esotericsoftware.kryo.kryo5.Kryo.class.getProtectionDomain().getCodeSource()
        .getLocation().toURI());
    String folder = jar.getParent().toString();
    List<String> onHost;
    try (Stream<Path> files = Files.list(jar.getParent())) {
      onHost = files.map(p -> p.getFileName().toString()).toList();
    }
    assertThat(onHost).as("the jar's folder on the host holds more than the jar").hasSizeGreaterThan(1);
    assertThat(pool.call(() -> DockerAttacks.list(folder))).containsExactly(jar.getFileName().toString());

    String pom = Path.of("pom.xml").toAbsolutePath().toString();
    assertThat(Files.exists(Path.of(pom))).isTrue();
    assertThat(pool.call(() -> DockerAttacks.exists(pom))).as("the module's pom.xml, not on the classpath").isFalse();
    String home = System.getProperty("user.home");
    assertThat(pool.call(() -> DockerAttacks.exists(home + "/.bash_history") || DockerAttacks.exists("/etc/shadow")))
        .isFalse();
  }

  @Test
  void aThreadStormStopsAtThePidsLimit() {
    String outcome = pool.call(() -> DockerAttacks.threadStorm(PIDS_LIMIT * 4));
    int started = Integer.parseInt(outcome.substring(0, outcome.indexOf(' ')));
    assertThat(started).as(outcome).isLessThan(PIDS_LIMIT);
    assertThat(outcome).contains("OutOfMemoryError").doesNotContain("never refused");
  }

  @Test
  void postureReportsEveryHardeningMeasureAsEnforced() {
    assertThat(pool.posture().controls())
        .extracting(Control::name)
        .contains("network", "filesystem", "tmp", "capabilities", "privileges", "user", "environment", "memory",
            "pids", "cpu", "runtime", "labels", "syscalls");
    // Memory only on cgroup v2: v1 does not count socket buffers (DockerSocketMemoryTest, attack review 24).
    boolean cgroupV2 = "2".equals(DockerTestEngine.require().client().infoCmd().exec().getCGroupVersion());
    assertThat(pool.posture().controls()).filteredOn(c -> cgroupV2 || !c.name().equals("memory"))
        .allSatisfy(c -> assertThat(c.enforced()).as(c.toString()).isTrue());
    assertThat(pool.posture().control("pids").orElseThrow().how()).contains(Integer.toString(PIDS_LIMIT));
  }

  @Test
  void theEngineRecordsTheHardeningAndTheOwner() {
    AirlockConfig config = DockerTestEngine.config().toBuilder().pidsLimit(PIDS_LIMIT).memoryMb(64).cpus(0.5)
        .backendProperty(DockerSettings.RUNTIME, "runc").build();
    try (SandboxPool warm = SandboxPool.builder(config).minSize(1).maxSize(1).reuse(true).build()) {
      assertThat(warm.call(() -> "ready")).isEqualTo("ready");
      List<Container> ours = DockerTestEngine.workerContainersOfThisJvm();
      assertThat(ours).hasSize(1);
      InspectContainerResponse inspected = DockerTestEngine.require().client()
          .inspectContainerCmd(ours.get(0).getId()).exec();
      HostConfig host = inspected.getHostConfig();
      long memory = (64 + DockerBackend.NATIVE_HEADROOM_MB) * 1024 * 1024;
      assertThat(host.getNetworkMode()).isEqualTo("none");
      assertThat(host.getReadonlyRootfs()).isTrue();
      assertThat(host.getCapDrop()).contains(Capability.ALL);
      assertThat(host.getSecurityOpts()).contains("no-new-privileges");
      assertThat(host.getMemory()).isEqualTo(memory);
      assertThat(host.getMemorySwap()).isEqualTo(memory);
      assertThat(host.getPidsLimit()).isEqualTo(PIDS_LIMIT);
      assertThat(host.getNanoCPUs()).isEqualTo(500_000_000L);
      assertThat(host.getRuntime()).isEqualTo("runc");
      assertThat(host.getTmpFs()).containsKey("/tmp");
      assertThat(inspected.getConfig().getUser()).matches("(\\d{10}):\\1");
      assertThat(inspected.getConfig().getEnv()).noneMatch(e -> e.contains("AIRLOCK_TEST_SECRET"));
      assertThat(inspected.getConfig().getLabels())
          .containsEntry(Owner.WORKER, "true")
          .containsEntry(Owner.PID, Long.toString(ProcessHandle.current().pid()))
          .containsKey(Owner.SESSION);
      assertThat(warm.posture().control("runtime").orElseThrow().how()).contains("runc");
    }
  }

  @Test
  void anUnknownRuntimeFailsNamingTheKey() {
    AirlockConfig config = DockerTestEngine.config().toBuilder()
        .backendProperty(DockerSettings.RUNTIME, "airlock-no-such-runtime").build();
    try (SandboxPool broken = SandboxPool.builder(config).build()) {
      assertThatThrownBy(() -> broken.call(() -> 1))
          .isInstanceOf(SandboxUnavailableException.class)
          .hasMessageContaining("airlock-no-such-runtime")
          .hasMessageContaining(DockerSettings.RUNTIME);
    }
  }

  @Test
  void aMissingImageFailsNamingTheKeyAndTheFix() {
    AirlockConfig config = DockerTestEngine.config().toBuilder()
        .backendProperty(DockerSettings.IMAGE, "airlock-no-such-image:0").build();
    assertThatThrownBy(() -> new DockerBackendProvider().create(config))
        .isInstanceOf(SandboxUnavailableException.class)
        .hasMessageContaining(DockerSettings.IMAGE)
        .hasMessageContaining("docker build");
  }

  @Test
  void anUnreachableEngineNamesDockerHostAndTheFixAndFallsBackOnlyWhenAllowed() {
    String previous = System.getProperty("DOCKER_HOST");
    System.setProperty("DOCKER_HOST", "unix:///nonexistent/airlock/docker.sock");
    try {
      assertThatThrownBy(() -> new DockerBackendProvider().create(DockerTestEngine.config()))
          .isInstanceOf(SandboxUnavailableException.class)
          .hasMessageContaining("unix:///nonexistent/airlock/docker.sock")
          .hasMessageContaining("DOCKER_HOST")
          .hasMessageContaining("Start the Docker daemon");
      try (SandboxPool fallback = SandboxPool.builder(DockerTestEngine.config().toBuilder().sandboxRequired(false)
          .build()).build()) {
        assertThat(fallback.call(ContractTools::where)).as("runs on the host only because it may").startsWith("host");
        assertThat(fallback.stats().fallbacks()).isEqualTo(1);
      }
    } finally {
      if (previous == null) {
        System.clearProperty("DOCKER_HOST");
      } else {
        System.setProperty("DOCKER_HOST", previous);
      }
    }
  }

  /**
   * Two applications may share one engine from different PID namespaces (or machines, or boots): a pid the reaper
   * cannot see is no proof its owner is dead. Only an owner proven dead in this boot and namespace, or an expiry that
   * passed, lets a container go. The label names are spelled out: hosts of other versions read them.
   */
  @Test
  void onlyContainersOfOwnersProvenDeadOrPastTheirExpiryAreReaped() throws Exception {
    Process gone = new ProcessBuilder("true").start();
    gone.waitFor();
    HostProcess self = HostProcess.current();
    long now = System.currentTimeMillis();
    long later = now + 3_600_000;
    var client = DockerTestEngine.require().client();
    String deadHere = create(labels(self.boot(), self.pidNamespace(), gone.pid(), later));
    String otherNamespace = create(labels(self.boot(), "pid:[4026599999]", gone.pid(), later));
    String otherBoot = create(labels("0b5e1d2c-another-boot", self.pidNamespace(), gone.pid(), later));
    String otherBootExpired = create(labels("0b5e1d2c-another-boot", self.pidNamespace(), gone.pid(), now - 1000));
    Map<String, String> olderVersion = new HashMap<>(labels(self.boot(), "", gone.pid(), 0));
    olderVersion.remove("dev.airlock.owner.pidns");
    olderVersion.remove("dev.airlock.expires");
    String unlabelledNamespace = create(olderVersion);
    List<String> all = List.of(deadHere, otherNamespace, otherBoot, otherBootExpired, unlabelledNamespace);
    try {
      new DockerBackendProvider().create(DockerTestEngine.config()).close();
      List<String> left = client.listContainersCmd().withShowAll(true)
          .withLabelFilter(Map.of(Owner.WORKER, "true")).exec().stream().map(Container::getId).toList();
      assertThat(left).as("owner dead in this boot and PID namespace").doesNotContain(deadHere);
      assertThat(left).as("owner in another PID namespace, maybe alive").contains(otherNamespace);
      assertThat(left).as("owner of another boot, before expiry").contains(otherBoot);
      assertThat(left).as("owner of another boot, after expiry").doesNotContain(otherBootExpired);
      assertThat(left).as("owner without a namespace label (older version)").contains(unlabelledNamespace);
    } finally {
      for (String id : all) {
        DockerTestEngine.removeIfPresent(id);
      }
    }
  }

  private static Map<String, String> labels(String boot, String pidNamespace, long pid, long expires) {
    return Map.of("dev.airlock.worker", "true", "dev.airlock.owner.machine", boot,
        "dev.airlock.owner.pidns", pidNamespace, "dev.airlock.owner.pid", Long.toString(pid),
        "dev.airlock.owner.started", "1", "dev.airlock.session", "s-" + pid + "-" + expires,
        "dev.airlock.expires", Long.toString(expires));
  }

  private static String create(Map<String, String> labels) {
    CreateContainerResponse created = DockerTestEngine.require().client()
        .createContainerCmd(DockerTestEngine.IMAGE).withLabels(labels).withCmd("java", "-version").exec();
    return created.getId();
  }

  /** The engine keeps what the JVM prints outside the channel: bounded, and still readable by docker logs. */
  @Test
  void workerContainersLogToABoundedDriverAndCarryTheirOwnersNamespaceAndExpiry() {
    try (SandboxPool warm = SandboxPool.builder(DockerTestEngine.config()).minSize(1).maxSize(1).reuse(true)
        .build()) {
      assertThat(warm.call(() -> "ready")).isEqualTo("ready");
      List<Container> ours = DockerTestEngine.workerContainersOfThisJvm();
      assertThat(ours).hasSize(1);
      InspectContainerResponse inspected = DockerTestEngine.require().client()
          .inspectContainerCmd(ours.get(0).getId()).exec();
      LogConfig log = inspected.getHostConfig().getLogConfig();
      assertThat(log.getType().getType()).isEqualTo(LogConfig.LoggingType.JSON_FILE.getType());
      assertThat(log.getConfig()).containsEntry("max-size", "1m").containsEntry("max-file", "1");
      HostProcess self = HostProcess.current();
      long expires = Long.parseLong(inspected.getConfig().getLabels().get("dev.airlock.expires"));
      assertThat(inspected.getConfig().getLabels())
          .containsEntry("dev.airlock.owner.pidns", self.pidNamespace())
          .containsEntry("dev.airlock.owner.machine", self.boot());
      assertThat(expires - System.currentTimeMillis()).as("time until the expiry label lets other hosts reap it")
          .isGreaterThan(Owner.RETIRE_AFTER.toMillis());
    }
  }
}
