package dev.airlock.spring.nostatictool;

import dev.airlock.AirlockRuntime;
import dev.airlock.annotation.Airlock;

/**
 * An application package with no static tool: a class-level {@code @Airlock} governs the public instance methods,
 * never a static one, which stays a plain helper.
 */
@Airlock(sandbox = true, sandboxRequired = true, timeoutSeconds = 60)
public class ClassLevelTools {
  public String where() {
    return AirlockRuntime.isSandboxed() ? "sandbox" : "HOST";
  }

  public static String helper() {
    return "helper";
  }
}
