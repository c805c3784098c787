package com.example.agentapp;

import com.example.inherited.InheritedTools;
import dev.airlock.annotation.Airlock;
import java.util.List;

/**
 * Shapes the agent's rewriting must get right beyond {@link InheritedTools}: what the rule must and must not
 * instrument, and code whose first instruction is a branch target, a switch or an exception handler's range.
 */
public final class ToolShapes {

  private ToolShapes() {
  }

  /** A generic interface method implemented in a superclass (with the bridge) and overridden below it (without). */
  public static class BridgeInSuperclass implements InheritedTools.GenericTool<String> {
    @Override
    public String viaGeneric(String input) {
      return "base " + input;
    }
  }

  public static class OverrideWithoutBridge extends BridgeInSuperclass {
    @Override
    public String viaGeneric(String input) {
      return "sub " + input;
    }
  }

  /** Methods the rule leaves alone next to one it instruments. */
  public static class Mixed {
    @Airlock(sandbox = true, sandboxRequired = true)
    public static long loopFirst(long from, double step, int times) {
      long total = from;
      while (times-- > 0) {
        total += (long) step;
      }
      return total;
    }

    public String plain() {
      return "plain";
    }

    private static int helper() {
      return 1;
    }

    @Override
    public String toString() {
      return "mixed";
    }
  }

  /**
   * Every primitive and array shape, with a switch and a try block at the start of the code; guarded
   * on the host (no sandbox), so a test runs them through the interceptor in its own JVM.
   */
  @Airlock(timeoutSeconds = 30)
  public static class Primitives {
    public Primitives() {
      // a constructor of a tool class is never instrumented
    }

    public double mix(boolean b, char c, byte y, short s, int i, long l, float f, double d, int[] a,
        String... rest) {
      switch (i) {
        case 0:
          return d;
        case 7:
          return f + l;
        default:
          return (b ? 1 : 0) + c + y + s + i + l + f + d + a.length + rest.length;
      }
    }

    public char first(String text) {
      try {
        return text.charAt(0);
      } catch (StringIndexOutOfBoundsException e) {
        return '-';
      }
    }

    public boolean flag() {
      return true;
    }

    public byte[] bytes(List<String> words) {
      return String.join(",", words).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    public float ratio(float a, float b) {
      return a / b;
    }

    public short small(byte b) {
      return b;
    }

    public void fail(String message) throws java.io.IOException {
      throw new java.io.IOException(message);
    }
  }
  /**
   * A class whose tool interface's method is implemented only by what it inherits from a plain superclass, which
   * names no {@code @Airlock} and so is never rewritten: the subclass intercepts it. {@link #hostRuns} counts the
   * runs in this JVM.
   */
  public static class PlainImplementation {
    public static int hostRuns;

    public String run(String input) {
      hostRuns++;
      return "ran " + input;
    }

    public long sum(int a, long b, double c) {
      hostRuns++;
      return a + b + (long) c;
    }
  }

  public interface RequiredTool {
    @Airlock(sandbox = true, sandboxRequired = true)
    String run(String input);
  }

  public interface GenericRequiredTool<T> {
    @Airlock(sandbox = true, sandboxRequired = true)
    String run(T input);

    @Airlock(sandbox = true, sandboxRequired = true)
    long sum(int a, long b, double c);
  }

  public static class InheritsImplementation extends PlainImplementation implements RequiredTool {
  }

  /** Through a bridge {@code run(Object)}, and two levels up. */
  public static class Middle extends PlainImplementation {
  }

  public static class InheritsGenerically extends Middle implements GenericRequiredTool<String> {
  }

  /** Guarded on the host: the interceptor proceeds to the inherited body through the override. */
  public interface HostTool {
    @Airlock(timeoutSeconds = 30)
    String run(String input);
  }

  public static class InheritsHostTool extends PlainImplementation implements HostTool {
  }

  /** Below a class that already intercepts it: no second override. */
  public static class BelowInterception extends InheritsImplementation {
  }

  /**
   * A default method of an interface naming no {@code @Airlock}, inherited through a superclass, implements the
   * subclass's required-sandbox interface method (javac refuses that subclass, but the JVM runs it: the interface
   * method added after the subclass was compiled, so the test makes it with ASM): neither the interface nor the
   * superclass is rewritten, so the subclass must intercept it. {@link #HOST_RUNS} counts the runs in this JVM.
   */
  public interface PlainDefault {
    java.util.concurrent.atomic.AtomicInteger HOST_RUNS = new java.util.concurrent.atomic.AtomicInteger();

    default String run(String input) {
      HOST_RUNS.incrementAndGet();
      return "ran " + input;
    }
  }

  public static class DefaultBase implements PlainDefault {
  }
}
