package dev.airlock.samples.quickstart;

import dev.airlock.AirlockConfig;
import dev.airlock.AirlockRuntime;
import dev.airlock.SandboxExecutionException;
import dev.airlock.SandboxPool;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Calls code in a sandbox through the programmatic API and prints where it ran, the isolation posture, and what
 * happened to a malicious call.
 */
public final class Quickstart {

  private Quickstart() {
  }

  public static void main(String[] args) throws Exception {
    AirlockConfig config = AirlockConfig.fromEnvironment().toBuilder().poolMinSize(1).poolMaxSize(2)
        .timeoutSeconds(10).sandboxRequired(true).build();
    try (SandboxPool pool = SandboxPool.builder(config).build()) {
      System.out.println(pool.posture().describe());
      System.out.println();

      long hostPid = ProcessHandle.current().pid();
      String where = pool.call(() -> "sandboxed=" + AirlockRuntime.isSandboxed() + " worker pid="
          + ProcessHandle.current().pid() + " (as seen inside its PID namespace)");
      System.out.println("host pid=" + hostPid + " sandboxed=" + AirlockRuntime.isSandboxed());
      System.out.println("call 1 ran with " + where);

      int sum = pool.call(() -> java.util.stream.IntStream.rangeClosed(1, 100).sum());
      System.out.println("call 2 returned " + sum);

      Path marker = Path.of(System.getProperty("java.io.tmpdir"), "airlock-quickstart-escape.txt");
      Files.deleteIfExists(marker);
      String target = marker.toString();
      try {
        pool.call(() -> Files.writeString(Path.of(target), "escaped").toString());
        System.out.println("malicious call wrote its file inside the sandbox's private /tmp");
      } catch (SandboxExecutionException e) {
        System.out.println("malicious call failed inside the sandbox: " + e.getMessage());
      }
      System.out.println("host file written by the malicious call: " + (Files.exists(marker) ? "YES (not contained)"
          : "no (contained)"));

      try {
        pool.call(() -> {
          while (true) {
            Thread.onSpinWait();
          }
        }, java.time.Duration.ofSeconds(2));
      } catch (SandboxExecutionException e) {
        System.out.println("endless loop: " + e.getClass().getSimpleName() + ": " + e.getMessage());
      }
      System.out.println(pool.stats());
    }
  }
}
