package dev.airlock.internal.intercept;

import dev.airlock.AirlockApprovalRequiredException;
import dev.airlock.AirlockApprovals;
import dev.airlock.AirlockBlockedException;
import dev.airlock.AirlockConfig;
import dev.airlock.AirlockRuntime;
import dev.airlock.SandboxPool;
import dev.airlock.SandboxUnavailableException;
import dev.airlock.annotation.Airlock;
import dev.airlock.annotation.ShipFields;
import dev.airlock.internal.approval.ApprovalAccess;
import dev.airlock.internal.approval.ApprovalGate;
import dev.airlock.internal.codec.Codec;
import dev.airlock.internal.guard.ArgumentHash;
import dev.airlock.internal.guard.AuditLog;
import dev.airlock.internal.guard.Guard;
import dev.airlock.internal.guard.InProcessRateLimitStore;
import dev.airlock.internal.trace.CallTrace;
import dev.airlock.internal.trace.CallTraceAttributes;
import dev.airlock.internal.trace.CallTracing;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The one interception entry: the java agent, the AspectJ aspect and the Spring advisor each turn their join point
 * into a call of {@link #intercept} and hold no logic of their own.
 *
 * <pre>{@code
 * Object result = AirlockInterceptor.shared().intercept(target, method, args, joinPoint::proceed);
 * }</pre>
 *
 * <p>The governing annotation is found by {@link EffectiveAirlock}'s one rule (the method, what it overrides or
 * implements, its class). An adapter calls this only for a method it matched as a tool, so a call for which no
 * annotation resolves is refused ({@link IllegalStateException}), never run unguarded. Inside a sandbox worker it
 * simply proceeds. Otherwise, in this order:
 * the policy (deny, allow, roles, time window, rate limit) and Jakarta validation of the arguments, on the host and
 * before anything is shipped; then, for a tool that needs approval, {@link ApprovalGate}; then dispatch (with {@code sandbox = false} the body runs on the host under the
 * timeout, else in a pool's worker); then masking and truncation of the result, or of the exception's messages;
 * then one audit record.
 */
public final class AirlockInterceptor {

  /** Where calls go: the pool for a backend and heap, and the configuration that fills annotation defaults. */
  public interface PoolResolver {
    AirlockConfig config();

    SandboxPool pool(String backend, int memoryMb);
  }

  private static final AirlockInterceptor SHARED = new AirlockInterceptor(new PoolResolver() {
    @Override
    public AirlockConfig config() {
      return AirlockRuntime.config();
    }

    @Override
    public SandboxPool pool(String backend, int memoryMb) {
      return AirlockRuntime.pool(backend, memoryMb);
    }
  });

  /**
   * The call whose body this thread is running on the host on the interceptor's behalf. When two adapters are
   * active (a Spring proxy and the java agent, say), the inner one sees it and proceeds instead of intercepting the
   * same call twice. It names the receiver too: the same method called on another object while the body runs is
   * that object's own call, which another class may govern (a subclass inheriting the method as a required tool).
   */
  private static final ThreadLocal<Proceeding> PROCEEDING = new ThreadLocal<>();

  /** A call being run on the host: its receiver (compared by identity; null for a static method) and method. */
  private record Proceeding(Object receiver, Method method) {
    boolean is(Object otherReceiver, Method otherMethod) {
      return receiver == otherReceiver && method.equals(otherMethod);
    }
  }

  private final PoolResolver pools;
  private final Guard guard;
  private final Supplier<AirlockApprovals> approvals;

  /**
   * With policies from {@link AirlockRuntime#policy}, in-process rate limits, the system clock and
   * {@link AirlockApprovals#shared()}.
   */
  public AirlockInterceptor(PoolResolver pools) {
    this(pools, AirlockApprovals::shared);
  }

  public AirlockInterceptor(PoolResolver pools, Supplier<AirlockApprovals> approvals) {
    this(pools, new Guard(name -> AirlockRuntime.policy(name, pools.config()), new InProcessRateLimitStore(),
        Clock.systemUTC()), approvals);
  }

  public AirlockInterceptor(PoolResolver pools, Guard guard) {
    this(pools, guard, AirlockApprovals::shared);
  }

  public AirlockInterceptor(PoolResolver pools, Guard guard, Supplier<AirlockApprovals> approvals) {
    this.pools = pools;
    this.guard = guard;
    this.approvals = approvals;
  }

  /** The guard's audit log: one record per call, and counts per outcome. */
  public AuditLog auditLog() {
    return guard.auditLog();
  }

  /** The interceptor backed by {@link AirlockRuntime}, for adapters that cannot be injected. */
  public static AirlockInterceptor shared() {
    return SHARED;
  }

  /**
   * Runs one call of an {@link Airlock} method.
   *
   * @param receiver the target object (not a proxy), or {@code null} for a static method
   * @param method the method as the adapter matched it (the annotation may sit on a method it overrides)
   * @param args the call's arguments
   * @param proceed runs the method's own body on the host
   * @throws IllegalStateException when no {@link Airlock} governs the method: the adapter matched a call that the
   *     rule does not make a tool, and running it unguarded could bypass the guard
   */
  public Object intercept(Object receiver, Method method, Object[] args, LocalCall proceed) throws Throwable {
    if (AirlockRuntime.isSandboxed()) {
      return proceed.proceed();
    }
    Optional<EffectiveAirlock.Resolved> governing =
        EffectiveAirlock.of(receiver == null ? null : receiver.getClass(), method);
    if (governing.isEmpty()) {
      throw new IllegalStateException("Airlock: " + method + " was intercepted as a tool but no @Airlock governs it "
          + "(not on the method, the methods it overrides, nor its class); refusing to run it unguarded. Annotate "
          + "the method, or report the adapter that matched it");
    }
    EffectiveAirlock.Resolved resolved = governing.get();
    Method tool = resolved.method();
    Proceeding running = PROCEEDING.get();
    if (running != null && running.is(receiver, tool)) {
      return proceed.proceed();
    }
    return guarded(receiver, tool, resolved.airlock(), args, proceed, Step.CALL, resolved.conflict());
  }

  /**
   * As {@link #intercept}, for an adapter whose {@code proceed} runs exactly {@code body}'s own code, never an
   * override of it (the java agent's prologue, an AspectJ execution join point). Such an adapter is reached with a
   * receiver whose class overrides {@code body} only through {@code super.body(...)} (or {@code Tool.super}) from
   * that override: the call is governed by the override, but what runs is the overridden body. When that body
   * requires a sandbox and the override does not ship its calls to one (a host tool, or a sandboxed call that fell
   * back), the call is refused: the body would run on the host, where its annotation says it never runs. Shipping it
   * instead cannot be done, since a worker calls the receiver's method, which is the override.
   *
   * @throws SandboxUnavailableException when {@code body} requires a sandbox its calling override does not
   */
  public Object interceptBody(Object receiver, Method body, Object[] args, LocalCall proceed) throws Throwable {
    if (receiver != null && !AirlockRuntime.isSandboxed()) {
      refuseHostSuperCall(receiver, body);
    }
    return intercept(receiver, body, args, proceed);
  }

  private void refuseHostSuperCall(Object receiver, Method body) {
    Optional<EffectiveAirlock.Resolved> governing = EffectiveAirlock.of(receiver.getClass(), body);
    if (governing.isEmpty() || governing.get().method().equals(body)) {
      return;
    }
    Optional<EffectiveAirlock.Resolved> own = EffectiveAirlock.of(body.getDeclaringClass(), body);
    if (own.isEmpty()) {
      return;
    }
    AirlockConfig config = pools.config();
    Airlock bodys = own.get().airlock();
    Airlock overrides = governing.get().airlock();
    Method override = governing.get().method();
    if (requiresSandbox(bodys, config) && !(overrides.sandbox() && requiresSandbox(overrides, config))) {
      throw new SandboxUnavailableException("Airlock: " + body.getDeclaringClass().getName() + "." + body.getName()
          + " requires a sandbox, and " + override.getDeclaringClass().getName() + "." + override.getName()
          + ", which overrides it without requiring one, called it with super on the host; refused. Fix: make the "
          + "override @Airlock(sandbox = true, sandboxRequired = true) too, or move the work it does on the host "
          + "into another method");
    }
    if (bodys.sandbox() && !overrides.sandbox()) {
      // A sandboxed body runs on the host only when no sandbox can be had, and then under a warning; a host tool's
      // super call ran it there silently while sandboxes were available (not counted as a fallback either).
      throw new SandboxUnavailableException("Airlock: " + body.getDeclaringClass().getName() + "." + body.getName()
          + " runs in a sandbox (sandbox = true), and " + override.getDeclaringClass().getName() + "."
          + override.getName() + ", a host tool overriding it, called it with super on the host; refused: its body "
          + "would run on the host though a sandbox may be had. Fix: make the override @Airlock(sandbox = true) "
          + "too, or move the work it does on the host into another method");
    }
  }

  private static boolean requiresSandbox(Airlock airlock, AirlockConfig config) {
    return airlock.sandboxRequired() || airlock.sandbox() && config.sandboxRequired();
  }

  /** Where a run of {@link #guarded} starts: a fresh call, or an approved one (re-checked when edited). */
  private enum Step { CALL, APPROVED, EDITED }

  private Object guarded(Object receiver, Method tool, Airlock airlock, Object[] args, LocalCall proceed, Step step)
      throws Throwable {
    return guarded(receiver, tool, airlock, args, proceed, step, null);
  }

  /**
   * @param conflict null, or why the annotations of the method's hierarchy contradict each other
   *     ({@link EffectiveAirlock.Resolved#conflict()}): the call is refused and audited, its body never runs
   */
  private Object guarded(Object receiver, Method tool, Airlock airlock, Object[] args, LocalCall proceed, Step step,
      String conflict) throws Throwable {
    AirlockConfig config = pools.config();
    Duration timeout = Duration.ofSeconds(airlock.timeoutSeconds() > 0 ? airlock.timeoutSeconds()
        : config.timeoutSeconds());
    String backend = airlock.sandbox() ? (airlock.backend().isEmpty() ? config.backend() : airlock.backend()) : "host";
    long start = System.nanoTime();
    String outcome = "error";
    String reason = null;
    CallTrace trace = CallTracing.start(tool);
    CallTrace.Scope traced = trace.bind();
    CallTraceAttributes.onStart(trace, airlock, backend);
    CallEgress egress = CallEgress.none();
    ArgumentHash argumentHash = null;
    try {
      if (conflict != null) {
        // implements HostTool, ShellTool: the first declaration found governed, so the order of declarations ran a
        // required tool on the host. Refused, as a contradiction on one annotation is below.
        throw new SandboxUnavailableException(conflict);
      }
      if (airlock.sandboxRequired() && !airlock.sandbox()) {
        // sandbox defaults to false, so @Airlock(sandboxRequired = true) alone named a host tool: it ran on the host,
        // silently, though its annotation says it must never do so. A contradiction is refused, not resolved.
        throw new SandboxUnavailableException("Airlock: " + tool.getDeclaringClass().getName() + "." + tool.getName()
            + " is @Airlock(sandboxRequired = true) without sandbox = true, which would run it on the host; refused."
            + " Fix: add sandbox = true to its @Airlock (or remove sandboxRequired for a host tool)");
      }
      CallTrace.Phase policy = trace.phase("airlock.policy");
      if (step != Step.APPROVED) {
        guard.before(tool, receiver, args, airlock.policy());
      }
      policy.end();
      if (step == Step.CALL && (airlock.approval() || guard.requiresApproval(tool, airlock.policy()))) {
        ApprovalCall call = approvalCall(receiver, tool, airlock);
        ApprovalGate.Admitted admitted = ApprovalAccess.gate(approvals.get()).admit(call, args);
        // A blocking approval waited on this thread, and another call of the model's (parallel tool calls) could
        // change the tool object meanwhile, as it could while a suspended call waited.
        call.requireApprovedState();
        args = admitted.arguments();
        proceed = reflective(receiver, tool, args);
        if (admitted.edited()) {
          guard.before(tool, receiver, args, airlock.policy());
        }
      }
      egress = CallEgress.of(airlock.egress(), guard.egress(airlock.policy()));
      argumentHash = new ArgumentHash(args);
      Object result = dispatch(airlock, config, backend, timeout, receiver, tool, args, new Marked(receiver, tool, proceed),
          egress, argumentHash);
      Object cleaned = guard.after(result, airlock.policy());
      outcome = "success";
      return cleaned;
    } catch (AirlockApprovalRequiredException e) {
      outcome = "pending";
      reason = "APPROVAL_REQUIRED";
      throw e;
    } catch (AirlockBlockedException e) {
      outcome = "blocked";
      reason = e.reason().name();
      trace.failed(e);
      throw e;
    } catch (Throwable t) {
      reason = t.getClass().getSimpleName();
      Throwable cleaned = guard.afterFailure(t, airlock.policy());
      if (egress.unmeasured().isPresent()) {
        EgressNote.attachUnmeasured(cleaned, egress.unmeasured().get());
      } else if (egress.report().isPresent()) {
        EgressNote.attach(cleaned, egress.report().get());
      }
      trace.failed(cleaned);
      throw cleaned;
    } finally {
      guard.audit(tool, outcome, reason, backend, Duration.ofNanos(System.nanoTime() - start),
          argumentHash != null ? argumentHash : new ArgumentHash(args), egress.report().orElse(null),
          egress.unmeasured().orElse(null));
      trace.end(outcome);
      traced.close();
    }
  }

  /**
   * What the approval gate needs of a call: its policy's masking, and how to run it once approved. It holds no
   * argument: a suspended call keeps only their frozen bytes, which the store counts, not the caller's objects.
   */
  private ApprovalCall approvalCall(Object receiver, Method tool, Airlock airlock) {
    byte[] approvedState = shippedState(receiver, airlock);
    return new ApprovalCall() {
      @Override
      public void requireApprovedState() {
        if (!MessageDigest.isEqual(approvedState, shippedState(receiver, airlock))) {
          throw new AirlockBlockedException(tool.getName(), AirlockBlockedException.Reason.NOT_APPROVED,
              "approval: tool state", "the state of the tool object that would ship with the call changed while "
              + "the call awaited approval, so it is not the call that was approved",
              List.of("make the call again, so it is approved as it stands now"));
        }
      }

      @Override
      public Method method() {
        return tool;
      }

      @Override
      public String mask(String text) {
        return guard.maskForApprover(text, airlock.policy());
      }

      @Override
      public Object maskValue(Object value) {
        return guard.maskValueForApprover(value, airlock.policy());
      }

      @Override
      public int maxArgumentBytes() {
        return pools.config().maxPayloadBytes();
      }

      @Override
      public Object resume(Object[] arguments, boolean edited) throws Throwable {
        requireApprovedState();
        return guarded(receiver, tool, airlock, arguments, reflective(receiver, tool, arguments),
            edited ? Step.EDITED : Step.APPROVED);
      }
    };
  }

  /** A call the approval gate holds, which can say whether its tool object is still the one approved. */
  private interface ApprovalCall extends ApprovalGate.Call {
    /** Throws {@link AirlockBlockedException} ({@code approval: tool state}) when the shipped state changed. */
    void requireApprovedState();
  }

  /**
   * A digest of the receiver's state as a sandboxed call would ship it ({@link ShipFields} fields, a record's
   * components, a lambda's captures), or an empty one when nothing of it ships. The state is not kept (a pending call
   * holds no copy the store does not count); what resumes must ship the same state the approver was asked about, or
   * the model could approve {@code send(body)} and then redirect it with a {@code setRecipient} tool before it runs.
   * A host-run call's receiver is the live object, as any host call's (docs/guard.md).
   */
  private static final byte[] UNSHIPPABLE_STATE = {1};

  private byte[] shippedState(Object receiver, Airlock airlock) {
    if (!airlock.sandbox() || receiver == null) {
      return new byte[0];
    }
    try {
      return MessageDigest.getInstance("SHA-256").digest(
          Codec.encodeArguments(new Object[] {receiver}, pools.config().maxPayloadBytes()));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    } catch (RuntimeException unshippable) {
      // Such a receiver cannot ship, so the call fails before any worker, or runs on the host where it is live.
      return UNSHIPPABLE_STATE;
    }
  }

  /**
   * The body with {@code args}, called through reflection: an approved call runs the arguments the gate kept, not
   * the adapter's (which may be another array, or gone by the time a suspended call resumes). A woven or agent-
   * instrumented method re-enters {@link #intercept}, which sees the {@link #PROCEEDING} mark and runs the body.
   */
  private static LocalCall reflective(Object receiver, Method tool, Object[] args) {
    return () -> {
      tool.trySetAccessible();
      try {
        return tool.invoke(receiver, args);
      } catch (InvocationTargetException e) {
        throw e.getCause();
      }
    };
  }

  /**
   * The body, run with this thread marked as proceeding for its method, whichever thread runs it. A class, not a
   * lambda, like the other steps of a call: a lambda's call site is linked on its first run, which on a call a few
   * seconds after start is the caller's first call (about 0.2 ms each, interpreted; {@code HostWarmUpTest}).
   */
  private static final class Marked implements LocalCall {
    private final Proceeding call;
    private final LocalCall proceed;

    Marked(Object receiver, Method method, LocalCall proceed) {
      this.call = new Proceeding(receiver, method);
      this.proceed = proceed;
    }

    @Override
    public Object proceed() throws Throwable {
      Proceeding previous = PROCEEDING.get();
      PROCEEDING.set(call);
      try {
        return proceed.proceed();
      } finally {
        if (previous == null) {
          PROCEEDING.remove();
        } else {
          PROCEEDING.set(previous);
        }
      }
    }
  }

  private Object dispatch(Airlock airlock, AirlockConfig config, String backend, Duration timeout, Object receiver,
      Method method, Object[] args, LocalCall proceed, CallEgress egress, ArgumentHash argumentHash)
      throws Throwable {
    if (!airlock.sandbox()) {
      return LocalExecution.run(proceed, receiver, method, timeout,
          method.getDeclaringClass().getSimpleName() + "." + method.getName(), config.maxOverdueHostCalls());
    }
    int memoryMb = airlock.memoryMb() > 0 ? airlock.memoryMb() : config.memoryMb();
    boolean required = airlock.sandboxRequired() || config.sandboxRequired();
    return PoolAccess.invoke(pools.pool(backend, memoryMb),
        new Invocation(receiver, method, args, timeout, required, proceed, egress, argumentHash));
  }
}
