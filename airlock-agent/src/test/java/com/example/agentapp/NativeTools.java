package com.example.agentapp;

import dev.airlock.annotation.Airlock;

/**
 * Native methods the rule governs: they have no code for the agent to put the interception in front of, so their
 * classes are refused. Outside {@link ToolShapes}, whose classes all load.
 */
public final class NativeTools {
  private NativeTools() {
  }

  public static final class Annotated {
    @Airlock(sandbox = true, sandboxRequired = true)
    public native String run(String input);
  }

  /** Governed through its class's annotation (the third rule). */
  @Airlock(sandbox = true, sandboxRequired = true)
  public static final class ClassLevel {
    public native String run(String input);

    private native void helper();
  }
}
