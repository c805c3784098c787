package dev.airlock.internal.intercept;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.AirlockRuntime;
import dev.airlock.annotation.Airlock;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Attack review 9: the interceptor took the system property {@code airlock.worker=true}, Airlock's marker for its
 * own workers, as proof that it runs in a sandbox and ran the method's body as it was. On a host JVM that carries
 * the flag (copied worker options, a {@code JAVA_TOOL_OPTIONS} shared with workers) every {@code @Airlock} method,
 * {@code sandboxRequired} ones too, ran on the host with no policy, approval, audit or sandbox, and nothing said so.
 */
@Timeout(60)
class WorkerMarkerOnHostTest {

  /** A tool whose body, if it runs, says so. */
  public static class Tool {
    @Airlock(sandbox = true, sandboxRequired = true)
    public String run() {
      return "ran";
    }
  }

  /** The host JVM with the flag: calls the tool through the interceptor and prints what happened. */
  public static final class HostWithFlag {
    public static void main(String[] args) throws Exception {
      System.out.println("isSandboxed: " + AirlockRuntime.isSandboxed());
      try {
        Object result = AirlockInterceptor.shared().intercept(new Tool(), Tool.class.getMethod("run"),
            new Object[0], () -> "BODY RAN ON THE HOST");
        System.out.println("result: " + result);
      } catch (Throwable t) {
        System.out.println("refused: " + t.getClass().getName() + ": " + t.getMessage());
      }
      AirlockRuntime.closePools();
    }
  }

  /** The marker alone makes no worker: such a host is a host, and its tool call goes through the guard to a worker. */
  @Test
  void aHostJvmCarryingTheWorkerMarkerIsAHostAndItsToolsRunSandboxed() throws Exception {
    String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
    Process process = new ProcessBuilder(List.of(java, "-Dairlock.worker=true", "-Dairlock.pool.eager=false",
        "-cp", System.getProperty("java.class.path"), HostWithFlag.class.getName()))
        .redirectErrorStream(true).start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(50, TimeUnit.SECONDS)).isTrue();

    assertThat(out).doesNotContain("BODY RAN ON THE HOST").contains("isSandboxed: false").contains("result: ran");
  }
}
