package dev.airlock.aspectj;

import dev.airlock.internal.intercept.AirlockInterceptor;
import dev.airlock.internal.intercept.EffectiveAirlock;
import java.lang.reflect.Method;
import org.aspectj.lang.JoinPoint;
import org.aspectj.lang.ProceedingJoinPoint;
import org.aspectj.lang.annotation.Around;
import org.aspectj.lang.annotation.Aspect;
import org.aspectj.lang.annotation.Pointcut;
import org.aspectj.lang.reflect.MethodSignature;

/**
 * Routes every execution of a method an {@code @Airlock} governs through Airlock's one interceptor. Weave it at
 * compile time (aspectj-maven-plugin with airlock-aspectj as an aspect library) or at load time
 * ({@code META-INF/aop.xml} ships with this jar). Inside a sandbox worker the interceptor simply proceeds, so a woven
 * class runs there without a loop.
 *
 * <p>AspectJ's {@code execution(@Airlock * *(..))} matches only a method that carries the annotation itself, not one
 * that overrides or implements an annotated method, nor a method of an annotated class. So the companion aspect
 * {@code ToolTypes} marks every type that declares an {@code @Airlock} method or carries {@code @Airlock} as a
 * {@link ToolType}, and the pointcut also matches the other instance methods of the marked types and their
 * subtypes, with an {@code if()} test that asks the core's one rule ({@link EffectiveAirlock}), cached there.
 * Classes outside tool hierarchies are not woven at all. The marking uses {@code hasmethod}, which needs the weaver
 * option {@code -XhasMember}: the shipped {@code aop.xml} sets it; a compile-time weaving build must set it too, or
 * only directly annotated methods are woven.
 */
@Aspect
public class AirlockAspect {

  /** Marks the types whose subtypes' methods may inherit an {@code @Airlock}: {@code ToolTypes.aj} declares it. */
  public interface ToolType {
  }

  @Pointcut("execution(@dev.airlock.annotation.Airlock * *(..))")
  static void annotatedMethod() {
  }

  @Pointcut("execution(!static !private * dev.airlock.aspectj.AirlockAspect.ToolType+.*(..))"
      + " && !within(dev.airlock.internal..*) && if()")
  public static boolean inheritedTool(JoinPoint.StaticPart part) {
    Method method = ((MethodSignature) part.getSignature()).getMethod();
    return method != null && EffectiveAirlock.governs(method.getDeclaringClass(), method);
  }

  @Around("annotatedMethod() || inheritedTool(*)")
  public Object aroundAirlockMethod(ProceedingJoinPoint call) throws Throwable {
    return AirlockInterceptor.shared().intercept(call.getTarget(),
        ((MethodSignature) call.getSignature()).getMethod(), call.getArgs(), call::proceed);
  }
}
