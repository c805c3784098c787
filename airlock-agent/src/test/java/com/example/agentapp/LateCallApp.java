package com.example.agentapp;

import dev.airlock.AirlockRuntime;
import dev.airlock.annotation.Airlock;

/**
 * An application that touches nothing of Airlock until its one tool call, a second after it starts: what Airlock
 * loads before then, and in which order, is the java agent's eager start alone.
 */
public final class LateCallApp {
  private LateCallApp() {
  }

  public static void main(String[] args) throws Exception {
    Thread.sleep(1000);
    System.out.println("where=" + Tool.where("x"));
    System.exit(0);
  }

  /** One tool. */
  public static final class Tool {
    private Tool() {
    }

    @Airlock(sandbox = true, sandboxRequired = true)
    public static String where(String text) {
      return text + (AirlockRuntime.isSandboxed() ? "@sandbox" : "@host");
    }
  }
}
