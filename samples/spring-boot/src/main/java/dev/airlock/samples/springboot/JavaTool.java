package dev.airlock.samples.springboot;

import dev.airlock.AirlockRuntime;
import dev.airlock.annotation.Airlock;
import java.util.stream.Collectors;
import jdk.jshell.JShell;
import org.springframework.stereotype.Component;

/** Evaluates Java an agent wrote. Stateless, so the bean itself ships to the worker as is. */
@Component
public class JavaTool {

  /** Refuses to run at all rather than run on the host when no sandbox can be had. */
  @Airlock(sandbox = true, sandboxRequired = true)
  public RunResult runJava(String snippet) {
    // The local engine evaluates in this JVM, the sandbox worker, not in a JVM JShell would start for itself.
    try (JShell shell = JShell.builder().executionEngine("local").build()) {
      String output = shell.eval(snippet).stream()
          .map(e -> e.exception() != null ? e.exception().toString() : String.valueOf(e.value()))
          .collect(Collectors.joining("; "));
      return new RunResult(output, AirlockRuntime.isSandboxed());
    }
  }

  /** What the snippet evaluated to, and whether it ran in a sandbox. */
  public record RunResult(String output, boolean sandboxed) {
  }
}
