package dev.airlock.security.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.abort;

import dev.airlock.SandboxCrashedException;
import dev.airlock.SandboxExecutionException;
import dev.airlock.SandboxedCodeException;
import dev.airlock.internal.worker.MachineCache;
import dev.airlock.internal.worker.WorkerClasspath;
import dev.airlock.internal.worker.WorkerLimits;
import dev.airlock.spi.contract.SandboxBackendContract;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile guest code against a backend: the core contract battery plus the attacks below. A backend module adds
 * itself by extending this class (through this module's test-jar) exactly as it extends the contract:
 *
 * <pre>{@code
 * class DockerGuestAttackTest extends GuestAttackSuite {
 *   protected AirlockConfig backendConfig() { return AirlockConfig.builder().backend("docker").build(); }
 *   protected void assertNothingLeftBehind() { ... no labelled container ... }
 * }
 * }</pre>
 */
public abstract class GuestAttackSuite extends SandboxBackendContract {
  private static final String HOST_SECRET_VALUE = "host-secret-must-not-leak";
  private static final String CLASSPATH_SECRET = "classpath-secret-must-not-leak";

  @Test
  void aStackOverflowStaysTheGuestsAndThePoolServesOn() {
    // An Error is never rebuilt on the host (it would look like the host's own): it arrives named.
    assertThatThrownBy(() -> pool().call(() -> GuestAttacks.recurse(0)))
        .isExactlyInstanceOf(SandboxedCodeException.class)
        .satisfies(e -> assertThat(((SandboxedCodeException) e).remoteClassName())
            .isEqualTo("java.lang.StackOverflowError"));
    assertThat(pool().call(() -> 1)).isEqualTo(1);
  }

  @Test
  void tenThousandThreadsAreCappedByThePidsLimit() {
    int limit = contractConfig().pidsLimit();
    int started = pool().call(() -> GuestAttacks.startThreads(10_000));
    assertThat(started).as("threads started against pids limit %d", limit).isLessThan(limit);
  }

  @Test
  void fillingTmpStopsAtItsBoundAndNeverReachesTheHost() {
    String name = "fill-" + UUID.randomUUID();
    long written = pool().call(() -> GuestAttacks.fillTmp(name));
    assertThat(written).as("bytes the guest wrote to /tmp").isLessThan(GuestAttacks.TMP_FILL_CAP);
    assertThat(Path.of("/tmp", name)).doesNotExist();
  }

  @Test
  void noProcessEnvironmentTheGuestCanReadHoldsAHostSecret() {
    assertThat(System.getenv(HOST_SECRET)).isEqualTo(HOST_SECRET_VALUE);
    String environs = pool().call(GuestAttacks::readAllEnvirons);
    assertThat(environs).doesNotContain(HOST_SECRET_VALUE).doesNotContain(HOST_SECRET);
  }

  /** Only the directories leading to the application's own jars (bound read-only) may show in the home. */
  @Test
  void theHostsHomeIsInvisibleBeyondThePathToTheClasspath() throws IOException {
    Path home = Path.of(System.getProperty("user.home"));
    List<String> onHost;
    try (Stream<Path> entries = Files.list(home)) {
      onHost = entries.map(p -> p.getFileName().toString()).toList();
    }
    // A local worker is also given the class-data archive it maps, at its own path in the user's cache folder.
    Path cache = MachineCache.folder();
    List<String> leadingToWorkerFiles = Stream.concat(WorkerClasspath.ofThisJvm().stream(), Stream.of(cache))
        .filter(p -> p.startsWith(home)).map(p -> home.relativize(p).getName(0).toString()).distinct().toList();
    List<String> hidden = onHost.stream().filter(name -> !leadingToWorkerFiles.contains(name)).toList();
    assertThat(hidden).as("the host's home has entries to hide").isNotEmpty();

    String where = home.toString();
    assertThat(pool().call(() -> GuestAttacks.list(where))).doesNotContainAnyElementsOf(hidden);
    String inCache = cache.toString();
    assertThat(pool().call(() -> GuestAttacks.list(inCache)))
        .as("of the user's cache folder (verdicts, libraries' lists, unpacked jars), only the archive workers map")
        .allMatch(name -> name.startsWith("worker-") && name.endsWith(".jsa"));
  }

  @Test
  void unixSocketsOfTheHostAreUnreachable(@TempDir Path hostDir) throws IOException {
    Path hostSocket = hostDir.resolve("host.sock");
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(hostSocket));
      server.configureBlocking(false);
      String path = hostSocket.toString();
      assertThat(pool().call(() -> GuestAttacks.connectUnix(path))).startsWith("refused");
      assertThat(pool().call(() -> GuestAttacks.connectUnix("/var/run/docker.sock"))).startsWith("refused");
      assertThat(server.accept()).as("a connection reached the host's socket").isNull();
    }
  }

  @Test
  void runtimeHaltIsACrashAndThePoolServesOn() {
    assertThatThrownBy(() -> pool().call(() -> GuestAttacks.halt(7)))
        .isInstanceOf(SandboxCrashedException.class)
        .hasMessageContaining("exit code 7");
    assertThat(pool().call(() -> 2)).isEqualTo(2);
  }

  @Test
  void aResultsHashCodeEqualsAndToStringDoNotRunOnTheHostWhenItArrives() {
    int before = Trap.CALLS.get();
    Object trap = pool().call(Trap::new);
    assertThat(Trap.CALLS.get()).as("Trap methods run while decoding").isEqualTo(before);
    assertThat(((Trap) trap).payload).isEqualTo("set by the guest");
  }

  @Test
  void nothingOutsideTheScratchFoldersIsWritable() {
    assertThat(pool().call(GuestAttacks::writeOutsideScratch)).as("outcome per folder")
        .noneMatch(outcome -> outcome.endsWith("WRITTEN"));
  }

  @Test
  void scratchFoldersAreSizeLimitedNoexecNosuidTmpfs() {
    for (String scratch : List.of("/tmp", "/dev/shm")) {
      String options = pool().call(() -> GuestAttacks.mountOptions(scratch));
      assertThat(options).as(scratch).contains("noexec", "nosuid", "tmpfs", "size=").startsWith("rw");
    }
    assertThat(pool().call(GuestAttacks::fillDevShm)).as("bytes written to /dev/shm")
        .isLessThan(GuestAttacks.TMP_FILL_CAP);
  }

  @Test
  void aBinaryDroppedInAScratchFolderDoesNotRun() {
    for (String scratch : List.of("/tmp", "/dev/shm")) {
      assertThat(pool().call(() -> GuestAttacks.runBinaryDroppedIn(scratch))).as(scratch).startsWith("refused");
    }
  }

  @Test
  void theGuestRunsUnderASeccompFilterWithNoPrivileges() {
    assertThat(pool().call(GuestAttacks::securityStatus))
        .contains("Seccomp:\t2").contains("NoNewPrivs:\t1").contains("CapEff:\t0000000000000000");
  }

  /** src/test/resources holds an application.properties, a .env and a key, as an application's build output does. */
  @Test
  void configurationAndKeysOnTheClasspathAreUnreadable() throws IOException {
    assertThat(GuestAttacks.readResource("application.properties")).as("on the host").contains(CLASSPATH_SECRET);
    for (String name : List.of("application.properties", "application-prod.yml", ".env", "tls/server.key",
        "META-INF/spring.factories")) {
      assertThat(pool().call(() -> GuestAttacks.readResource(name))).as(name).doesNotContain(CLASSPATH_SECRET);
      Path file = Path.of(GuestAttacks.class.getProtectionDomain().getCodeSource().getLocation().getPath(), name);
      assertThat(file).exists();
      String path = file.toString();
      assertThat(pool().call(() -> GuestAttacks.readFile(path))).as(path).doesNotContain(CLASSPATH_SECRET);
    }
  }

  /**
   * The host's huge page pool and AIO events are the whole host's, and io_uring is refused as the local filter
   * refuses it: a guest asks for each through a JVM it starts with native access (attack review 24: under the engine's
   * default profile a Docker guest took every AIO event and huge page of the host). Refused by the filter means
   * {@code EPERM} (1): without it, {@code mmap} fails with {@code ENOMEM} on a host with no pool, and the others
   * succeed.
   */
  @Test
  void theGuestGetsNoHugePagesAioContextsOrIoUring() {
    requireJdk17OnX8664();
    String answers = pool().call(GuestAttacks::nativeCallsThroughAChildJvm);
    assertThat(answers).as("what the kernel answered the guest").matches("mmap=-1/1 shmget=-1/\\d+ memfd_create=-1/1 "
        + "io_setup=-1/1 io_uring_setup=-1/1 .*");
  }

  /**
   * Memory of {@code memfd_secret} leaves the kernel's direct map of all memory, whose large pages the kernel then
   * splits for good: a Docker guest's 4 MiB of it broke 5 GiB of the host's 1 GiB mappings, 225 MiB down to 4 KiB
   * pages, each run more (attack review 27). A vsock socket reaches the hypervisor and its other machines whatever
   * the worker's network namespace. Both are refused ({@code EPERM}, 1); the engine's default profile allowed both. A
   * socket's family is an {@code int}: a bit in the argument's upper half, which the kernel drops, must not carry a
   * vsock or UDP socket past the rule (it did past the Docker profile's, which compared all 64 bits).
   */
  @Test
  void theGuestGetsNoSecretMemoryVsockOrUdpSockets() {
    requireJdk17OnX8664();
    String answers = pool().call(GuestAttacks::nativeCallsThroughAChildJvm);
    assertThat(answers).as("what the kernel answered the guest")
        .contains("memfd_secret=-1/1 vsock=-1/1 vsock_upper=-1/1 udp_upper=-1/1");
  }

  /**
   * {@code sync} writes back every dirty page of every filesystem of the host, and {@code syncfs} on a descriptor of
   * a bound host folder all of that filesystem's: in a loop, a guest makes the host's own writers wait on the disk.
   * Both are refused ({@code EPERM}); the engine's default profile allows both.
   */
  @Test
  void theGuestCannotMakeTheHostWriteBack() {
    requireJdk17OnX8664();
    String answers = pool().call(GuestAttacks::nativeCallsThroughAChildJvm);
    assertThat(answers).as("what the kernel answered the guest").endsWith("sync=-1/1 syncfs=-1/1");
  }

  /**
   * A lease on a file makes every other process's open of it (write lease) or its writers (read lease) wait up to the
   * kernel's {@code fs.lease-break-time}, 45 s, and its owner may take one on a file opened read-only. A bubblewrap
   * guest is the host user in the kernel's books, and owns what the host user owns: root's files on a root host
   * (attack review 35: a lease on the JDK's {@code lib/jvm.cfg}, bound read-only, held every {@code java} started on
   * the host 22 s; {@code GuestFileLeaseTest}). Refused by both sandboxes' filters ({@code EPERM}, 1), also with a bit
   * in the command's upper half, which the kernel drops; without them the guest leased its own file (0).
   */
  @Test
  void theGuestCannotLeaseAFile() {
    requireJdk17OnX8664();
    String answers = pool().call(GuestAttacks::nativeCallsThroughAChildJvm);
    assertThat(answers).as("what the kernel answered the guest").contains(" lease=-1/1 lease_upper=-1/1 ");
  }

  /**
   * Every devpts instance on the host but its first draws on one kernel limit, {@code kernel.pty.max} less its reserve
   * (3,072 by default): a local guest opened all 3,071 others (attack review 35, as a Docker guest had in attack
   * review 16), and no container or other sandbox on the host could get a terminal while it held them.
   */
  @Test
  void theGuestCannotTakeTheHostsPseudoTerminals() {
    assertThat(pool().call(() -> GuestAttacks.openPtys(10))).startsWith("opened 0; ");
  }

  /**
   * A crash's core goes to the host's {@code kernel.core_pattern}, on many hosts a pipe to a handler the kernel runs as
   * root on the host, outside the sandbox's limits, and feeds it the whole image whatever the limit, except a limit of
   * 1 byte (attack review 35: 250-350 MB a crashing guest JVM, three a second, under a local worker's soft limit of 0
   * and a Docker worker's hard limit of 0). The guest cannot raise it: the hard limit is 1 too.
   */
  @Test
  void theGuestCannotDumpCore() {
    String limit = pool().call(() -> GuestAttacks.ownLimit("Max core file size"));
    assertThat(limit.split("\\s+")).as(limit).containsSequence("1", "1", "bytes");
  }

  /**
   * The kernel refuses a process to pass descriptors over a Unix socket once its user's count in flight is above the
   * sender's descriptor limit, and counts memory locked with {@code shmctl(SHM_LOCK)} against one budget of the user:
   * a guest is its user in those books (a local guest the host user, a Docker guest the uid every worker of the engine
   * shares), and with the user's own limits it took both budgets whole (attack review 36, {@code
   * GuestUserBudgetsTest}: 20,240 descriptors in flight and 8 MiB locked, while the user's other processes could pass
   * and lock none). Its limits bound what it can take, and it cannot raise them: they are hard limits too.
   */
  @Test
  void theGuestCannotTakeItsUsersDescriptorsInFlightOrLockedMemory() {
    String files = pool().call(() -> GuestAttacks.ownLimit("Max open files"));
    String locked = pool().call(() -> GuestAttacks.ownLimit("Max locked memory"));
    String open = Integer.toString(WorkerLimits.filesOpen(WorkerClasspath.ofThisJvm().size()));
    assertThat(files.split("\\s+")).as(files).containsSequence(open, open, "files");
    assertThat(locked.split("\\s+")).as(locked).containsSequence("0", "0", "bytes");
  }

  /** The guest's program names x86-64 call numbers and the JDK 17 incubator foreign API. */
  private static void requireJdk17OnX8664() {
    boolean x8664 = List.of("amd64", "x86_64").contains(System.getProperty("os.arch"));
    if (!x8664 || Runtime.version().feature() != 17) {
      String reason = "the native-call attack runs on x86-64 workers of JDK 17; this is "
          + System.getProperty("os.arch") + " and JDK " + Runtime.version().feature();
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        fail(reason);
      }
      abort(reason);
    }
  }
}
