package dev.airlock.spring.statictool;

import dev.airlock.AirlockRuntime;
import dev.airlock.annotation.Airlock;

/**
 * A static tool of a class that is no bean (as a LangChain4j or Spring AI tool may be), in an application package:
 * Spring's proxy never reaches it, so {@code LooseShellTools.run("id")} ran its body on the host.
 */
public final class LooseShellTools {
  private LooseShellTools() {
  }

  @Airlock(sandbox = true, sandboxRequired = true, timeoutSeconds = 60)
  public static String run(String command) {
    return command + " ran " + (AirlockRuntime.isSandboxed() ? "sandboxed" : "on the HOST");
  }
}
