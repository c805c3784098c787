package com.example.agentapp;

import dev.airlock.AirlockRuntime;
import dev.airlock.annotation.Airlock;
import java.util.Locale;

/**
 * Overrides of tools calling the body they override with {@code super}; started by AgentIT in its own JVM. Prints
 * where each body ran, or what the call threw.
 */
public final class SuperCallApp {
  private SuperCallApp() {
  }

  /** A library's tool whose sandbox is required. */
  public static class ShellTool {
    @Airlock(sandbox = true, sandboxRequired = true, timeoutSeconds = 30)
    public String run(String command) {
      return "ran " + command + (AirlockRuntime.isSandboxed() ? " in sandbox" : " on HOST");
    }
  }

  /** The application's host tool overriding it to log. */
  public static class LoggingShellTool extends ShellTool {
    @Airlock(timeoutSeconds = 30)
    @Override
    public String run(String command) {
      return "logged " + super.run(command);
    }
  }

  public static class Greeter {
    @Airlock(timeoutSeconds = 30)
    public String greet(String name) {
      return "hello " + name + (AirlockRuntime.isSandboxed() ? " in sandbox" : " on host");
    }
  }

  /** A host tool by the annotation it inherits. */
  public static class LoudGreeter extends Greeter {
    @Override
    public String greet(String name) {
      return super.greet(name).toUpperCase(Locale.ROOT);
    }
  }

  /** A synchronized host tool. */
  public static class Counter {
    private int count;

    @Airlock(timeoutSeconds = 5)
    public synchronized int next() {
      return ++count + (Thread.holdsLock(this) ? 0 : 1000);
    }
  }

  public static void main(String[] args) {
    System.out.println("direct=" + new ShellTool().run("ls"));
    try {
      System.out.println("super=" + new LoggingShellTool().run("ls"));
    } catch (RuntimeException | Error e) {
      System.out.println("super=" + e.getClass().getName());
    }
    try {
      System.out.println("loud=" + new LoudGreeter().greet("ada"));
    } catch (RuntimeException | Error e) {
      System.out.println("loud=" + e.getClass().getName());
    }
    try {
      Counter counter = new Counter();
      counter.next();
      System.out.println("synchronized=" + counter.next());
    } catch (RuntimeException | Error e) {
      System.out.println("synchronized=" + e.getClass().getName());
    }
    AirlockRuntime.closePools();
    System.out.println("done");
  }
}
