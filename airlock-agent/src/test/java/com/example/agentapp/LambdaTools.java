package com.example.agentapp;

import java.util.function.Function;

/**
 * Implementations of required-sandbox tool methods that the JVM defines as hidden classes, which no agent is handed:
 * the agent refuses the classes that make them. Outside {@link ToolShapes}, whose classes all load.
 */
public final class LambdaTools {
  private LambdaTools() {
  }

  /** A lambda of a tool interface; it names neither {@code @Airlock} nor the tool in a supertype. */
  public static final class Lambda {
    public static ToolShapes.RequiredTool make() {
      return input -> "host " + input;
    }
  }

  /** A method reference of a generic tool interface. */
  public static final class Reference {
    public static GenericTool<String> make() {
      return new Reference()::host;
    }

    String host(String input) {
      return "host " + input;
    }
  }

  /** A lambda of a plain interface made serializable and marked with a tool interface (altMetafactory's markers). */
  public static final class Marked {
    public static Function<String, String> make() {
      return (Function<String, String> & java.io.Serializable & MarkedTool) input -> "host " + input;
    }
  }

  /** Extends a tool interface without naming {@code @Airlock}. */
  public interface GenericTool<T> extends Generic<T> {
  }

  public interface Generic<T> {
    @dev.airlock.annotation.Airlock(sandbox = true, sandboxRequired = true)
    String run(T input);
  }

  /** Governs {@code apply} through its type-level annotation (the third rule), for any class implementing it. */
  @dev.airlock.annotation.Airlock(sandbox = true, sandboxRequired = true)
  public interface MarkedTool {
  }

  /** A lambda of a plain interface: loads untouched. */
  public static final class Plain {
    public static Function<String, String> make() {
      return input -> "plain " + input;
    }
  }
}
