package dev.airlock.samples.agentboot;

import dev.airlock.AirlockRuntime;
import dev.airlock.annotation.Airlock;
import org.springframework.stereotype.Component;

/** A Spring bean whose tool method the agent sends to the sandbox, although it lives in a nested jar. */
@Component
public class BootTools {

  @Airlock(sandbox = true)
  public String where(String caller) {
    return caller + " -> sandboxed=" + AirlockRuntime.isSandboxed();
  }
}
