package dev.airlock.spi.airlocktest;

import dev.airlock.annotation.Airlock;

/** A class-level tool under one of Airlock's own packages, which the agent leaves alone by name: refused. */
@Airlock(sandbox = true, sandboxRequired = true)
public class ClassLevelTool {
  public String run(String input) {
    return "host " + input;
  }
}
