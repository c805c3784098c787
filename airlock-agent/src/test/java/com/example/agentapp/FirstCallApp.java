package com.example.agentapp;

import dev.airlock.AirlockRuntime;
import dev.airlock.SandboxPool;
import dev.airlock.annotation.Airlock;
import dev.airlock.internal.intercept.HostWarmUp;
import java.time.Duration;

/**
 * An application whose first tool call comes after the agent's eager start has readied everything: its worker is up
 * and the tool's class is loaded, as an agent framework loads its tools when it registers them. The marks around the
 * call let a test read what the call itself loaded off {@code -Xlog:class+load}.
 */
public final class FirstCallApp {
  private FirstCallApp() {
  }

  public static void main(String[] args) throws Exception {
    SandboxPool pool = AirlockRuntime.pool();
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (pool.stats().idle() < 1 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    // The worker can be idle before the eager start is done: it starts while the sandbox is probed. The host's
    // warm-up is awaited; the agent's dispatch, linked on the eager start's thread, is given the second an agent
    // framework's first call comes after start.
    HostWarmUp.awaitWarm(Duration.ofSeconds(60));
    Thread.sleep(1000);
    Class.forName(Tool.class.getName());
    System.out.println("first-call-starts");
    String where = Tool.where("x");
    System.out.println("first-call-done");
    System.out.println("where=" + where);
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
