package dev.airlock.internal.guard;

import dev.airlock.AirlockBlockedException.Reason;
import dev.airlock.AirlockBlockedException;
import dev.airlock.AirlockContext;
import dev.airlock.AirlockPolicy;
import dev.airlock.RateLimitStore;
import dev.airlock.internal.egress.EgressReport;
import java.lang.reflect.Method;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * The contract layer around a tool call, run by the interceptor in a fixed order: policy (deny, allow, roles, time
 * window, rate limit) → argument validation → (dispatch) → masking and truncation of the result or of the exception;
 * then one audit record.
 */
public final class Guard {
  private final Function<String, Optional<AirlockPolicy>> policies;
  private final PolicyCheck policyCheck;
  private final AuditLog audit = new AuditLog();

  /**
   * @param policies a policy by name; the empty name asks for the global policy
   * @param rateLimits where rate-limit buckets live
   * @param clock the time for time windows and rate limits
   */
  public Guard(Function<String, Optional<AirlockPolicy>> policies, RateLimitStore rateLimits, Clock clock) {
    this.policies = policies;
    this.policyCheck = new PolicyCheck(rateLimits, clock);
  }

  /** Policy, then validation; throws {@link AirlockBlockedException} before anything is shipped. */
  public void before(Method method, Object receiver, Object[] args, String policyName) {
    PolicyCheck.ToolName tool = toolName(method);
    checkPolicy(tool, policyName);
    ArgumentValidation.check(tool.simple(), receiver, method, args);
  }

  /**
   * The policy rules for a tool known only by name (a tool of an MCP server the gateway guards): globs match
   * {@code name} and {@code qualifier.name}. The caller validates the arguments itself.
   */
  public void before(String name, String qualifier, String policyName) {
    checkPolicy(new PolicyCheck.ToolName(name, qualifier + "." + name), policyName);
  }

  private void checkPolicy(PolicyCheck.ToolName tool, String policyName) {
    Optional<AirlockPolicy> policy = policies.apply(policyName);
    if (policy.isEmpty() && !policyName.isEmpty()) {
      throw new AirlockBlockedException(tool.simple(), Reason.DENIED, "policy: " + policyName,
          "the tool names policy '" + policyName + "', which is not defined; blocked to fail closed",
          List.of("the operator must define policy '" + policyName + "' (AirlockRuntime.registerPolicy or keys "
              + AirlockPolicy.keyPrefix(policyName) + "*)"));
    }
    if (policy.isPresent()) {
      policyCheck.check(policyName.isEmpty() ? "global" : policyName, policy.get(), tool,
          AirlockContext.current().orElse(null));
    }
  }

  /** Whether a person must approve calls of {@code method}: its policy names it in {@code requireApproval}. */
  public boolean requiresApproval(Method method, String policyName) {
    Optional<AirlockPolicy> policy = policies.apply(policyName);
    if (policy.isEmpty()) {
      return false;
    }
    PolicyCheck.ToolName tool = toolName(method);
    for (String glob : policy.get().requireApproval()) {
      if (tool.matches(glob)) {
        return true;
      }
    }
    return false;
  }

  /**
   * {@code text} as the policy masks results (the default policy's {@code FULL} masking when the tool has none):
   * what an approver who is not trusted sees of an argument.
   */
  public String maskForApprover(String text, String policyName) {
    return (String) maskValueForApprover(text, policyName);
  }

  /** A value as a person who is not trusted with it may see it; throws {@link MaskingRefusedException}. */
  public Object maskValueForApprover(Object value, String policyName) {
    AirlockPolicy policy = policies.apply(policyName).orElseGet(() -> AirlockPolicy.builder().build());
    return masker(policy).clean(value);
  }

  /** Masks and truncates the result as the policy says; throws {@link MaskingRefusedException} when it cannot. */
  public Object after(Object result, String policyName) {
    // No Optional lambdas on a call's path: each call site would be linked by the first call (HostWarmUpTest).
    Optional<AirlockPolicy> policy = policies.apply(policyName);
    return policy.isPresent() ? masker(policy.get()).clean(result) : result;
  }

  /**
   * The exception to rethrow to the caller: masked as the policy says (its message, causes and suppressed
   * exceptions), of the same type when it can be rebuilt, the very same object when nothing in it changed.
   */
  public Throwable afterFailure(Throwable thrown, String policyName) {
    Optional<AirlockPolicy> policy = policies.apply(policyName);
    return policy.isPresent() ? masker(policy.get()).clean(thrown) : thrown;
  }

  /** Writes the audit record of a finished call. */
  public AuditLog.Entry audit(Method method, String outcome, String reason, String backend, Duration duration,
      Object[] args) {
    return audit(method, outcome, reason, backend, duration, args, null);
  }

  /** Writes the audit record of a finished call, with what its egress proxy saw ({@code null}: no worker egress). */
  public AuditLog.Entry audit(Method method, String outcome, String reason, String backend, Duration duration,
      Object[] args, EgressReport egress) {
    return audit(method, outcome, reason, backend, duration, new ArgumentHash(args), egress, null);
  }

  /**
   * As above, with the arguments as their hash, which a sandboxed call takes while its worker runs;
   * {@code egressUnmeasured}, when not null, says what the backend's egress enforcement cannot tell Airlock (E2B), and
   * the record says it instead of the report's zeros.
   */
  public AuditLog.Entry audit(Method method, String outcome, String reason, String backend, Duration duration,
      ArgumentHash args, EgressReport egress, String egressUnmeasured) {
    return audit.record(toolName(method).simple(), outcome, reason, backend, duration, args, egress,
        egressUnmeasured);
  }

  /** The hosts policy {@code policyName} lets its tools reach (the empty name: the global policy's). */
  public List<String> egress(String policyName) {
    Optional<AirlockPolicy> policy = policies.apply(policyName);
    return policy.isPresent() ? policy.get().egress() : List.of();
  }

  /** Writes the audit record of a finished call of a tool known only by name. */
  public AuditLog.Entry audit(String tool, String outcome, String reason, String backend, Duration duration,
      Object[] args) {
    return audit.record(tool, outcome, reason, backend, duration, new ArgumentHash(args), null, null);
  }

  /** Whether {@code name} matches a policy glob ({@code *}, {@code ?}), as policies match tool names. */
  public static boolean globMatches(String glob, String name) {
    return PolicyCheck.globMatches(glob, name);
  }

  public AuditLog auditLog() {
    return audit;
  }

  private static OutputMasker masker(AirlockPolicy policy) {
    return new OutputMasker(policy.masking(), policy.maxResultChars(), policy.hashKey());
  }

  private static PolicyCheck.ToolName toolName(Method method) {
    return new PolicyCheck.ToolName(method.getName(),
        method.getDeclaringClass().getSimpleName() + "." + method.getName());
  }
}
