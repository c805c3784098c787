package dev.airlock.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.AirlockConfig;
import dev.airlock.SandboxPool;
import dev.airlock.internal.worker.InstalledJdks;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The kernel counts a POSIX timer (and a queued real-time signal) against {@code RLIMIT_SIGPENDING} of its user in
 * every user namespace up to the host's, so a guest creating timers took the host user's whole budget, root's too
 * (the limit exempts no one): every other process of the user then failed {@code timer_create} and {@code sigqueue}
 * with EAGAIN while the call ran. Run as a uid of its own ({@code setpriv}), whose budget only this test touches; the
 * guest and the host each run {@link #TIMERS}, a JDK 25 source program calling {@code timer_create} through the FFM
 * API, which a guest may run with the JDK it is given.
 */
@Timeout(180)
class GuestSignalQueueTest {
  static final String TIMERS = """
      import java.lang.foreign.*;
      import java.lang.invoke.*;
      public class Timers {
        public static void main(String[] a) throws Throwable {
          Linker l = Linker.nativeLinker();
          MethodHandle create = l.downcallHandle(l.defaultLookup().find("timer_create").orElseThrow(),
              FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                  ValueLayout.ADDRESS));
          int max = Integer.parseInt(a[0]);
          int n = 0;
          try (Arena arena = Arena.ofConfined()) {
            MemorySegment id = arena.allocate(8);
            while (n < max && (int) create.invokeExact(1, MemorySegment.NULL, id) == 0) {
              n++;
            }
          }
          System.out.println(n + " timers");
          System.out.flush();
          Thread.sleep(Long.parseLong(a[1]));
        }
      }
      """;

  @Test
  void aGuestsTimersDoNotTakeTheHostUsersSignalBudget() throws Exception {
    // The FFM API, which calls timer_create, is final from JDK 22.
    List<Path> javas = InstalledJdks.atLeast(22);
    if (javas.isEmpty()) {
      InstalledJdks.missing("no JDK 22 or later in JAVA_HOME or under /usr/lib/jvm; install one to run this test");
    }
    Path java = javas.get(0);
    String out = NonRootJvm.run(List.of(), 61_236, TimerHungryGuestHost.class, java.toString());

    assertThat(out).as(out).contains("guest: ").contains("host: 1 timers").doesNotContain("failed: ");
    int guestTimers = Integer.parseInt(out.replaceAll("(?s).*guest: (\\d+) timers.*", "$1"));
    assertThat(guestTimers).as(out).isLessThanOrEqualTo(1_024);
  }

  /**
   * Runs the source program {@code source} with {@code java} and {@code args} as the current user, native access
   * allowed: its first line, once it exited.
   */
  static String firstLine(Path java, Path source, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(java.toString(), "--enable-native-access=ALL-UNNAMED",
        source.toString()));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String first = new String(p.getInputStream().readNBytes(4096)).lines().findFirst().orElse("").trim();
    p.waitFor();
    return first;
  }

  /**
   * The host JVM: a call whose guest creates timers until refused and holds them; then the host creates one. Its
   * workers, and so the guest, run on the JDK named by {@code args[0]}.
   */
  public static final class TimerHungryGuestHost {
    public static void main(String[] args) throws Exception {
      Path java = Path.of(args[0]);
      AirlockConfig config = AirlockConfig.builder().poolMinSize(0).poolMaxSize(1).sandboxRequired(true)
          .timeoutSeconds(90).localJava(java.toString()).localClassCache("off").build();
      try (SandboxPool pool = SandboxPool.builder(config).build()) {
        String source = TIMERS;
        CompletableFuture<String> guest = CompletableFuture.supplyAsync(() -> pool.call(() -> {
          Path file = Path.of("/tmp/Timers.java");
          Files.writeString(file, source);
          return firstLine(Path.of(System.getProperty("java.home"), "bin", "java"), file, "200000", "15000");
        }));
        Path hostSource = Files.createTempDirectory("timers").resolve("Timers.java");
        Files.writeString(hostSource, TIMERS);
        // The guest's first line comes when it holds its timers; the host tries while it holds them.
        Thread.sleep(9_000);
        String host = firstLine(java, hostSource, "1", "0");
        System.out.println("guest: " + guest.join());
        System.out.println("host: " + host);
      } catch (RuntimeException e) {
        System.out.println("failed: " + e);
      }
      System.exit(0);
    }
  }
}
