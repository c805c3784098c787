package dev.airlock.internal.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.airlock.AirlockBlockedException.Reason;
import dev.airlock.AirlockBlockedException;
import dev.airlock.AirlockConfig;
import dev.airlock.AirlockContext;
import dev.airlock.AirlockPolicy;
import dev.airlock.SandboxPool;
import dev.airlock.SandboxUnavailableException;
import dev.airlock.annotation.Airlock;
import dev.airlock.internal.intercept.AirlockInterceptor;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.lang.reflect.Method;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class GuardTest {

  /** Tools as an agent would expose them; host-run so the guard is tested without workers. */
  public static class Tools {
    @Airlock
    public String readFile(String name) {
      return "content of " + name;
    }

    @Airlock
    public String deleteFile(String name) {
      return "deleted " + name;
    }

    @Airlock(policy = "strict")
    public String search(@NotNull @Size(min = 3, max = 20) String query,
        @Pattern(regexp = "[a-z]{2}") String language) {
      return "results for " + query;
    }

    @Airlock(policy = "nowhere")
    public String misconfigured() {
      return "never";
    }

    @Airlock(sandbox = true, sandboxRequired = true, policy = "strict")
    public String sandboxedSearch(@Size(min = 3) String query) {
      return query;
    }

    @Airlock(policy = "masked")
    public Object leak(Object value) {
      return value;
    }

    @Airlock
    public Object echo(Object value) {
      return value;
    }

    @Airlock
    public String fail(String message) {
      throw new IllegalStateException(message);
    }

    /** sandbox defaults to false: required, but not asked for. */
    @Airlock(sandboxRequired = true)
    public String requiredButNotSandboxed(String command) {
      ranOnHost.incrementAndGet();
      return "ran " + command + " on the host";
    }
  }

  static final AtomicInteger ranOnHost = new AtomicInteger();

  private final Map<String, AirlockPolicy> policies = new ConcurrentHashMap<>();
  private Instant now = Instant.parse("2026-11-23T10:00:00Z");
  private final AtomicInteger launches = new AtomicInteger();

  private AirlockInterceptor interceptor() {
    Clock clock = new Clock() {
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
    SandboxPool countingPool = SandboxPool.builder(AirlockConfig.builder().poolMinSize(0).poolMaxSize(1).build())
        .backend("counting", () -> {
          launches.incrementAndGet();
          throw new SandboxUnavailableException("no workers in this test");
        }).build();
    Guard guard = new Guard(name -> Optional.ofNullable(policies.get(name.isEmpty() ? "global" : name)),
        new InProcessRateLimitStore(), clock);
    return new AirlockInterceptor(new AirlockInterceptor.PoolResolver() {
      @Override
      public AirlockConfig config() {
        return AirlockConfig.defaults();
      }

      @Override
      public SandboxPool pool(String backend, int memoryMb) {
        return countingPool;
      }
    }, guard);
  }

  private static Object call(AirlockInterceptor interceptor, String name, Object... args) throws Throwable {
    Method method = java.util.Arrays.stream(Tools.class.getMethods()).filter(m -> m.getName().equals(name))
        .findFirst().orElseThrow();
    Tools tools = new Tools();
    return interceptor.intercept(tools, method, args, () -> method.invoke(tools, args));
  }

  @Test
  void globsMatchAsBeforeAndInLinearTimeOnHostileNames() {
    assertThat(Guard.globMatches("delete*", "deleteFile")).isTrue();
    assertThat(Guard.globMatches("Tools.read*", "Tools.readFile")).isTrue();
    assertThat(Guard.globMatches("ech?", "echo")).isTrue();
    assertThat(Guard.globMatches("ech?", "ech")).isFalse();
    assertThat(Guard.globMatches("*a*b", "xaxxb")).isTrue();
    assertThat(Guard.globMatches("*a*b", "xaxxbx")).isFalse();
    assertThat(Guard.globMatches("a.b", "axb")).as("a dot is literal").isFalse();
    assertThat(Guard.globMatches("*", "")).isTrue();
    assertThat(Guard.globMatches("?", "\uD83D\uDE00")).as("one character, not one UTF-16 unit").isTrue();
    assertThat(Guard.globMatches("delete_*", "delete_\nall")).as("a line break is a character too").isTrue();
    // Attack review 17: as a regular expression, a glob of k stars backtracked through a name in about n^k steps, and
    // the gateway matches names its client chooses (this one took 40 s at 4,000 characters, for ever at 60,000).
    long start = System.nanoTime();
    assertThat(Guard.globMatches("*_*_*x", "_".repeat(60_000))).isFalse();
    assertThat(Guard.globMatches("*read*file*", "read".repeat(15_000))).isFalse();
    assertThat(System.nanoTime() - start).isLessThan(TimeUnit.SECONDS.toNanos(2));
  }

  @Test
  void aRequiredSandboxWithoutSandboxTrueIsRefusedNeverRunOnTheHost() {
    // Attack review 17: @Airlock(sandboxRequired = true) alone left sandbox at its default, false, and the call ran
    // on the host, silently.
    ranOnHost.set(0);
    AirlockInterceptor interceptor = interceptor();
    assertThatThrownBy(() -> call(interceptor, "requiredButNotSandboxed", "rm -rf /"))
        .isInstanceOf(SandboxUnavailableException.class).hasMessageContaining("requiredButNotSandboxed")
        .hasMessageContaining("add sandbox = true");
    assertThat(ranOnHost).hasValue(0);
    assertThat(launches).hasValue(0);
    assertThat(interceptor.auditLog().counts()).containsEntry("error", 1L);
  }

  @Test
  void denyGlobsBlockAndSayWhy() throws Throwable {
    policies.put("global", AirlockPolicy.builder().deny("delete*").build());
    AirlockInterceptor interceptor = interceptor();
    assertThat(call(interceptor, "readFile", "a.txt")).isEqualTo("content of a.txt");
    assertThatThrownBy(() -> call(interceptor, "deleteFile", "a.txt"))
        .isInstanceOfSatisfying(AirlockBlockedException.class, e -> {
          assertThat(e.reason()).isEqualTo(Reason.DENIED);
          assertThat(e.rule()).isEqualTo("deny: delete*");
          assertThat(e.fixHints()).singleElement().asString().contains("do not call deleteFile");
          assertThat(e.toModelMessage()).startsWith("{\"blocked\":true,\"tool\":\"deleteFile\",\"reason\":\"DENIED\","
              + "\"rule\":\"deny: delete*\",\"message\":").endsWith("]}");
        });
  }

  @Test
  void denyByDefaultAllowsOnlyAllowGlobsMatchedByQualifiedName() throws Throwable {
    policies.put("global", AirlockPolicy.builder().allow("Tools.read*").denyByDefault(true).build());
    AirlockInterceptor interceptor = interceptor();
    assertThat(call(interceptor, "readFile", "x")).isEqualTo("content of x");
    assertThatThrownBy(() -> call(interceptor, "deleteFile", "x"))
        .isInstanceOf(AirlockBlockedException.class).hasMessageContaining("deny-by-default");
  }

  @Test
  void requiredRolesComeFromTheBoundContext() throws Throwable {
    policies.put("global", AirlockPolicy.builder().requireRoles("reader").build());
    AirlockInterceptor interceptor = interceptor();
    assertThatThrownBy(() -> call(interceptor, "readFile", "x"))
        .isInstanceOfSatisfying(AirlockBlockedException.class,
            e -> assertThat(e.reason()).isEqualTo(Reason.MISSING_ROLE));
    try (AirlockContext.Scope scope = new AirlockContext("agent-1", "s-1", Set.of("reader"), Map.of()).bind()) {
      assertThat(call(interceptor, "readFile", "x")).isEqualTo("content of x");
    }
    assertThat(AirlockContext.current()).isEmpty();
  }

  @Test
  void timeWindowsUseTheInjectedClockAndSpanMidnight() throws Throwable {
    policies.put("global", AirlockPolicy.builder().timeWindow("09:00-17:00", ZoneId.of("Europe/Berlin")).build());
    AirlockInterceptor interceptor = interceptor();
    now = Instant.parse("2026-11-23T10:00:00Z");
    assertThat(call(interceptor, "readFile", "x")).isEqualTo("content of x");
    now = Instant.parse("2026-11-23T16:30:00Z");
    assertThatThrownBy(() -> call(interceptor, "readFile", "x"))
        .isInstanceOfSatisfying(AirlockBlockedException.class, e -> {
          assertThat(e.reason()).isEqualTo(Reason.OUTSIDE_TIME_WINDOW);
          assertThat(e.getMessage()).contains("it is 17:30");
        });
    AirlockPolicy.TimeWindow night = AirlockPolicy.TimeWindow.parse("22:00-06:00", ZoneOffset.UTC);
    assertThat(night.contains(java.time.LocalTime.of(23, 0))).isTrue();
    assertThat(night.contains(java.time.LocalTime.of(5, 59))).isTrue();
    assertThat(night.contains(java.time.LocalTime.of(12, 0))).isFalse();
  }

  @Test
  void rateLimitsGrantExactlyTheBudgetToConcurrentCallers() throws Exception {
    policies.put("global", AirlockPolicy.builder().rateLimit("25/minute").build());
    AirlockInterceptor interceptor = interceptor();
    AtomicInteger granted = new AtomicInteger();
    AtomicInteger limited = new AtomicInteger();
    ExecutorService callers = Executors.newFixedThreadPool(16);
    CountDownLatch start = new CountDownLatch(1);
    for (int i = 0; i < 100; i++) {
      callers.execute(() -> {
        try {
          start.await();
          call(interceptor, "readFile", "x");
          granted.incrementAndGet();
        } catch (AirlockBlockedException e) {
          limited.incrementAndGet();
        } catch (Throwable t) {
          throw new AssertionError(t);
        }
      });
    }
    start.countDown();
    callers.shutdown();
    assertThat(callers.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
    assertThat(granted).hasValue(25);
    assertThat(limited).hasValue(75);
    now = now.plusSeconds(12);
    Object[] refill = {0};
    for (int i = 0; i < 10; i++) {
      try {
        call(interceptor, "readFile", "x");
        refill[0] = (int) refill[0] + 1;
      } catch (AirlockBlockedException e) {
        assertThat(e.fixHints()).singleElement().asString().startsWith("wait ");
      } catch (Throwable t) {
        throw new AssertionError(t);
      }
    }
    assertThat(refill[0]).as("12 s refill 5 of 25 per minute").isEqualTo(5);
  }

  @Test
  void validationBlocksBeforeAnythingIsShipped() throws Throwable {
    policies.put("strict", AirlockPolicy.builder().build());
    AirlockInterceptor interceptor = interceptor();
    assertThat(call(interceptor, "search", "airlock", "en")).isEqualTo("results for airlock");
    assertThatThrownBy(() -> call(interceptor, "search", "ab", "english"))
        .isInstanceOfSatisfying(AirlockBlockedException.class, e -> {
          assertThat(e.reason()).isEqualTo(Reason.VALIDATION);
          assertThat(e.rule()).contains("query").contains("language");
          assertThat(e.fixHints()).anySatisfy(h -> assertThat(h).startsWith("fix query:").contains("size"));
        });
    assertThatThrownBy(() -> call(interceptor, "sandboxedSearch", "x"))
        .isInstanceOf(AirlockBlockedException.class);
    assertThat(launches).as("a blocked call starts no worker").hasValue(0);
  }

  @Test
  void anUnknownPolicyFailsClosed() {
    assertThatThrownBy(() -> call(interceptor(), "misconfigured"))
        .isInstanceOf(AirlockBlockedException.class).hasMessageContaining("'nowhere'");
  }

  @Test
  void auditsEveryCallWithAHashNotTheArguments() throws Throwable {
    policies.put("global", AirlockPolicy.builder().deny("delete*").build());
    AirlockInterceptor interceptor = interceptor();
    java.io.PrintStream original = System.err;
    java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
    System.setErr(new java.io.PrintStream(captured, true));
    try (AirlockContext.Scope scope = new AirlockContext("planner", "s-9", Set.of(), Map.of()).bind()) {
      call(interceptor, "readFile", "top-secret-name.txt");
      assertThatThrownBy(() -> call(interceptor, "deleteFile", "x")).isInstanceOf(AirlockBlockedException.class);
    } finally {
      System.setErr(original);
    }
    String log = captured.toString(java.nio.charset.StandardCharsets.UTF_8);
    assertThat(log).contains("\"tool\":\"readFile\",\"agent\":\"planner\",\"session\":\"s-9\",\"outcome\":\"success\"")
        .contains("\"tool\":\"deleteFile\"").contains("\"outcome\":\"blocked\",\"reason\":\"DENIED\"")
        .contains("\"backend\":\"host\"").contains("\"argumentHash\":\"hmac:")
        .doesNotContain("top-secret-name");
    assertThat(interceptor.auditLog().counts()).containsEntry("success", 1L).containsEntry("blocked", 1L);
  }

  @Test
  void policiesReadFromKeysNameTheBadKey() {
    AirlockPolicy p = AirlockPolicy.fromProperties("ro", Map.of("airlock.policy.ro.allow", "read*, search*",
        "airlock.policy.ro.rate-limit", "100/minute", "airlock.policy.ro.time-window", "09:00-17:00",
        "airlock.policy.ro.zone", "Europe/Berlin", "airlock.policy.ro.masking", "type-only"));
    assertThat(p.allow()).containsExactly("read*", "search*");
    assertThat(p.rateLimit()).isEqualTo(new AirlockPolicy.RateLimit(100, java.time.Duration.ofMinutes(1)));
    assertThat(p.timeWindow().zone()).isEqualTo(ZoneId.of("Europe/Berlin"));
    assertThat(p.masking()).isEqualTo(AirlockPolicy.Masking.TYPE_ONLY);
    assertThatThrownBy(() -> AirlockPolicy.fromProperties("ro", Map.of("airlock.policy.ro.rate-limit", "lots")))
        .hasMessageContaining("airlock.policy.ro.rate-limit='lots'").hasMessageContaining("100/minute");
  }

  record Customer(String name, String email, List<String> notes) {
  }

  @Test
  void withoutAPolicyNothingIsMaskedAndAGlobalPolicyMasksEveryToolThatNamesNone() throws Throwable {
    // What README.md and docs/guard.md say: masking is the policy's, so a tool naming no policy is masked only when
    // a global policy is defined (a reviewer read the README as masking by default).
    String secret = "key AKIAIOSFODNN7EXAMPLE, mail ann@example.com, " + "x".repeat(300);
    AirlockInterceptor interceptor = interceptor();
    assertThat(call(interceptor, "echo", secret)).isEqualTo(secret);
    Tools tools = new Tools();
    Method fail = Tools.class.getMethod("fail", String.class);
    assertThatThrownBy(() -> interceptor.intercept(tools, fail, new Object[] {secret}, () -> tools.fail(secret)))
        .isInstanceOf(IllegalStateException.class).hasMessage(secret);

    policies.put("global", AirlockPolicy.builder().build());
    assertThat((String) call(interceptor, "echo", secret)).contains("[REDACTED]")
        .doesNotContain("AKIAIOSFODNN7EXAMPLE", "ann@example.com").endsWith("x".repeat(300));
    assertThatThrownBy(() -> interceptor.intercept(tools, fail, new Object[] {secret}, () -> tools.fail(secret)))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("[REDACTED]")
        .hasMessageNotContaining("AKIAIOSFODNN7EXAMPLE");
  }

  @Test
  void masksStringsInsideCollectionsMapsAndRecords() throws Throwable {
    policies.put("masked", AirlockPolicy.builder().masking(AirlockPolicy.Masking.TYPE_ONLY).maxResultChars(200)
        .build());
    AirlockInterceptor interceptor = interceptor();
    Object result = call(interceptor, "leak", Map.of("customer", new Customer("Ann", "ann@example.com",
        List.of("card 4111 1111 1111 1111", "key AKIAIOSFODNN7EXAMPLE"))));
    Customer masked = (Customer) ((Map<?, ?>) result).get("customer");
    assertThat(masked.name()).isEqualTo("Ann");
    assertThat(masked.email()).isEqualTo("[EMAIL]");
    assertThat(masked.notes()).containsExactly("card [CARD_NUMBER]", "key [AWS_KEY]");
    String truncated = (String) call(interceptor, "leak", "x".repeat(500));
    assertThat(truncated).startsWith("x".repeat(200)).endsWith("…[truncated 300 chars]");
  }
}
