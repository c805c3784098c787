package dev.airlock.internal.approval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.airlock.AirlockApprovalRequiredException;
import dev.airlock.AirlockApprovals;
import dev.airlock.AirlockBlockedException.Reason;
import dev.airlock.AirlockBlockedException;
import dev.airlock.AirlockConfig;
import dev.airlock.AirlockContext;
import dev.airlock.AirlockPolicy;
import dev.airlock.ApprovalDecision;
import dev.airlock.ApprovalHandler;
import dev.airlock.ApprovalRequest;
import dev.airlock.ApprovalStore;
import dev.airlock.SandboxPool;
import dev.airlock.SandboxUnavailableException;
import dev.airlock.annotation.Airlock;
import dev.airlock.internal.guard.Guard;
import dev.airlock.internal.guard.InProcessRateLimitStore;
import dev.airlock.internal.intercept.AirlockInterceptor;
import jakarta.validation.constraints.Size;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.ref.WeakReference;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 18, approval: the state machine through the real interceptor. Host-run tools (no worker) for the state
 * machine; one call on a real local worker at the end.
 */
@Timeout(120)
class ApprovalTest {
  /** What the tools' bodies ran, in order: a call that never runs leaves no trace here. */
  static final ConcurrentLinkedQueue<String> RAN = new ConcurrentLinkedQueue<>();

  /** A payment as a tool takes it: the model writes every component. */
  public record Payment(String memo, String account, long cents) {
  }

  public static class Tools {
    @Airlock(approval = true)
    public String pay(Payment payment) {
      RAN.add("pay " + payment);
      return "paid";
    }

    @Airlock(approval = true)
    public String send(@Size(max = 30) String to, List<String> lines) {
      RAN.add("send " + to + " " + lines);
      return "sent to " + to + ": " + lines;
    }

    @Airlock(approval = true)
    public String hold(Object handle) {
      RAN.add("hold " + handle);
      return "held";
    }

    @Airlock(policy = "ops")
    public String deleteAll(String what) {
      RAN.add("deleteAll " + what);
      return "deleted " + what;
    }

    @Airlock(policy = "ops")
    public String readAll(String what) {
      RAN.add("readAll " + what);
      return "read " + what;
    }

    @Airlock(sandbox = true, sandboxRequired = true, approval = true, timeoutSeconds = 60)
    public String sandboxedSend(String to) {
      return "sent to " + to + (dev.airlock.AirlockRuntime.isSandboxed() ? " from the sandbox" : " from the host");
    }
  }

  /** A tool whose state ships with its sandboxed calls, and which another tool call can change. */
  @dev.airlock.annotation.ShipFields
  public static class Mailer {
    String recipient = "team@example.com";

    public void setRecipient(String recipient) {
      this.recipient = recipient;
    }

    @Airlock(sandbox = true, approval = true)
    public String send(String body) {
      RAN.add("mail " + body + " to " + recipient);
      return "mailed";
    }
  }

  private final Map<String, AirlockPolicy> policies = new ConcurrentHashMap<>();
  private volatile Instant now = Instant.parse("2026-12-02T10:00:00Z");
  private final Clock clock = new Clock() {
    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  };
  private SandboxPool pool;

  @AfterEach
  void clear() {
    RAN.clear();
    if (pool != null) {
      pool.close();
    }
  }

  private AirlockInterceptor interceptor(AirlockApprovals approvals) {
    SandboxPool unreachable = SandboxPool.builder(AirlockConfig.builder().poolMinSize(0).poolMaxSize(1).build())
        .backend("unreachable", () -> {
          throw new SandboxUnavailableException("no workers in this test");
        }).build();
    return interceptor(approvals, unreachable);
  }

  private AirlockInterceptor interceptor(AirlockApprovals approvals, SandboxPool target) {
    Guard guard = new Guard(name -> Optional.ofNullable(policies.get(name.isEmpty() ? "global" : name)),
        new InProcessRateLimitStore(), clock);
    return new AirlockInterceptor(new AirlockInterceptor.PoolResolver() {
      @Override
      public AirlockConfig config() {
        return AirlockConfig.defaults();
      }

      @Override
      public SandboxPool pool(String backend, int memoryMb) {
        return target;
      }
    }, guard, () -> approvals);
  }

  private AirlockApprovals suspended(int maxPending) {
    return AirlockApprovals.builder().store(ApprovalStore.inMemory(maxPending)).expireAfter(Duration.ofMinutes(10))
        .maxPendingPerSession(Integer.MAX_VALUE) // the store's own bounds are what these tests see
        .clock(clock).build();
  }

  private static Object call(AirlockInterceptor interceptor, String name, Object... args) throws Throwable {
    Method method = java.util.Arrays.stream(Tools.class.getMethods()).filter(m -> m.getName().equals(name))
        .findFirst().orElseThrow();
    Tools tools = new Tools();
    return interceptor.intercept(tools, method, args, () -> method.invoke(tools, args));
  }

  private static String suspend(AirlockInterceptor interceptor, String name, Object... args) {
    Throwable thrown = catchThrowable(() -> call(interceptor, name, args));
    assertThat(thrown).isInstanceOf(AirlockApprovalRequiredException.class);
    return ((AirlockApprovalRequiredException) thrown).callId();
  }

  private static Throwable catchThrowable(ThrowingCall call) {
    try {
      call.run();
      return null;
    } catch (Throwable t) {
      return t;
    }
  }

  interface ThrowingCall {
    void run() throws Throwable;
  }

  /** A handler that keeps what it is asked and answers {@code decision} at once. */
  private static ApprovalHandler recording(List<ApprovalRequest> asked, ApprovalDecision decision, boolean trusted) {
    return new ApprovalHandler() {
      @Override
      public CompletableFuture<ApprovalDecision> decide(ApprovalRequest request) {
        asked.add(request);
        return CompletableFuture.completedFuture(decision);
      }

      @Override
      public boolean trusted() {
        return trusted;
      }
    };
  }

  @Test
  void aSuspendedCallEndsAtOnceRunsNothingAndResumesWithItsArgumentsExactlyOnce() throws Throwable {
    AirlockApprovals approvals = suspended(10);
    AirlockInterceptor interceptor = interceptor(approvals);
    AirlockApprovalRequiredException pending = (AirlockApprovalRequiredException) catchThrowable(
        () -> call(interceptor, "send", "bob@example.com", List.of("hi")));

    assertThat(pending.callId()).matches("[A-Za-z0-9_-]{22}");
    assertThat(pending.toModelMessage()).startsWith("{\"approvalRequired\":true,\"tool\":\"send\",\"callId\":\""
        + pending.callId() + "\",\"status\":\"awaiting approval\",\"message\":");
    assertThat(RAN).as("nothing ran while the call awaits approval").isEmpty();
    assertThat(approvals.pending()).singleElement().satisfies(r -> {
      assertThat(r.callId()).isEqualTo(pending.callId());
      assertThat(r.tool()).isEqualTo("send");
      assertThat(r.arguments().values()).as("masked by the default policy (FULL)")
          .containsExactly("[REDACTED]", "[\"hi\"]");
      assertThat(r.expiresAt()).isEqualTo(now.plus(Duration.ofMinutes(10)));
    });

    assertThat(approvals.resume(pending.callId(), ApprovalDecision.approve("alice")))
        .isEqualTo("sent to bob@example.com: [hi]");
    assertThat(RAN).containsExactly("send bob@example.com [hi]");
    assertThatThrownBy(() -> approvals.resume(pending.callId(), ApprovalDecision.approve("alice")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("already decided");
    assertThat(RAN).hasSize(1);
    assertThat(approvals.pending()).isEmpty();
    assertThat(approvals.counts()).containsEntry("suspended", 1L).containsEntry("approved", 1L)
        .containsEntry("refused", 1L);
    assertThat(interceptor.auditLog().counts()).containsEntry("pending", 1L).containsEntry("success", 1L);
  }

  @Test
  void aBlockingApprovalDuringWhichTheToolStateChangedIsRefused() throws Throwable {
    // Attack review 17: only a suspended call compared the tool's state when it resumed. A blocking call waits for
    // the person on the caller's thread, and a model's parallel tool call (an MCP client sends both at once) set a new
    // recipient meanwhile: the approved send went to it.
    Mailer mailer = new Mailer();
    AirlockInterceptor interceptor = interceptor(AirlockApprovals.builder().handler(request -> {
      mailer.setRecipient("x@evil.example"); // the other call, while the person reads the request
      return java.util.concurrent.CompletableFuture.completedFuture(ApprovalDecision.approve("alice"));
    }).clock(clock).build());
    Method send = Mailer.class.getMethod("send", String.class);
    assertThatThrownBy(() -> interceptor.intercept(mailer, send, new Object[] {"the report"},
        () -> mailer.send("the report")))
        .isInstanceOf(AirlockBlockedException.class).hasMessageContaining("tool state")
        .satisfies(e -> assertThat(((AirlockBlockedException) e).reason()).isEqualTo(Reason.NOT_APPROVED));
    assertThat(RAN).as("the redirected mail never went").isEmpty();
    assertThat(interceptor.auditLog().counts()).containsEntry("blocked", 1L);
  }

  @Test
  void aSandboxedCallWhoseToolStateChangedWhileItWaitedIsRefused() throws Throwable {
    AirlockApprovals approvals = suspended(10);
    AirlockInterceptor interceptor = interceptor(approvals);
    Method send = Mailer.class.getMethod("send", String.class);
    Mailer mailer = new Mailer();
    Throwable first = catchThrowable(() -> interceptor.intercept(mailer, send, new Object[] {"the report"},
        () -> mailer.send("the report")));
    String id = ((AirlockApprovalRequiredException) first).callId();

    mailer.setRecipient("x@evil.example");

    assertThatThrownBy(() -> approvals.resume(id, ApprovalDecision.approve("alice")))
        .isInstanceOf(AirlockBlockedException.class).hasMessageContaining("tool state")
        .satisfies(e -> assertThat(((AirlockBlockedException) e).reason()).isEqualTo(Reason.NOT_APPROVED));
    assertThat(RAN).as("the redirected mail never went").isEmpty();

    Throwable again = catchThrowable(() -> interceptor.intercept(mailer, send, new Object[] {"the report"},
        () -> mailer.send("the report")));
    approvals.resume(((AirlockApprovalRequiredException) again).callId(), ApprovalDecision.approve("alice"));
    assertThat(RAN).as("approved as it stands, it runs").containsExactly("mail the report to x@evil.example");
  }

  @Test
  void oneSessionCannotFillTheStoreForTheOthers() throws Throwable {
    AirlockApprovals approvals = AirlockApprovals.builder().store(ApprovalStore.inMemory(10)).maxPendingPerSession(3)
        .clock(clock).build();
    AirlockInterceptor interceptor = interceptor(approvals);
    AirlockContext flooder = new AirlockContext("agent", "flooding-session", Set.of(), Map.of());
    try (AirlockContext.Scope scope = flooder.bind()) {
      for (int i = 0; i < 3; i++) {
        suspend(interceptor, "send", "bob", List.of("spam " + i));
      }
      assertThatThrownBy(() -> call(interceptor, "send", "bob", List.of("one more")))
          .isInstanceOf(AirlockBlockedException.class).hasMessageContaining("session limit")
          .satisfies(e -> assertThat(((AirlockBlockedException) e).reason()).isEqualTo(Reason.NOT_APPROVED));
    }
    try (AirlockContext.Scope scope = new AirlockContext("agent", "another-session", Set.of(), Map.of()).bind()) {
      String id = suspend(interceptor, "send", "carol", List.of("hello"));
      assertThat(approvals.resume(id, ApprovalDecision.approve("alice"))).isEqualTo("sent to carol: [hello]");
    }
    assertThat(approvals.pending()).hasSize(3);
    assertThat(RAN).containsExactly("send carol [hello]");
  }

  /**
   * Attack review 15: the session's count and the offer were two steps, so calls of one session arriving together all
   * counted the same pending calls and all were kept. A store is an SPI and may be remote; a slow one (50 ms to list)
   * makes the window wide, but any concurrency opens it: 16 calls of a session with a limit of 3 filled the store.
   */
  @Test
  void callsOfOneSessionArrivingTogetherStillStopAtItsLimit() throws Throwable {
    ApprovalStore memory = ApprovalStore.inMemory(100);
    ApprovalStore slow = new ApprovalStore() {
      @Override
      public boolean offer(Pending pending, Instant at) {
        return memory.offer(pending, at);
      }

      @Override
      public Optional<Pending> take(String callId, Instant at) {
        return memory.take(callId, at);
      }

      @Override
      public List<ApprovalRequest> pending(Instant at) {
        List<ApprovalRequest> listed = memory.pending(at);
        try {
          Thread.sleep(50);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return listed;
      }
    };
    AirlockApprovals approvals = AirlockApprovals.builder().store(slow).maxPendingPerSession(3).clock(clock).build();
    AirlockInterceptor interceptor = interceptor(approvals);
    AirlockContext session = new AirlockContext("agent", "one-session", Set.of(), Map.of());
    java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(16);
    java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newFixedThreadPool(16);
    List<java.util.concurrent.Future<Throwable>> outcomes = new java.util.ArrayList<>();
    try {
      for (int i = 0; i < 16; i++) {
        int n = i;
        outcomes.add(threads.submit(() -> {
          try (AirlockContext.Scope scope = session.bind()) {
            start.await();
            return catchThrowable(() -> call(interceptor, "send", "bob", List.of("burst " + n)));
          }
        }));
      }
      long suspended = 0;
      for (java.util.concurrent.Future<Throwable> outcome : outcomes) {
        suspended += outcome.get(30, java.util.concurrent.TimeUnit.SECONDS)
            instanceof AirlockApprovalRequiredException ? 1 : 0;
      }
      assertThat(suspended).as("calls of one session kept").isEqualTo(3);
      assertThat(memory.pending(now)).hasSize(3);
    } finally {
      threads.shutdownNow();
    }
  }

  @Test
  void whatRunsIsTheFrozenInvocationNotTheCallersObjectsAsTheyAreLater() throws Throwable {
    AirlockApprovals approvals = suspended(10);
    AirlockInterceptor interceptor = interceptor(approvals);
    List<String> lines = new ArrayList<>(List.of("pay 10 EUR"));
    String id = suspend(interceptor, "send", "bob", lines);

    lines.set(0, "pay 10000 EUR");
    lines.add("and more");

    assertThat(approvals.resume(id, ApprovalDecision.approve("alice"))).isEqualTo("sent to bob: [pay 10 EUR]");
    assertThat(RAN).containsExactly("send bob [pay 10 EUR]");
  }

  @Test
  void aSuspendedCallKeepsItsFrozenBytesNotTheCallersObjects() throws Throwable {
    AirlockApprovals approvals = suspended(10);
    AirlockInterceptor interceptor = interceptor(approvals);
    List<String> lines = new ArrayList<>(List.of("pay 10 EUR"));
    WeakReference<List<String>> original = new WeakReference<>(lines);
    String id = suspend(interceptor, "send", "bob", lines);

    lines = null;
    for (int i = 0; i < 50 && original.get() != null; i++) {
      System.gc();
      Thread.sleep(20);
    }

    // The store counts the frozen bytes; the caller's objects can be ten times that on the heap (a List<Integer>
    // of 1M numbers is 3 MB of Kryo and 20 MB of Integers), so a pending call must not keep them reachable.
    assertThat(original.get()).as("the caller's argument objects are collectable once the call is suspended")
        .isNull();
    assertThat(approvals.resume(id, ApprovalDecision.approve("alice"))).isEqualTo("sent to bob: [pay 10 EUR]");
  }

  @Test
  void argumentsThatCannotBeFrozenAreRefusedNotKeptByReference() {
    AirlockApprovals approvals = suspended(10);
    AirlockInterceptor interceptor = interceptor(approvals);
    assertThatThrownBy(() -> call(interceptor, "hold", new Thread(() -> { })))
        .isInstanceOf(dev.airlock.UnshippableInvocationException.class);
    assertThat(approvals.pending()).isEmpty();
    assertThat(RAN).isEmpty();
  }

  @Test
  void twoThreadsResumingTheSameCallRunItOnce() throws Throwable {
    AirlockApprovals approvals = suspended(100);
    AirlockInterceptor interceptor = interceptor(approvals);
    ExecutorService threads = Executors.newFixedThreadPool(2);
    try {
      for (int round = 0; round < 50; round++) {
        String id = suspend(interceptor, "send", "bob", List.of("round " + round));
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Object>> both = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
          both.add(threads.submit(() -> {
            start.await();
            try {
              return approvals.resume(id, ApprovalDecision.approve("thread"));
            } catch (Throwable e) {
              return e;
            }
          }));
        }
        start.countDown();
        Object first = both.get(0).get(30, TimeUnit.SECONDS);
        Object second = both.get(1).get(30, TimeUnit.SECONDS);
        assertThat(List.of(first, second)).as("round %s", round)
            .filteredOn(r -> r instanceof String).singleElement().isEqualTo("sent to bob: [round " + round + "]");
        assertThat(List.of(first, second)).filteredOn(r -> r instanceof IllegalArgumentException).hasSize(1);
      }
    } finally {
      threads.shutdownNow();
    }
    assertThat(RAN).hasSize(50).doesNotHaveDuplicates();
  }

  @Test
  void aDeniedCallNeverRunsAndTheModelReadsTheReason() throws Throwable {
    AirlockApprovals approvals = suspended(10);
    AirlockInterceptor interceptor = interceptor(approvals);
    String id = suspend(interceptor, "send", "bob", List.of("hi"));

    assertThatThrownBy(() -> approvals.resume(id, ApprovalDecision.deny("alice", "send it to the team list")))
        .isInstanceOfSatisfying(AirlockBlockedException.class, e -> {
          assertThat(e.reason()).isEqualTo(Reason.NOT_APPROVED);
          assertThat(e.rule()).isEqualTo("approval: denied by alice");
          assertThat(e.toModelMessage()).contains("send it to the team list");
        });
    assertThatThrownBy(() -> approvals.resume(id, ApprovalDecision.approve("mallory")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(RAN).isEmpty();
    assertThat(approvals.counts()).containsEntry("denied", 1L).containsEntry("refused", 1L);
  }

  @Test
  void anExpiredCallNeverRunsAndGuessedIdsAreRefused() throws Throwable {
    AirlockApprovals approvals = suspended(10);
    AirlockInterceptor interceptor = interceptor(approvals);
    String id = suspend(interceptor, "send", "bob", List.of("hi"));
    for (String guess : List.of("", "0", id.substring(1), id.toUpperCase(), id + "A")) {
      assertThatThrownBy(() -> approvals.resume(guess, ApprovalDecision.approve("mallory")))
          .isInstanceOf(IllegalArgumentException.class);
    }
    assertThat(approvals.pending()).hasSize(1);

    now = now.plus(Duration.ofMinutes(10));

    assertThat(approvals.pending()).as("an expired call is not listed").isEmpty();
    assertThatThrownBy(() -> approvals.resume(id, ApprovalDecision.approve("alice")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expired");
    assertThat(RAN).isEmpty();
    assertThat(approvals.counts()).containsEntry("expired", 1L).containsEntry("refused", 5L);
  }

  @Test
  void callIdsAreUnguessableAndDistinct() {
    AirlockApprovals approvals = suspended(AirlockApprovals.DEFAULT_MAX_PENDING);
    AirlockInterceptor interceptor = interceptor(approvals);
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < 200; i++) {
      ids.add(suspend(interceptor, "send", "bob", List.of()));
    }
    assertThat(ids).hasSize(200).allSatisfy(id -> assertThat(java.util.Base64.getUrlDecoder().decode(id)).hasSize(16));
  }

  @Test
  void theStoreIsBoundedSoAFloodIsDeniedAndExpiredCallsMakeRoom() throws Throwable {
    AirlockApprovals approvals = suspended(3);
    AirlockInterceptor interceptor = interceptor(approvals);
    for (int i = 0; i < 3; i++) {
      suspend(interceptor, "send", "bob", List.of("call " + i));
    }
    for (int i = 0; i < 100; i++) {
      assertThatThrownBy(() -> call(interceptor, "send", "bob", List.of("flood")))
          .isInstanceOfSatisfying(AirlockBlockedException.class, e -> {
            assertThat(e.reason()).isEqualTo(Reason.NOT_APPROVED);
            assertThat(e.rule()).isEqualTo("approval: store full");
          });
    }
    assertThat(approvals.pending()).hasSize(3);
    assertThat(approvals.counts()).containsEntry("full", 100L);

    now = now.plus(Duration.ofMinutes(11));
    suspend(interceptor, "send", "bob", List.of("after expiry"));
    assertThat(approvals.pending()).hasSize(1);
    assertThat(RAN).isEmpty();
  }

  @Test
  void theStoreIsBoundedInBytesSoLargeArgumentsCannotPileUp() throws Throwable {
    AirlockApprovals approvals = AirlockApprovals.builder().store(ApprovalStore.inMemory(1000, 1024 * 1024))
        .clock(clock).build();
    AirlockInterceptor interceptor = interceptor(approvals);
    List<String> big = List.of("x".repeat(300_000));
    for (int i = 0; i < 3; i++) {
      suspend(interceptor, "send", "bob", big);
    }
    assertThatThrownBy(() -> call(interceptor, "send", "bob", big)).as("a fourth 300 KB call passes 1 MiB")
        .isInstanceOfSatisfying(AirlockBlockedException.class, e -> assertThat(e.rule()).isEqualTo("approval: store full"));
    assertThat(approvals.pending()).hasSize(3).allSatisfy(r -> assertThat(r.arguments().get("lines"))
        .as("the description is cut").hasSizeLessThan(ApprovalRequest.MAX_ARGUMENT_CHARS + 40));
    String small = suspend(interceptor, "send", "bob", List.of("small"));
    approvals.resume(small, ApprovalDecision.approve("alice"));
    assertThat(RAN).containsExactly("send bob [small]");
  }

  @Test
  void aStoreThatHandsTheSameCallOutTwiceStillGetsItRunOnce() throws Throwable {
    ApprovalStore.Pending[] kept = new ApprovalStore.Pending[1];
    ApprovalStore leaky = new ApprovalStore() {
      @Override
      public boolean offer(Pending pending, Instant at) {
        kept[0] = pending;
        return true;
      }

      @Override
      public Optional<Pending> take(String callId, Instant at) {
        return Optional.of(kept[0]);
      }

      @Override
      public List<ApprovalRequest> pending(Instant at) {
        return kept[0] == null ? List.of() : List.of(kept[0].request());
      }
    };
    AirlockApprovals approvals = AirlockApprovals.builder().store(leaky).clock(clock).build();
    AirlockInterceptor interceptor = interceptor(approvals);
    String id = suspend(interceptor, "send", "bob", List.of("once"));
    approvals.resume(id, ApprovalDecision.approve("alice"));
    assertThatThrownBy(() -> approvals.resume(id, ApprovalDecision.approve("alice")))
        .isInstanceOf(IllegalArgumentException.class);
    AirlockApprovals other = suspended(10);
    assertThatThrownBy(() -> other.resume(id, ApprovalDecision.approve("alice"))).as("another gate's call")
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(RAN).containsExactly("send bob [once]");
  }

  @Test
  void editedArgumentsAreTypeCheckedValidatedAndRecheckedByThePolicyBeforeTheyRun() throws Throwable {
    policies.put("ops", AirlockPolicy.builder().requireApproval("delete*").rateLimit("1/minute").build());
    AirlockApprovals approvals = suspended(10);
    AirlockInterceptor interceptor = interceptor(approvals);

    String wrongType = suspend(interceptor, "send", "bob", List.of("hi"));
    assertThatThrownBy(() -> approvals.resume(wrongType,
        ApprovalDecision.approveWithArguments("alice", "bob", "not a list")))
        .isInstanceOfSatisfying(AirlockBlockedException.class, e -> assertThat(e.reason()).isEqualTo(Reason.VALIDATION));
    String invalid = suspend(interceptor, "send", "bob", List.of("hi"));
    assertThatThrownBy(() -> approvals.resume(invalid,
        ApprovalDecision.approveWithArguments("alice", "x".repeat(31), List.of("hi"))))
        .isInstanceOfSatisfying(AirlockBlockedException.class, e -> {
          assertThat(e.reason()).isEqualTo(Reason.VALIDATION);
          assertThat(e.rule()).contains("to");
        });
    // The call spent the one permit of the minute; its edit is checked again and finds the budget spent.
    String rateLimited = suspend(interceptor, "deleteAll", "cache");
    assertThatThrownBy(() -> approvals.resume(rateLimited, ApprovalDecision.approveWithArguments("alice", "db")))
        .isInstanceOfSatisfying(AirlockBlockedException.class,
            e -> assertThat(e.reason()).isEqualTo(Reason.RATE_LIMITED));
    assertThat(RAN).as("no edit that the guard refuses ran").isEmpty();

    String fine = suspend(interceptor, "send", "bob", List.of("hi"));
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream original = System.err;
    System.setErr(new PrintStream(captured, true));
    try {
      assertThat(approvals.resume(fine, ApprovalDecision.approveWithArguments("alice", "team", List.of("hello"))))
          .isEqualTo("sent to team: [hello]");
    } finally {
      System.setErr(original);
    }
    assertThat(RAN).containsExactly("send team [hello]");
    assertThat(captured.toString(StandardCharsets.UTF_8))
        .contains("\"event\":\"approval\",\"tool\":\"send\",\"callId\":\"" + fine + "\"")
        .contains("\"outcome\":\"edited\",\"approver\":\"alice\",\"reason\":null,\"at\":\"" + now + "\"")
        .containsPattern("\"argumentHash\":\"hmac:[0-9a-f]+\",\"editedArgumentHash\":\"hmac:[0-9a-f]+\"")
        .doesNotContain("hello");
  }

  @Test
  void editedArgumentsMustFitTheParametersDeclaredTypesNotOnlyTheirErasure() throws Throwable {
    AirlockApprovals approvals = suspended(10);
    AirlockInterceptor interceptor = interceptor(approvals);
    // send(String to, List<String> lines): a List of numbers and maps is a List, and the tool would run with it.
    for (List<?> lines : List.of(List.of(42), List.of(Map.of("shell", "rm -rf /")), java.util.Arrays.asList("a", null,
        7L))) {
      String id = suspend(interceptor, "send", "bob", List.of("hi"));
      assertThatThrownBy(() -> approvals.resume(id, ApprovalDecision.approveWithArguments("alice", "bob", lines)))
          .as("lines %s", lines)
          .isInstanceOfSatisfying(AirlockBlockedException.class, e -> {
            assertThat(e.reason()).isEqualTo(Reason.VALIDATION);
            assertThat(e.getMessage()).contains("List<String>");
          });
    }
    assertThat(RAN).as("no edit of the wrong element type ran").isEmpty();
  }

  /**
   * A 1 MB {@code BitSet} argument (8 million bits set) prints as every set bit's index: describing it to the approver
   * allocated 1.3 GB on the caller's thread, and the 10 MB a payload may hold would exhaust the heap.
   */
  @Test
  void describingAnArgumentToTheApproverCostsInProportionToWhatIsShown() throws Throwable {
    List<ApprovalRequest> asked = new ArrayList<>();
    for (boolean trusted : new boolean[] {true, false}) {
      AirlockInterceptor interceptor = interceptor(AirlockApprovals.builder()
          .handler(recording(asked, ApprovalDecision.deny("bot", "no"), trusted)).build());
      java.util.BitSet bits = new java.util.BitSet();
      bits.set(0, 8_000_000);
      com.sun.management.ThreadMXBean threads =
          (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
      long before = threads.getCurrentThreadAllocatedBytes();
      assertThatThrownBy(() -> call(interceptor, "hold", bits)).isInstanceOf(AirlockBlockedException.class);
      assertThat(threads.getCurrentThreadAllocatedBytes() - before).as("bytes allocated, trusted=%s", trusted)
          .isLessThan(100L * 1024 * 1024);
    }
    assertThat(asked).hasSize(2).allSatisfy(request -> assertThat(request.arguments().values().iterator().next())
        .hasSizeLessThan(ApprovalRequest.MAX_ARGUMENT_CHARS + 100));
  }

  @Test
  void theApproversMaskedViewMasksASecretHeldInACharOrByteArray() {
    AirlockApprovals approvals = suspended(10);
    AirlockInterceptor interceptor = interceptor(approvals);
    String secret = "bob@example.com";
    suspend(interceptor, "hold", (Object) secret.toCharArray());
    suspend(interceptor, "hold", (Object) secret.getBytes(StandardCharsets.UTF_8));
    assertThat(approvals.pending()).hasSize(2).allSatisfy(request -> {
      String shown = request.arguments().values().iterator().next();
      assertThat(shown.replaceAll("[^A-Za-z0-9@.]", "")).as(shown).doesNotContain(secret);
      StringBuilder decoded = new StringBuilder();
      java.util.regex.Matcher numbers = java.util.regex.Pattern.compile("-?\\d+").matcher(shown);
      while (numbers.find()) {
        decoded.append((char) Integer.parseInt(numbers.group()));
      }
      assertThat(decoded.toString()).as(shown).doesNotContain(secret);
    });
  }

  @Test
  void aPolicyGlobRequiresApprovalAndTheCallerContextTravelsWithTheSuspendedCall() throws Throwable {
    policies.put("ops", AirlockPolicy.builder().requireApproval("delete*").requireRoles("operator").build());
    AirlockApprovals approvals = suspended(10);
    AirlockInterceptor interceptor = interceptor(approvals);
    AirlockContext caller = new AirlockContext("planner", "s-1", Set.of("operator"), Map.of());
    String id;
    try (AirlockContext.Scope scope = caller.bind()) {
      assertThat(call(interceptor, "readAll", "x")).as("no glob matches: no approval").isEqualTo("read x");
      id = suspend(interceptor, "deleteAll", "cache");
    }
    assertThat(approvals.pending()).singleElement().satisfies(r -> assertThat(r.context()).isEqualTo(caller));
    assertThatThrownBy(() -> call(interceptor, "deleteAll", "cache")).as("without the role: blocked, not suspended")
        .isInstanceOfSatisfying(AirlockBlockedException.class, e -> assertThat(e.reason()).isEqualTo(Reason.MISSING_ROLE));

    // Resumed on a thread with no context bound: the edit is re-checked under the caller's roles.
    Object result = CompletableFuture.supplyAsync(() -> {
      try {
        return approvals.resume(id, ApprovalDecision.approveWithArguments("alice", "tmp"));
      } catch (Throwable t) {
        return t;
      }
    }).get(30, TimeUnit.SECONDS);
    assertThat(result).isEqualTo("deleted tmp");
    assertThat(RAN).containsExactly("readAll x", "deleteAll tmp");
  }

  @Test
  void requireApprovalIsAPolicyKey() {
    AirlockPolicy policy = AirlockPolicy.fromProperties("mail",
        Map.of("airlock.policy.mail.require-approval", "send*, delete*"));
    assertThat(policy.requireApproval()).containsExactly("send*", "delete*");
    assertThat(policy.toBuilder().build().requireApproval()).containsExactly("send*", "delete*");
  }

  @Test
  void blockingModeWaitsForTheHandlerAndNoAnswerInTimeDenies() throws Throwable {
    List<ApprovalRequest> asked = new ArrayList<>();
    Function<ApprovalDecision, ApprovalHandler> answering = decision -> request -> {
      asked.add(request);
      return CompletableFuture.completedFuture(decision);
    };
    AirlockInterceptor approving = interceptor(AirlockApprovals.builder()
        .handler(answering.apply(ApprovalDecision.approve("bot"))).clock(clock).build());
    assertThat(call(approving, "send", "bob@example.com", List.of("hi"))).isEqualTo("sent to bob@example.com: [hi]");
    assertThat(asked).singleElement().satisfies(r -> assertThat(r.arguments()).containsValue("[REDACTED]"));

    AirlockInterceptor denying = interceptor(AirlockApprovals.builder()
        .handler(answering.apply(ApprovalDecision.deny("bot", "not today"))).build());
    assertThatThrownBy(() -> call(denying, "send", "bob", List.of("hi")))
        .isInstanceOfSatisfying(AirlockBlockedException.class, e -> {
          assertThat(e.reason()).isEqualTo(Reason.NOT_APPROVED);
          assertThat(e.fixHints()).containsExactly("not today");
        });

    CompletableFuture<ApprovalDecision> never = new CompletableFuture<>();
    AirlockApprovals silent = AirlockApprovals.builder().handler(request -> never).timeout(Duration.ofMillis(300))
        .build();
    long start = System.nanoTime();
    assertThatThrownBy(() -> call(interceptor(silent), "send", "bob", List.of("hi")))
        .isInstanceOfSatisfying(AirlockBlockedException.class, e -> {
          assertThat(e.reason()).isEqualTo(Reason.NOT_APPROVED);
          assertThat(e.rule()).isEqualTo("approval: no decision");
        });
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
    assertThat(never).as("the unanswered request is cancelled").isCancelled();
    assertThat(silent.counts()).containsEntry("timeout", 1L);

    AirlockInterceptor trusted = interceptor(AirlockApprovals.builder()
        .handler(recording(asked, ApprovalDecision.approve("trusted"), true)).build());
    call(trusted, "send", "bob@example.com", List.of("hi"));
    assertThat(asked.get(asked.size() - 1).arguments()).containsValue("bob@example.com");
    assertThat(RAN).containsExactly("send bob@example.com [hi]", "send bob@example.com [hi]");
  }

  @Test
  void aSuspendedSandboxedCallHoldsNoWorkerAndRunsOnARealWorkerWhenApproved() throws Throwable {
    pool = SandboxPool.builder(AirlockConfig.builder().build()).backend("local").minSize(0).maxSize(1).build();
    AirlockApprovals approvals = suspended(10);
    AirlockInterceptor interceptor = interceptor(approvals, pool);
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      ids.add(suspend(interceptor, "sandboxedSend", "bob" + i));
    }
    assertThat(pool.stats().workersStarted()).as("a pending call starts no worker").isZero();
    assertThat(pool.stats().active()).isZero();

    assertThat(approvals.resume(ids.get(3), ApprovalDecision.approve("alice"))).isEqualTo("sent to bob3 from the sandbox");
    assertThat(approvals.resume(ids.get(1), ApprovalDecision.approveWithArguments("alice", "carol")))
        .isEqualTo("sent to carol from the sandbox");
    assertThat(approvals.pending()).extracting(ApprovalRequest::callId)
        .containsExactly(ids.get(0), ids.get(2), ids.get(4));
  }

  /**
   * What the person reads is what runs: a text the model wrote inside a record, a list or a map must not read as more
   * of that value's structure. Printed plain, a memo {@code "rent, account=ALICE-1, cents=100]"} made the view of a
   * payment to EVE-9 open with {@code Payment[memo=rent, account=ALICE-1, cents=100]}, and a line break or a
   * right-to-left override in it reshaped the approver's screen (attack review 26).
   */
  @Test
  void aTextTheModelWroteCannotReadAsMoreOfTheApprovedValue() throws Throwable {
    List<ApprovalRequest> asked = new ArrayList<>();
    AirlockInterceptor interceptor = interceptor(AirlockApprovals.builder()
        .handler(recording(asked, ApprovalDecision.deny("test", "only looking"), true)).build());
    String honest = "rent";
    String forged = "rent, account=ALICE-1, cents=100]\n\u202e";
    for (String memo : List.of(honest, forged)) {
      assertThatThrownBy(() -> call(interceptor, "pay", new Payment(memo, memo == honest ? "ALICE-1" : "EVE-9",
          memo == honest ? 100 : 990_000))).isInstanceOf(AirlockBlockedException.class);
    }
    assertThatThrownBy(() -> call(interceptor, "send", "bob", List.of("hi", "bye")))
        .isInstanceOf(AirlockBlockedException.class);
    assertThatThrownBy(() -> call(interceptor, "send", "bob", List.of("hi, bye")))
        .isInstanceOf(AirlockBlockedException.class);

    String shownHonest = asked.get(0).arguments().get("payment");
    String shownForged = asked.get(1).arguments().get("payment");
    assertThat(shownForged).as(shownForged).doesNotStartWith(shownHonest.substring(0, shownHonest.length() - 1))
        .doesNotContain("\n", "\u202e");
    assertThat(asked.get(2).arguments().get("lines")).isNotEqualTo(asked.get(3).arguments().get("lines"));
    assertThat(RAN).isEmpty();
  }
}
