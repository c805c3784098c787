package org.springframework.aop;

/** Stands in for Spring's interface, with the two methods the agent calls. */
public interface TargetSource {
  boolean isStatic();

  Object getTarget() throws Exception;
}
