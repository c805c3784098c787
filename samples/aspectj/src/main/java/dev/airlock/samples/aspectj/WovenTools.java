package dev.airlock.samples.aspectj;

import dev.airlock.AirlockRuntime;
import dev.airlock.annotation.Airlock;
import java.io.Serializable;

/** Woven at compile time: calling these methods goes through Airlock with no agent and no proxy. */
public class WovenTools implements Serializable {
  private static final long serialVersionUID = 1L;

  @Airlock(sandbox = true, sandboxRequired = true, timeoutSeconds = 30)
  public String where() {
    return (AirlockRuntime.isSandboxed() ? "sandbox" : "host") + " pid " + ProcessHandle.current().pid();
  }

  /** Calls another woven tool from inside the sandbox: the aspect there must proceed, not loop. */
  @Airlock(sandbox = true, sandboxRequired = true, timeoutSeconds = 30)
  public String nested() {
    return "outer in " + where();
  }

  @Airlock(sandbox = true, sandboxRequired = true, timeoutSeconds = 30)
  public int divide(int a, int b) {
    return a / b;
  }
}
