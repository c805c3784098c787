package org.springframework.aop.framework;

import org.springframework.aop.TargetSource;

/** Stands in for Spring's interface, with the method the agent calls. */
public interface Advised {
  TargetSource getTargetSource();
}
