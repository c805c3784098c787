package dev.airlock.internal.trace;

import java.lang.reflect.Method;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the {@link CallTrace} of an intercepted call. OpenTelemetry is an optional dependency: its classes are looked
 * up once, without initializing them, and {@link OtelCallTracer} (the one class here that links against them) is
 * loaded by name only when they are present, so an application without the API never sees a
 * {@link NoClassDefFoundError}: its calls get {@link CallTrace#NONE}.
 *
 * <p>Spans go to {@code GlobalOpenTelemetry.getOrNoop()}, read at each call: the OpenTelemetry java agent or an SDK
 * registered after start-up is picked up, and a call made before any is registered does not pin the global to no-op.
 */
public final class CallTracing {
  private static final Logger LOG = LoggerFactory.getLogger(CallTracing.class);

  /** What starts spans: OpenTelemetry's, or one that starts none. */
  interface Tracer {
    CallTrace start(String toolName, String className);

    /** Loads what {@link #start} will use, without starting a span or exporting anything. */
    default void warmUp() {
    }
  }

  private static final Tracer TRACER = load(CallTracing.class.getClassLoader());
  private static final ThreadLocal<CallTrace> CURRENT = new ThreadLocal<>();

  private CallTracing() {
  }

  /**
   * The trace of a call of {@code tool}: an {@code execute_tool <tool name>} span with the GenAI attributes, or
   * {@link CallTrace#NONE} without the OpenTelemetry API. The tool name is the method's name, as the frameworks
   * present it to the model.
   */
  public static CallTrace start(Method tool) {
    return TRACER.start(tool.getName(), tool.getDeclaringClass().getName());
  }

  /** The trace bound to this thread by {@link CallTrace#bind()}, else {@link CallTrace#NONE}. */
  public static CallTrace current() {
    CallTrace trace = CURRENT.get();
    return trace == null ? CallTrace.NONE : trace;
  }

  /**
   * Readies the tracer's classes for the first call ({@code HostWarmUp}): with OpenTelemetry, about 60 classes of its
   * API and context, which the first call would otherwise load. Starts no span.
   */
  public static void warmUp() {
    TRACER.warmUp();
  }

  /** Whether calls get spans: the OpenTelemetry API is on this class loader's path. */
  public static boolean enabled() {
    return !(TRACER instanceof Disabled);
  }

  /** Binds {@code trace} to this thread; the scope restores what was bound before. */
  static CallTrace.Scope bindCurrent(CallTrace trace) {
    CallTrace previous = CURRENT.get();
    CURRENT.set(trace);
    return new Restore(previous);
  }

  /** Puts back what was bound before; a class, not a lambda, so a first call links no call site. */
  private static final class Restore implements CallTrace.Scope {
    private final CallTrace previous;

    Restore(CallTrace previous) {
      this.previous = previous;
    }

    @Override
    public void close() {
      if (previous == null) {
        CURRENT.remove();
      } else {
        CURRENT.set(previous);
      }
    }
  }

  /** OpenTelemetry's tracer when {@code loader} sees the API, else one that starts nothing. */
  static Tracer load(ClassLoader loader) {
    if (!OtelPresence.onPath(loader)) {
      return new Disabled();
    }
    try {
      return (Tracer) Class.forName(CallTracing.class.getPackageName() + ".OtelCallTracer", true, loader)
          .getDeclaredConstructor().newInstance();
    } catch (ReflectiveOperationException | LinkageError e) {
      LOG.warn("Airlock: the OpenTelemetry API is on the classpath but could not be used ({}); calls are not traced",
          e.toString());
      return new Disabled();
    }
  }

  private static final class Disabled implements Tracer {
    @Override
    public CallTrace start(String toolName, String className) {
      return CallTrace.NONE;
    }
  }
}
