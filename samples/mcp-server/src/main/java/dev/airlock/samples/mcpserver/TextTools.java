package dev.airlock.samples.mcpserver;

import dev.airlock.AirlockRuntime;
import dev.airlock.annotation.Airlock;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Size;
import java.util.regex.Pattern;
import org.springframework.stereotype.Component;

/** Tools an agent calls over MCP. Stateless, so the bean itself ships to the sandbox worker as is. */
@Component
public class TextTools {

  /**
   * Runs a regular expression the model wrote over text the model chose: a classic way to burn a CPU (catastrophic
   * backtracking), so it runs in a sandbox under a timeout, never on the host.
   */
  @Airlock(sandbox = true, sandboxRequired = true, timeoutSeconds = 10)
  public Matches findAll(@NotBlank @Size(max = 200) String regex, @Size(max = 10_000) String text,
      @Min(1) @Max(100) int limit) {
    var matcher = Pattern.compile(regex).matcher(text);
    var found = new java.util.ArrayList<String>();
    while (found.size() < limit && matcher.find()) {
      found.add(matcher.group());
    }
    return new Matches(found, AirlockRuntime.isSandboxed());
  }

  /** Denied by the "text" policy in application.yml: an agent sees why, as a tool error. */
  @Airlock(policy = "text")
  public String deleteCorpus(String name) {
    throw new IllegalStateException("the policy lets no call through");
  }

  /** What a regular expression found, and whether it ran in a sandbox. */
  public record Matches(java.util.List<String> matches, boolean sandboxed) {
  }
}
