package dev.airlock.internal.approval;

import dev.airlock.AirlockApprovalRequiredException;
import dev.airlock.AirlockBlockedException;
import dev.airlock.AirlockBlockedException.Reason;
import dev.airlock.AirlockContext;
import dev.airlock.ApprovalDecision;
import dev.airlock.ApprovalHandler;
import dev.airlock.ApprovalRequest;
import dev.airlock.ApprovalStore;
import dev.airlock.PayloadTooLargeException;
import dev.airlock.UnshippableInvocationException;
import dev.airlock.internal.codec.Codec;
import dev.airlock.internal.guard.ApprovalAudit;
import dev.airlock.internal.guard.BoundedText;
import dev.airlock.internal.guard.MaskingRefusedException;
import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The approval state machine. A call that needs approval is frozen first: its arguments are encoded to bytes (bounded
 * by {@code airlock.max-payload-bytes}) and what runs later is decoded from those bytes, never re-read from the
 * caller's objects. Then, with a handler (blocking), the calling thread waits for the decision up to the timeout; without
 * one (suspended), the call goes to the store and the caller gets {@link AirlockApprovalRequiredException} at once.
 *
 * <p>Invariants, whatever the store does: a call id is 128 bits from {@link SecureRandom}; a decision is applied
 * only to a call this gate suspended, only once (the store's {@code take} removes it) and only before it expires;
 * denied, expired and timed-out calls never run; edited arguments are type-checked here and then checked by the
 * guard (validation and policy) as the original ones were, before anything is shipped.
 */
public final class ApprovalGate {
  private static final SecureRandom IDS = new SecureRandom();

  /** What the interceptor gives the gate of one call. */
  public interface Call {
    Method method();

    /** An argument's text as the tool's policy masks it. */
    String mask(String text);

    /**
     * An argument as the tool's policy masks a value (its strings, {@code char[]}, {@code byte[]} and fields), before
     * it is printed: printed first, a {@code char[]} is its characters one by one, which no text pattern matches.
     *
     * @throws dev.airlock.internal.guard.MaskingRefusedException when the value cannot be masked
     */
    Object maskValue(Object value);

    int maxArgumentBytes();

    /**
     * Runs the approved call with {@code arguments} (checked again by the guard first when {@code edited}), writing
     * its audit record as any call's; the bound context is the caller's.
     */
    Object resume(Object[] arguments, boolean edited) throws Throwable;
  }

  /** The arguments a call approved in blocking mode runs with, and whether the approver changed them. */
  public record Admitted(Object[] arguments, boolean edited) {
  }

  private final ApprovalHandler handler;
  private final Duration timeout;
  private final ApprovalStore store;
  private final Duration expireAfter;
  private final int maxPendingPerSession;
  private final Clock clock;
  private final ApprovalAudit audit = new ApprovalAudit();
  /** Held while a call is counted against its session's limit and offered to the store. */
  private final Object suspending = new Object();

  /** @param handler {@code null}: suspended mode */
  public ApprovalGate(ApprovalHandler handler, Duration timeout, ApprovalStore store, Duration expireAfter,
      int maxPendingPerSession, Clock clock) {
    this.handler = handler;
    this.timeout = timeout;
    this.store = store;
    this.expireAfter = expireAfter;
    this.maxPendingPerSession = maxPendingPerSession;
    this.clock = clock;
  }

  public boolean blocking() {
    return handler != null;
  }

  public ApprovalAudit audit() {
    return audit;
  }

  /**
   * Freezes {@code arguments} (the caller's objects are not kept). Blocking: the arguments to run once approved.
   * Suspended: keeps the call and throws {@link AirlockApprovalRequiredException}. A denial, a timeout or a full
   * store throws {@link AirlockBlockedException} ({@code NOT_APPROVED}).
   */
  public Admitted admit(Call call, Object[] arguments) {
    AirlockContext context = AirlockContext.current().orElse(null);
    byte[] kept = freeze(call.method(), arguments, call.maxArgumentBytes());
    Object[] frozen = Codec.decodeArguments(kept);
    Instant now = clock.instant();
    String tool = call.method().getName();
    ApprovalRequest request = new ApprovalRequest(newId(), tool,
        describe(call, frozen, handler != null && handler.trusted()), context, now,
        now.plus(handler != null ? timeout : expireAfter));
    if (handler == null) {
      boolean atLimit;
      boolean stored;
      // Counted and offered as one step: calls of one session arriving together would otherwise all count the same
      // pending calls, and all be kept (16 of a session limited to 3, ApprovalTest).
      synchronized (suspending) {
        atLimit = pendingOf(context, now) >= maxPendingPerSession;
        stored = !atLimit && store.offer(new PendingCall(request, call, kept), now);
      }
      if (atLimit) {
        audit.record(tool, request.callId(), context, "full", null, "this session's pending calls are at the limit",
            now, frozen, null);
        throw notApproved(tool, "approval: session limit", "this session already has " + maxPendingPerSession
            + " calls awaiting approval", "wait until they are decided, then call " + tool + " again");
      }
      if (!stored) {
        audit.record(tool, request.callId(), context, "full", null, "the approval store is full", now, frozen, null);
        throw notApproved(tool, "approval: store full", "too many calls are awaiting approval",
            "wait until pending calls are decided, then call " + tool + " again");
      }
      audit.record(tool, request.callId(), context, "suspended", null, null, now, frozen, null);
      throw new AirlockApprovalRequiredException(tool, request.callId());
    }
    ApprovalDecision decision = await(request, frozen);
    return new Admitted(decided(call, request, frozen, decision), decision.editedArguments().isPresent());
  }

  /**
   * Applies {@code decision} to the suspended call {@code callId} and, when approved, runs it on this thread with the
   * caller's context bound: returns its result or throws what it threw.
   *
   * @throws IllegalArgumentException when no call {@code callId} is pending: unknown, already decided or expired
   */
  public Object resume(String callId, ApprovalDecision decision) throws Throwable {
    Instant now = clock.instant();
    Optional<ApprovalStore.Pending> taken = callId == null ? Optional.empty() : store.take(callId, now);
    if (taken.isEmpty() || !(taken.get() instanceof PendingCall pending) || !pending.claim(this)
        || !pending.request().callId().equals(callId)) {
      audit.record(null, clip(String.valueOf(callId), 64), null, "refused", decision.approver(),
          "no such pending call", now, null, null);
      throw new IllegalArgumentException("no call " + callId + " is awaiting approval: the id is unknown, the call "
          + "was already decided, or it expired");
    }
    ApprovalRequest request = pending.request();
    Object[] frozen = Codec.decodeArguments(pending.arguments());
    if (!now.isBefore(request.expiresAt())) {
      audit.record(request.tool(), callId, request.context(), "expired", decision.approver(),
          "decided after " + request.expiresAt(), now, frozen, null);
      throw new IllegalArgumentException("call " + callId + " expired at " + request.expiresAt()
          + " and was dropped without running; the model must make the call again");
    }
    AirlockContext context = request.context();
    try (AirlockContext.Scope scope = context == null ? () -> { } : context.bind()) {
      Object[] arguments = decided(pending.call(), request, frozen, decision);
      return pending.call().resume(arguments, decision.editedArguments().isPresent());
    }
  }

  /** How many calls of the session of {@code context} (agent and session; none is a session too) are waiting. */
  private long pendingOf(AirlockContext context, Instant now) {
    return store.pending(now).stream().filter(r -> sameSession(r.context(), context)).count();
  }

  private static boolean sameSession(AirlockContext a, AirlockContext b) {
    return a == null || b == null ? a == b
        : Objects.equals(a.agentId(), b.agentId()) && Objects.equals(a.sessionId(), b.sessionId());
  }

  /** The calls waiting for a decision (suspended mode). */
  public List<ApprovalRequest> pending() {
    return store.pending(clock.instant());
  }

  private ApprovalDecision await(ApprovalRequest request, Object[] frozen) {
    CompletableFuture<ApprovalDecision> answer = null;
    String failure;
    try {
      answer = handler.decide(request).toCompletableFuture();
      ApprovalDecision decision = answer.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (decision != null) {
        return decision;
      }
      failure = "the handler answered null";
    } catch (TimeoutException e) {
      failure = "no decision within " + timeout.toSeconds() + " s";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      failure = "interrupted while waiting for the decision";
    } catch (ExecutionException | RuntimeException e) {
      failure = "the handler failed: " + (e instanceof ExecutionException ? e.getCause() : e);
    }
    if (answer != null) {
      answer.cancel(true);
    }
    audit.record(request.tool(), request.callId(), request.context(), "timeout", null, failure, clock.instant(),
        frozen, null);
    throw notApproved(request.tool(), "approval: no decision", "no one approved the call: " + failure,
        "ask the user to approve " + request.tool() + ", then call it again");
  }

  /** Audits {@code decision}; returns the arguments to run, or throws when it denies. */
  private Object[] decided(Call call, ApprovalRequest request, Object[] frozen, ApprovalDecision decision) {
    Instant now = clock.instant();
    String tool = request.tool();
    if (!decision.approved()) {
      audit.record(tool, request.callId(), request.context(), "denied", decision.approver(), decision.reason(), now,
          frozen, null);
      throw notApproved(tool, "approval: denied by " + decision.approver(), "the call was denied: "
          + decision.reason(), decision.reason());
    }
    Optional<List<Object>> edited = decision.editedArguments();
    if (edited.isEmpty()) {
      audit.record(tool, request.callId(), request.context(), "approved", decision.approver(), null, now, frozen, null);
      return frozen;
    }
    Object[] replaced = checkTypes(call.method(), edited.get());
    Object[] kept = Codec.decodeArguments(freeze(call.method(), replaced, call.maxArgumentBytes()));
    EditedTypes.check(call.method(), kept);
    audit.record(tool, request.callId(), request.context(), "edited", decision.approver(), null, now, frozen, kept);
    return kept;
  }

  /**
   * The arguments' bytes. Arguments the codec cannot write are refused as they would be if shipped: a call is never
   * kept by reference to objects its caller can still change.
   */
  private static byte[] freeze(Method method, Object[] arguments, int maxBytes) {
    try {
      return Codec.encodeArguments(arguments, maxBytes);
    } catch (PayloadTooLargeException | UnshippableInvocationException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new UnshippableInvocationException("the arguments of " + method.getName() + " cannot be kept while it "
          + "awaits approval: " + e.getMessage() + ". Pass plain data (strings, numbers, records, collections)", e);
    }
  }

  private static Object[] checkTypes(Method method, List<Object> edited) {
    Class<?>[] types = method.getParameterTypes();
    if (edited.size() != types.length) {
      throw new AirlockBlockedException(method.getName(), Reason.VALIDATION, "approval: edited arguments",
          "the approver gave " + edited.size() + " argument(s) for " + types.length + " parameter(s)",
          List.of("give one argument per parameter of " + method.getName() + ", in order"));
    }
    List<String> wrong = new ArrayList<>();
    for (int i = 0; i < types.length; i++) {
      Object value = edited.get(i);
      Class<?> type = types[i].isPrimitive() ? boxed(types[i]) : types[i];
      if (value == null ? types[i].isPrimitive() : !type.isInstance(value)) {
        wrong.add("argument " + i + " must be a " + types[i].getSimpleName());
      }
    }
    if (!wrong.isEmpty()) {
      throw new AirlockBlockedException(method.getName(), Reason.VALIDATION, "approval: edited arguments",
          "edited arguments do not fit the parameters: " + wrong, wrong);
    }
    return edited.toArray();
  }

  private static Class<?> boxed(Class<?> primitive) {
    return java.lang.invoke.MethodType.methodType(primitive).wrap().returnType();
  }

  private static Map<String, String> describe(Call call, Object[] arguments, boolean trusted) {
    Parameter[] parameters = call.method().getParameters();
    Map<String, String> out = new LinkedHashMap<>();
    for (int i = 0; i < arguments.length; i++) {
      String text;
      if (trusted) {
        text = BoundedText.of(arguments[i], ApprovalRequest.MAX_ARGUMENT_CHARS);
      } else {
        try {
          // Masked before it is cut, so no secret is cut in two and escapes its pattern; the cut bounds what is kept.
          text = call.mask(BoundedText.of(call.maskValue(arguments[i]), 4 * ApprovalRequest.MAX_ARGUMENT_CHARS));
        } catch (MaskingRefusedException e) {
          text = "(not shown: it cannot be masked)";
        }
      }
      out.put(i < parameters.length ? parameters[i].getName() : "arg" + i,
          clip(text, ApprovalRequest.MAX_ARGUMENT_CHARS));
    }
    return out;
  }

  private static String clip(String text, int max) {
    return text.length() <= max ? text : text.substring(0, max) + "…[truncated " + (text.length() - max) + " chars]";
  }

  private static AirlockBlockedException notApproved(String tool, String rule, String message, String fix) {
    return new AirlockBlockedException(tool, Reason.NOT_APPROVED, rule, message, List.of(fix));
  }

  private static String newId() {
    byte[] bits = new byte[16];
    IDS.nextBytes(bits);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bits);
  }

  /**
   * A suspended call: the gate that kept it, its request, its interceptor continuation and its arguments' bytes.
   * Claimed once: a store that hands the same call out twice still gets it run once.
   */
  private final class PendingCall implements ApprovalStore.Pending {
    private final ApprovalRequest request;
    private final Call call;
    private final byte[] arguments;
    private final AtomicBoolean claimed = new AtomicBoolean();

    PendingCall(ApprovalRequest request, Call call, byte[] arguments) {
      this.request = request;
      this.call = call;
      this.arguments = arguments;
    }

    @Override
    public ApprovalRequest request() {
      return request;
    }

    Call call() {
      return call;
    }

    byte[] arguments() {
      return arguments;
    }

    @Override
    public long sizeBytes() {
      long text = request.arguments().values().stream().mapToLong(v -> 2L * v.length()).sum();
      return arguments.length + text + 512;
    }

    /** Whether {@code gate} kept this call and this is the first claim of it. */
    boolean claim(ApprovalGate gate) {
      return ApprovalGate.this == gate && claimed.compareAndSet(false, true);
    }
  }
}
