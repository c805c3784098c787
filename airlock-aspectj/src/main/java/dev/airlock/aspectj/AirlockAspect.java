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
 * option {@code -XhasMember} where the aspect is compiled (this module is) and for load-time weaving (the shipped
 * {@code aop.xml} sets it); a tool whose class was woven without the marker is refused at its first call with a
 * message naming the fix.
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
    Method method = ((MethodSignature) call.getSignature()).getMethod();
    if (!ToolType.class.isAssignableFrom(method.getDeclaringClass())) {
      // A class declaring @Airlock methods that ToolTypes did not mark: the weaver ran without -XhasMember (or
      // without ToolTypes), so overrides of its tools elsewhere run unwoven. Refuse rather than guard half of them.
      throw new IllegalStateException("Airlock: " + method.getDeclaringClass().getName() + " was woven without "
          + "the weaver option -XhasMember (or without the aspect dev.airlock.aspectj.ToolTypes), so methods that "
          + "inherit @Airlock would run unguarded; add <XhasMember>true</XhasMember> to the aspectj-maven-plugin "
          + "configuration (load-time weaving: the aop.xml shipped with airlock-aspectj sets it)");
    }
    // An execution join point: proceeding runs this method's own code, which an override may reach through super.
    return AirlockInterceptor.shared().interceptBody(call.getTarget(), method, call.getArgs(), call::proceed);
  }
}
