package dev.airlock.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.abort;

import dev.airlock.AirlockConfig;
import dev.airlock.SandboxPool;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Attack review 35. A bubblewrap guest is the host user in the kernel's books (its uid 65534 maps to the host user's
 * own), so it owns every file the host user owns, root's when the host runs as root. An owner may take a lease on a
 * file opened read-only, and a write lease makes every other process's {@code open} of the file wait until the holder
 * lets go or {@code fs.lease-break-time} (45 s) passes; the holder only has to survive the {@code SIGIO} that tells
 * it. Here the guest leases a file of the host's build output, bound read-only into its sandbox, and holds it; the
 * host then reads the file, as it reads a class file when it loads the class. Before the fix the host's read waited
 * until the guest let go (33 s by hand; a lease on the JDK's {@code lib/jvm.cfg} held every {@code java} started on
 * the host 22 s). Now the seccomp filter refuses {@code F_SETLEASE} with {@code EPERM}.
 */
@Timeout(180)
class GuestFileLeaseTest {
  private static final long HOLD_MILLIS = 20_000;

  /**
   * A JDK 17 program (incubator foreign API, x86-64 call numbers): opens {@code args[0]} read-only, has the kernel's
   * lease-break signal be one whose default is to ignore it ({@code F_SETSIG}, {@code SIGURG}) so that it survives
   * the break, takes a write lease, prints what the kernel answered and holds it for {@code args[1]} ms.
   */
  private static final String LEASE = """
      import jdk.incubator.foreign.*;
      import java.lang.invoke.*;
      public class Lease {
        public static void main(String[] args) throws Throwable {
          CLinker c = CLinker.getInstance();
          MethodHandle syscall = c.downcallHandle(CLinker.systemLookup().lookup("syscall").get(),
              MethodType.methodType(long.class, long.class, long.class, long.class, long.class),
              FunctionDescriptor.of(CLinker.C_LONG, CLinker.C_LONG, CLinker.C_LONG, CLinker.C_LONG, CLinker.C_LONG));
          MethodHandle errno = c.downcallHandle(CLinker.systemLookup().lookup("__errno_location").get(),
              MethodType.methodType(MemoryAddress.class), FunctionDescriptor.of(CLinker.C_POINTER));
          MemorySegment path = CLinker.toCString(args[0], ResourceScope.globalScope());
          long fd = (long) syscall.invokeExact(2L, path.address().toRawLongValue(), 0L, 0L);
          long signal = (long) syscall.invokeExact(72L, fd, 10L, 23L);
          long lease = (long) syscall.invokeExact(72L, fd, 1024L, 1L);
          int error = MemoryAccess.getInt(((MemoryAddress) errno.invokeExact()).asSegment(4,
              ResourceScope.globalScope()));
          System.out.println("fd=" + fd + " lease=" + lease + "/" + (lease == -1 ? error : 0));
          System.out.flush();
          Thread.sleep(Long.parseLong(args[1]));
        }
      }
      """;

  @Test
  void aGuestCannotHoldTheHostsOpenOfAFileItCanRead() throws Exception {
    requireJdk17OnX8664();
    // A file of the host's build output (this class's folder), which every worker sees read-only.
    Path classes = Path.of(GuestFileLeaseTest.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    Path file = Files.writeString(classes.resolve("dev/airlock/security/LeaseVictim" + System.nanoTime() + ".class"),
        "a class file the host loads later");
    AirlockConfig config = AirlockConfig.builder().backend("local").localIsolation(AirlockConfig.LocalIsolation.STRICT)
        .poolMinSize(0).poolMaxSize(1).timeoutSeconds(60).memoryMb(128).sandboxRequired(true).build();
    String path = file.toString();
    String inode = Files.getAttribute(file, "unix:ino").toString();
    try (SandboxPool pool = SandboxPool.builder(config).build()) {
      CompletableFuture<String> guest = CompletableFuture.supplyAsync(() -> pool.call(() -> leaseAndHold(path)));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
      while (!guest.isDone() && !leased(inode) && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      long start = System.nanoTime();
      byte[] read = Files.readAllBytes(file);
      long tookMillis = (System.nanoTime() - start) / 1_000_000;
      String answer = guest.get(120, TimeUnit.SECONDS);
      assertThat(read).isNotEmpty();
      assertThat(tookMillis).as("the host's read of %s while the guest answered '%s'", path, answer)
          .isLessThan(2_000);
      assertThat(answer).as("what the kernel answered the guest's lease").contains("lease=-1/1");
    } finally {
      Files.deleteIfExists(file);
    }
  }

  /** Whether {@code /proc/locks} lists a lease on the inode. */
  private static boolean leased(String inode) throws IOException {
    return Files.readAllLines(Path.of("/proc/locks")).stream()
        .anyMatch(l -> l.contains(" LEASE ") && l.contains(":" + inode + " "));
  }

  /** Guest side: runs {@link #LEASE} in a JVM of its own on {@code path}; its answer, once it let go. */
  static String leaseAndHold(String path) throws IOException, InterruptedException {
    Path source = Files.writeString(Files.createTempDirectory("lease").resolve("Lease.java"), LEASE);
    Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--add-modules", "jdk.incubator.foreign", "--enable-native-access=ALL-UNNAMED", "-Xmx32m",
        "-XX:TieredStopAtLevel=1", source.toString(), path, Long.toString(HOLD_MILLIS)).redirectErrorStream(true)
        .start();
    String answer = "no answer";
    try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
        StandardCharsets.UTF_8))) {
      for (String line = out.readLine(); line != null; line = out.readLine()) {
        if (line.contains("lease=")) {
          answer = line;
          break;
        }
      }
      if (!child.waitFor(HOLD_MILLIS + 10_000, TimeUnit.MILLISECONDS)) {
        child.destroyForcibly();
      }
    }
    return answer;
  }

  private static void requireJdk17OnX8664() {
    boolean x8664 = List.of("amd64", "x86_64").contains(System.getProperty("os.arch"));
    if (!x8664 || Runtime.version().feature() != 17) {
      String reason = "the lease attack runs on x86-64 workers of JDK 17; this is " + System.getProperty("os.arch")
          + " and JDK " + Runtime.version().feature();
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        fail(reason);
      }
      abort(reason);
    }
  }
}
