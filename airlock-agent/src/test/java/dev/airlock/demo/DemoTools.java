package dev.airlock.demo;

import dev.airlock.annotation.Airlock;

/** An application's tool in a package under {@code dev.airlock} that is none of Airlock's modules. */
public class DemoTools {
  public static int hostRuns;

  @Airlock(sandbox = true, sandboxRequired = true, timeoutSeconds = 30)
  public String run(String command) {
    hostRuns++;
    return "ran " + command;
  }
}
