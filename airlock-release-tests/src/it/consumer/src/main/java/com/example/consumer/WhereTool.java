package com.example.consumer;

import dev.airlock.AirlockRuntime;
import dev.airlock.annotation.Airlock;

/** A tool as a user writes it: nothing but the annotation; the java agent does the rest. */
public class WhereTool {
  @Airlock(sandbox = true, sandboxRequired = true, timeoutSeconds = 60)
  public String where() {
    return AirlockRuntime.isSandboxed() ? "sandbox" : "host";
  }
}
