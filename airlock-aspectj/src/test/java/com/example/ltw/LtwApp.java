package com.example.ltw;

import dev.airlock.AirlockConfig;
import dev.airlock.AirlockRuntime;
import dev.airlock.annotation.Airlock;
import java.io.Serializable;

/** Compiled by plain javac; woven only when its JVM starts with the AspectJ weaver. */
public final class LtwApp implements Serializable {
  private static final long serialVersionUID = 1L;

  @Airlock(sandbox = true, sandboxRequired = true, timeoutSeconds = 30)
  public String where() {
    return AirlockRuntime.isSandboxed() ? "sandbox" : "host";
  }

  public static void main(String[] args) {
    AirlockRuntime.configure(AirlockConfig.builder().poolMinSize(0).poolMaxSize(1).build());
    System.out.println("where=" + new LtwApp().where());
    AirlockRuntime.closePools();
  }
}
