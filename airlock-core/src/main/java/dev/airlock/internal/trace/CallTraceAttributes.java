package dev.airlock.internal.trace;

import dev.airlock.AirlockContext;
import dev.airlock.annotation.Airlock;
import java.util.Optional;

/** The attributes of an {@code execute_tool} span that the interceptor knows before anything runs. */
public final class CallTraceAttributes {
  /** The longest tool call id put on a span; a longer one is cut. */
  static final int MAX_CALL_ID_CHARS = 256;

  private CallTraceAttributes() {
  }

  /** {@code airlock.backend}, {@code airlock.policy}, {@code gen_ai.tool.call.id} (when bound). */
  public static void onStart(CallTrace trace, Airlock airlock, String backend) {
    trace.attribute("airlock.backend", backend);
    trace.attribute("airlock.policy", airlock.policy().isEmpty() ? "global" : airlock.policy());
    trace.attribute("airlock.sandboxed", false);
    // Plain code, not an Optional's lambdas: their call sites would be linked on the first call (HostWarmUpTest).
    Optional<AirlockContext> context = AirlockContext.current();
    String id = context.isPresent() ? context.get().metadata().get(AirlockContext.TOOL_CALL_ID) : null;
    if (id != null) {
      trace.attribute("gen_ai.tool.call.id", id.length() > MAX_CALL_ID_CHARS ? id.substring(0, MAX_CALL_ID_CHARS)
          : id);
    }
  }
}
