package agentbench;

import dev.airlock.AirlockRuntime;
import dev.airlock.annotation.Airlock;
import java.util.List;

/**
 * The template of the agent-shaped benchmark's tools: {@code AgentScenarios} copies its class file as {@code Tool001}
 * ... {@code Tool099} (the name replaced in place), so each call can go to a class no worker has run before. Outside
 * {@code dev.airlock}, which the java agent never instruments.
 */
public final class Tool000 {

  private Tool000() {
  }

  /** Argument data and some string work, as a tool does; says where it ran. */
  @Airlock(sandbox = true, sandboxRequired = true, timeoutSeconds = 60)
  public static String run(String text, int n, List<String> words) {
    StringBuilder out = new StringBuilder((text + n).toUpperCase());
    for (String w : words) {
      out.append(' ').append(w.strip().toLowerCase());
    }
    return out.append(AirlockRuntime.isSandboxed() ? " @sandbox" : " @host").toString();
  }
}
