package dev.airlock.security.guestoutput;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.AirlockConfig;
import dev.airlock.SandboxPool;
import dev.airlock.internal.docker.DockerTestEngine;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * On the Docker backend the worker's own stdout and stderr (which guest code can write to directly, past the LOG
 * frames) are the container's log: the engine's shim reads every byte and the engine writes it into a JSON log file,
 * on the host and outside the container's CPU limit. The log's size is bounded (1 MiB, one file), the work is not: a
 * guest writing for its whole call kept host processes copying at pipe speed for as long. The local backend closes
 * the console after 1 MiB for this reason; a Docker worker's console must cost the host no more.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class DockerConsoleFloodTest {
  private static final long FLOOD_MILLIS = 8_000;
  private static final long CLOCK_TICKS_PER_SECOND = 100;

  @BeforeAll
  static void requireEngine() {
    DockerTestEngine.requireEngine();
  }

  @Test
  void aGuestWritingToItsConsoleForItsWholeCallCostsTheHostsEngineLittle() {
    AirlockConfig config = DockerTestEngine.config().toBuilder().timeoutSeconds(60).build();
    try (SandboxPool pool = SandboxPool.builder(config).minSize(0).maxSize(1).reuse(false).build()) {
      assertThat(pool.call(() -> 1)).isEqualTo(1);
      long before = engineCpuTicks();

      String outcome = pool.call(DockerConsoleFloodTest::floodTheConsole);

      long engineMillis = (engineCpuTicks() - before) * 1000 / CLOCK_TICKS_PER_SECOND;
      assertThat(outcome).startsWith("flooded");
      assertThat(engineMillis).as("CPU ms of the engine's processes (dockerd, containerd, shims) while the guest "
          + "wrote to its console for %d ms: %s", FLOOD_MILLIS, outcome).isLessThan(FLOOD_MILLIS / 10);
    }
    assertThat(DockerTestEngine.containersOfThisJvm()).isEmpty();
  }

  /**
   * Guest code: writes lines to the process's own stdout for {@link #FLOOD_MILLIS}, as fast as it is let, through the
   * descriptor reopened by its path ({@code FileDescriptor.out} may be closed; the descriptor is what the engine
   * reads).
   */
  static String floodTheConsole() throws IOException {
    byte[] line = new byte[4096];
    Arrays.fill(line, (byte) 'x');
    line[line.length - 1] = '\n';
    FileOutputStream console = new FileOutputStream("/proc/self/fd/1");
    long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(FLOOD_MILLIS);
    long bytes = 0;
    String stop = "";
    while (System.nanoTime() < until) {
      try {
        console.write(line);
        bytes += line.length;
      } catch (IOException e) {
        stop = ", then " + e.getMessage();
        break;
      }
    }
    try {
      Thread.sleep(Math.max(0, TimeUnit.NANOSECONDS.toMillis(until - System.nanoTime())));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return "flooded " + bytes / (1024 * 1024) + " MiB" + stop;
  }

  /** utime + stime of every process of the engine on this machine, in clock ticks. */
  private static long engineCpuTicks() {
    long ticks = 0;
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      for (Path proc : procs.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit)).toList()) {
        try {
          String stat = Files.readString(proc.resolve("stat"));
          String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
          if (List.of("dockerd", "containerd").contains(name) || name.startsWith("containerd-shim")) {
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            ticks += Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
          }
        } catch (IOException | RuntimeException gone) {
          // The process ended meanwhile.
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return ticks;
  }
}
