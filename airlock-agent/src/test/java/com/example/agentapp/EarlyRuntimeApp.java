package com.example.agentapp;

import dev.airlock.AirlockRuntime;
import dev.airlock.SandboxPool;

/**
 * An application that uses {@code AirlockRuntime} itself, before any tool call and while the agent's eager start
 * runs: the configuration it reads holds the agent's options, and its pool stays open.
 */
public final class EarlyRuntimeApp {
  private EarlyRuntimeApp() {
  }

  public static void main(String[] args) throws Exception {
    SandboxPool pool = AirlockRuntime.pool();
    System.out.println("timeout=" + AirlockRuntime.config().timeoutSeconds());
    // Past the agent's build and its eager start on a loaded machine.
    Thread.sleep(3000);
    System.out.println("same-pool=" + (AirlockRuntime.pool() == pool));
    System.out.println("call=" + pool.call(() -> AirlockRuntime.isSandboxed() ? "sandbox" : "host"));
    System.exit(0);
  }
}
