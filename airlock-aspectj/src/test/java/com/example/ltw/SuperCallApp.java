package com.example.ltw;

import dev.airlock.AirlockConfig;
import dev.airlock.AirlockRuntime;
import dev.airlock.annotation.Airlock;

/**
 * A library's tool whose sandbox is required, and the application's host tool overriding it to log, which calls it
 * with {@code super}. Prints where the overridden body ran, or what the call threw.
 */
public final class SuperCallApp {
  private SuperCallApp() {
  }

  public static class ShellTool {
    @Airlock(sandbox = true, sandboxRequired = true, timeoutSeconds = 30)
    public String run(String command) {
      return "ran " + command + (AirlockRuntime.isSandboxed() ? " in sandbox" : " on HOST");
    }
  }

  public static class LoggingShellTool extends ShellTool {
    @Airlock(timeoutSeconds = 30)
    @Override
    public String run(String command) {
      return "logged " + super.run(command);
    }
  }

  public static void main(String[] args) {
    AirlockRuntime.configure(AirlockConfig.builder().poolMinSize(0).poolMaxSize(1).build());
    try {
      System.out.println("direct=" + new ShellTool().run("ls"));
      System.out.println("super=" + new LoggingShellTool().run("ls"));
    } catch (RuntimeException e) {
      System.out.println("super=" + e.getClass().getName());
    }
    AirlockRuntime.closePools();
  }
}
