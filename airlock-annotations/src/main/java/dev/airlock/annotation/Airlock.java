package dev.airlock.annotation;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a method whose calls go through Airlock's guard.
 *
 * <pre>{@code
 * @Airlock(sandbox = true, sandboxRequired = true, timeoutSeconds = 60)
 * public String runJava(String snippet) { ... }
 * }</pre>
 *
 * <p>With {@code sandbox = true} the receiver, the method and its arguments are shipped to an isolated worker JVM
 * and the result or exception comes back as if the call had been local. Without it the call runs on the host, still
 * under the timeout. The annotation takes effect through the java agent, the AspectJ aspect or the Spring starter.
 *
 * <p>The annotation governs the methods that override or implement an annotated method (its settings are inherited
 * from the nearest declaration: the method, then the methods it overrides in superclasses and interfaces). On a
 * class or interface it governs every public instance method the type and its subtypes declare, except
 * {@code equals}, {@code hashCode} and {@code toString}; a method's own (or inherited) annotation wins over its
 * class's.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.METHOD, ElementType.TYPE})
public @interface Airlock {

  /** Run the call in a sandbox worker rather than on the host. */
  boolean sandbox() default false;

  /**
   * Fail with {@code SandboxUnavailableException} instead of running on the host when no sandbox can be had. Needs
   * {@code sandbox = true}: without it every call is refused with that exception, never run on the host.
   */
  boolean sandboxRequired() default false;

  /** Wall-clock limit for one call; {@code -1} takes {@code airlock.timeout-seconds} (60). */
  int timeoutSeconds() default -1;

  /** Heap for the worker that runs the call; {@code -1} takes {@code airlock.memory-mb} (256). */
  int memoryMb() default -1;

  /** Backend name such as {@code local} or {@code docker}; empty takes {@code airlock.backend}. */
  String backend() default "";

  /**
   * Name of the {@code AirlockPolicy} that guards this tool (who may call it, how often, when, how its output is
   * cleaned); empty takes the global policy, if one is set.
   */
  String policy() default "";

  /**
   * A person must approve each call before it runs (as does a policy's {@code requireApproval} glob): the installed
   * {@code AirlockApprovals} either asks its handler and waits, or suspends the call for a later resume.
   */
  boolean approval() default false;

  /**
   * Hosts the call may reach through the pool's egress proxy, added to {@code airlock.egress.allow} and the policy's
   * {@code egress}: {@code "api.github.com"}, {@code "*.wikipedia.org"} (subdomains), {@code "example.com:8443"}
   * (a port; default 80 and 443), IPs and CIDRs only when written explicitly. Empty (the default) adds nothing; a call
   * no entry allows has no network at all. See docs/egress.md.
   */
  String[] egress() default {};
}
