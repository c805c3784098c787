package dev.airlock.agent;

import java.lang.reflect.Method;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.implementation.bytecode.assign.Assigner;

/**
 * Inlined into every {@code @Airlock} method. On entry the call goes to the interceptor; when it was handled there
 * (sandbox), the original body is skipped and the result or exception substituted on exit. When the interceptor
 * runs the call locally, it re-enters the method with a one-shot flag, and the body runs.
 */
final class AirlockAdvice {

  private AirlockAdvice() {
  }

  @Advice.OnMethodEnter(skipOn = Advice.OnNonDefaultValue.class)
  static Object enter(@Advice.This(optional = true) Object self, @Advice.Origin Method method,
      @Advice.AllArguments Object[] args) {
    return AgentDispatch.enter(self, method, args);
  }

  @Advice.OnMethodExit(onThrowable = Throwable.class)
  static void exit(@Advice.Enter Object handled,
      @Advice.Return(readOnly = false, typing = Assigner.Typing.DYNAMIC) Object returned,
      @Advice.Thrown(readOnly = false) Throwable thrown) {
    if (handled != null) {
      AgentDispatch.Outcome outcome = (AgentDispatch.Outcome) handled;
      if (outcome.failure() != null) {
        thrown = outcome.failure();
      } else {
        returned = outcome.value();
      }
    }
  }
}
