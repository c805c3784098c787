package org.springframework.aop;

/** Stands in for Spring's marker (Spring is not on this module's classpath): what the agent recognizes by name. */
public interface SpringProxy {
}
