package org.springframework.aop;

/** Stands in for Spring's interface, with the methods the agent calls. */
public interface TargetSource {
  boolean isStatic();

  Object getTarget() throws Exception;

  default void releaseTarget(Object target) throws Exception {
  }
}
