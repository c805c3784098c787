package dev.airlock.aspectj;

import dev.airlock.internal.intercept.AirlockInterceptor;
import org.aspectj.lang.ProceedingJoinPoint;
import org.aspectj.lang.annotation.Around;
import org.aspectj.lang.annotation.Aspect;
import org.aspectj.lang.reflect.MethodSignature;

/**
 * Routes every execution of an {@code @Airlock} method through Airlock's one interceptor. Weave it at compile time
 * (aspectj-maven-plugin with airlock-aspectj as an aspect library) or at load time ({@code META-INF/aop.xml} ships
 * with this jar). Inside a sandbox worker the interceptor simply proceeds, so a woven class runs there without a loop.
 */
@Aspect
public class AirlockAspect {

  @Around("execution(@dev.airlock.annotation.Airlock * *(..))")
  public Object aroundAirlockMethod(ProceedingJoinPoint call) throws Throwable {
    return AirlockInterceptor.shared().intercept(call.getTarget(),
        ((MethodSignature) call.getSignature()).getMethod(), call.getArgs(), call::proceed);
  }
}
