package com.sun.airlocktest;

import dev.airlock.annotation.Airlock;

/**
 * An application's tool in a package the agent leaves alone by name (the JDK's {@code com.sun.}): it must fail to
 * load under the agent, not run its required-sandbox body on the host.
 */
public final class ShellTool {
  @Airlock(sandbox = true, sandboxRequired = true)
  public String run(String command) {
    return "host " + command;
  }
}
