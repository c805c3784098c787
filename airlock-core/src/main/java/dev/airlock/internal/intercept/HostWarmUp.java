package dev.airlock.internal.intercept;

import dev.airlock.annotation.Airlock;
import dev.airlock.internal.codec.ClassAllowlist;
import dev.airlock.internal.codec.Codec;
import dev.airlock.internal.codec.InvocationPacker;
import dev.airlock.internal.guard.AuditLog;
import dev.airlock.internal.trace.CallTracing;
import dev.airlock.internal.wire.Messages;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host side of a call run once with made-up data, so the classes and one-time set-up of the first real call are
 * ready: the interceptor and its guard, an invocation encoded and a result decoded with Kryo, the audit record's HMAC
 * (which loads the JDK's security providers) and its JSON (Jackson), built but neither written nor counted. Profiled
 * on a fresh JVM with the java agent, these were about 0.6 of the first call's 1.4 s besides the backend and the
 * worker. Nothing here reaches a sandbox or a pool. What it keeps is the codecs it built, which are lent to any thread
 * ({@code KryoPool}), so the caller's first call takes them instead of building its own; each audit MAC is per
 * thread.
 *
 * <p>Run once, not to get the host's path compiled: measured, 300 rounds of it (about 320 ms of CPU, while the JVM
 * starts) compiled none of its methods, since the JIT raises its thresholds while its queue is long with the
 * start's own methods; 2,000 rounds compiled them and took the host's CPU per reused call from about 2.1 to 1.8 ms.
 */
public final class HostWarmUp {
  private static final Logger LOG = LoggerFactory.getLogger(HostWarmUp.class);
  private static final int MAX_BYTES = 64 * 1024;

  /**
   * The classes of the host's call path that a first call loads and initializes after the interceptor is reached
   * (read off {@code -Xlog:class+load} of a first call 1 s after start), each otherwise read from its jar, verified
   * and initialized on the caller's thread, the OpenTelemetry look-up of {@code CallTracing} among them
   * ({@code OtelCallTrace} links only where the OpenTelemetry API is present, and is skipped elsewhere). Initializing
   * them runs no call and touches no pool; a name that no longer exists only costs the first call that class
   * ({@code HostWarmUpTest} keeps the list whole). Measured in a fresh JVM whose worker was up, the caller's CPU for
   * its first call went from 15-20 to 8-11 ms, for about 9 ms more on the warm-up's thread.
   */
  static final List<String> FIRST_CALL_CLASSES = List.of(
      "dev.airlock.internal.intercept.EffectiveAirlock$Resolved",
      "dev.airlock.internal.intercept.AirlockInterceptor$Step",
      "dev.airlock.internal.intercept.LocalCall",
      "dev.airlock.internal.intercept.AirlockInterceptor$Marked",
      "dev.airlock.internal.intercept.AirlockInterceptor$Proceeding",
      "dev.airlock.AirlockPolicy",
      "dev.airlock.internal.trace.CallTracing",
      "dev.airlock.internal.trace.CallTracing$Restore",
      "dev.airlock.internal.trace.CallTrace",
      "dev.airlock.internal.trace.OtelCallTrace",
      "dev.airlock.internal.trace.OtelCallTrace$OpenPhase",
      "dev.airlock.internal.trace.OtelCallTrace$Bound",
      "dev.airlock.internal.trace.CallTrace$Scope",
      "dev.airlock.internal.trace.CallTrace$Phase",
      "dev.airlock.internal.trace.CallTraceAttributes",
      "dev.airlock.internal.trace.TraceIds",
      "dev.airlock.internal.intercept.CallEgress",
      "dev.airlock.internal.intercept.CallEgress$Opened",
      "dev.airlock.internal.intercept.CallEgress$Closing",
      "dev.airlock.internal.intercept.Invocation",
      "dev.airlock.internal.guard.ArgumentHash",
      "dev.airlock.internal.guard.PolicyCheck$ToolName",
      "dev.airlock.internal.guard.ArgumentValidation",
      "dev.airlock.ExecutionListener",
      "dev.airlock.ExecutionListener$Call",
      "dev.airlock.ExecutionListener$Event",
      "dev.airlock.ExecutionListener$Outcome",
      "dev.airlock.SandboxPool$Attempt",
      "dev.airlock.SandboxPool$2",
      "dev.airlock.SandboxPool$WhileShipped",
      "dev.airlock.internal.pool.WorkerSession$WhileRunning",
      "dev.airlock.internal.pool.WorkerSession$TimeoutWatchdog",
      "dev.airlock.internal.pool.WorkerPool$Kill",
      "dev.airlock.internal.pool.CallLog",
      "dev.airlock.internal.wire.Messages$Invoke",
      "dev.airlock.internal.wire.Messages$Writer",
      "dev.airlock.internal.wire.Messages$Result",
      "java.util.concurrent.atomic.LongAdder");

  private static final AtomicBoolean DONE = new AtomicBoolean();
  /** Counted down once the warm-up has run, or failed. */
  private static final CountDownLatch FINISHED = new CountDownLatch(1);

  private HostWarmUp() {
  }

  /**
   * {@link #once()} on a daemon thread, for a first call that found nothing warmed up: while the caller creates the
   * backend and starts a worker (hundreds of ms), the audit's HMAC and JSON set-up that it meets only after the call
   * load beside it. After the first time this is one atomic read.
   */
  public static void startOnce() {
    if (DONE.get()) {
      return;
    }
    Thread thread = new Thread(HostWarmUp::once, "airlock-warm-up-host");
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * Runs the host side on this thread, the first time only; a failure only costs the first call its warm start, so
   * it is logged.
   */
  public static void once() {
    if (DONE.getAndSet(true)) {
      return;
    }
    try {
      run();
    } finally {
      FINISHED.countDown();
    }
  }

  /**
   * Waits until the warm-up has run, for an application that makes its first call only once the host side is warm;
   * false if it has not started or did not end within {@code timeout}.
   */
  public static boolean awaitWarm(Duration timeout) throws InterruptedException {
    return FINISHED.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  private static void run() {
    try {
      AirlockInterceptor.shared();
      EffectiveAirlock.of(null, HostWarmUp.class.getDeclaredMethod("tool"));
      for (String name : FIRST_CALL_CLASSES) {
        initialize(name);
      }
      CallTracing.warmUp();
      Method sample = HostWarmUp.class.getDeclaredMethod("sample", String.class, int.class, List.class);
      Object[] args = {"warm-up", 1, List.of("a", "b")};
      byte[] payload = InvocationPacker.pack(null, sample, args, MAX_BYTES);
      // The frames of a call, so their writer's and reader's call sites are linked here, not by the first call.
      Messages.invoke(new Messages.Invoke(0, 1, MAX_BYTES, "", payload));
      byte[] header = Messages.resultHeader(0, 0);
      Messages.result(Arrays.copyOf(header, header.length + 1));
      Messages.warmUp(Messages.warmUp(0), "WARMED");
      Codec.decodeResult(Codec.encodeResult(sample(args[0].toString(), 1, List.of("a")), MAX_BYTES),
          ClassAllowlist.forCall(null, sample, List.of()));
      AuditLog.unrecorded("warm-up", "success", "local", Duration.ZERO, args).toJson();
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.debug("Airlock host warm-up failed; the first call loads what it needs itself", e);
    }
  }

  /** Loads and initializes {@code name}; OpenTelemetry's classes only link when its API is on the classpath. */
  private static void initialize(String name) {
    try {
      Class.forName(name, true, HostWarmUp.class.getClassLoader());
    } catch (ClassNotFoundException | LinkageError e) {
      LOG.debug("Airlock host warm-up: {} not initialized: {}", name, e.toString());
    }
  }

  /** An annotated method, for the interceptor's look-up of the annotation that governs a call; never called. */
  @Airlock
  private static void tool() {
  }

  /** The shape of a typical tool call: strings, a number, a list. */
  private static String sample(String text, int n, List<String> words) {
    return text + n + words;
  }
}
