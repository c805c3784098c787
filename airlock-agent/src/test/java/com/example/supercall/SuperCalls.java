package com.example.supercall;

import dev.airlock.annotation.Airlock;

/**
 * Overrides of tool methods that call the overridden body with {@code super}. {@link #hostRuns} counts the runs of
 * the superclasses' bodies in this JVM.
 */
public final class SuperCalls {
  public static int hostRuns;

  private SuperCalls() {
  }

  /** A tool whose body must never run on the host, as a library might ship it. */
  public static class ShellTool {
    @Airlock(sandbox = true, sandboxRequired = true, timeoutSeconds = 30)
    public String run(String command) {
      hostRuns++;
      return "ran " + command;
    }
  }

  /** The application's override: a host tool that logs, then hands over to the sandboxed body. */
  public static class LoggingShellTool extends ShellTool {
    @Airlock(timeoutSeconds = 30)
    @Override
    public String run(String command) {
      return "logged " + super.run(command);
    }
  }

  /** A sandboxed tool that may fall back to the host when no sandbox can be had (not required). */
  public static class FetchTool {
    @Airlock(sandbox = true, timeoutSeconds = 30)
    public String fetch(String url) {
      hostRuns++;
      return "fetched " + url;
    }
  }

  /** The application's override: a host tool that logs, then hands over to the sandboxed body. */
  public static class LoggingFetchTool extends FetchTool {
    @Airlock(timeoutSeconds = 30)
    @Override
    public String fetch(String url) {
      return "logged " + super.fetch(url);
    }
  }

  /** A host tool, and an override of it that is a host tool too (inherited), calling the body it overrides. */
  public static class Greeter {
    @Airlock(timeoutSeconds = 30)
    public String greet(String name) {
      hostRuns++;
      return "hello " + name;
    }
  }

  /** A host tool as an interface's default method, and a class overriding it that calls it with Tool.super. */
  public interface Hello {
    @Airlock(timeoutSeconds = 30)
    default String hello(String name) {
      hostRuns++;
      return "hi " + name;
    }
  }

  public static class LoudHello implements Hello {
    @Override
    public String hello(String name) {
      return Hello.super.hello(name).toUpperCase(java.util.Locale.ROOT);
    }
  }

  public static class LoudGreeter extends Greeter {
    @Override
    public String greet(String name) {
      return super.greet(name).toUpperCase(java.util.Locale.ROOT);
    }
  }
}
