package dev.airlock.mcp;

import dev.airlock.AirlockRuntime;
import dev.airlock.annotation.Airlock;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Size;
import java.util.List;

/** The tools the MCP tests serve: one per outcome a client must see. */
public class McpTools {
  /** How the answer is phrased. */
  public enum Tone { PLAIN, LOUD }

  /** A structured argument. */
  public record Line(@NotBlank String text, @Min(1) @Max(10) int repeat) {
  }

  /** A structured result. */
  public record Summary(int lines, int characters, String where) {
  }

  /** Runs in a worker of the local backend; says where it ran. */
  @Airlock(sandbox = true, sandboxRequired = true, timeoutSeconds = 60)
  public String whereAmI(@NotBlank @Size(max = 40) String greeting, Tone tone) {
    String answer = greeting + " from " + (AirlockRuntime.isSandboxed() ? "the sandbox" : "the host");
    return tone == Tone.LOUD ? answer.toUpperCase(java.util.Locale.ROOT) : answer;
  }

  /** The sandboxed process dies mid-call: a sandbox failure. */
  @Airlock(sandbox = true, sandboxRequired = true, timeoutSeconds = 60)
  public String crash() {
    Runtime.getRuntime().halt(3);
    return "unreachable";
  }

  /** Its policy denies it: a block. */
  @Airlock(policy = "mcp-test")
  public String deleteEverything() {
    throw new AssertionError("a denied tool ran");
  }

  /** Runs on the host under the guard: who the interceptor saw calling. */
  @Airlock(timeoutSeconds = 10)
  public String caller() {
    return dev.airlock.AirlockContext.current().map(c -> c.agentId() + " in session " + c.sessionId()).orElse("none");
  }

  /** Runs on the host under the guard; takes records and lists, returns a record. */
  @Airlock(timeoutSeconds = 10)
  public Summary summarize(@Size(min = 1, max = 5) List<Line> lines) {
    int characters = lines.stream().mapToInt(line -> line.text().length() * line.repeat()).sum();
    return new Summary(lines.size(), characters, AirlockRuntime.isSandboxed() ? "sandbox" : "host");
  }
}
