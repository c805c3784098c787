package dev.airlock.internal.trace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.airlock.AirlockBlockedException;
import dev.airlock.AirlockConfig;
import dev.airlock.AirlockContext;
import dev.airlock.AirlockPolicy;
import dev.airlock.PayloadTooLargeException;
import dev.airlock.SandboxCrashedException;
import dev.airlock.SandboxPool;
import dev.airlock.SandboxTimeoutException;
import dev.airlock.SandboxUnavailableException;
import dev.airlock.annotation.Airlock;
import dev.airlock.internal.guard.Guard;
import dev.airlock.internal.guard.InProcessRateLimitStore;
import dev.airlock.internal.intercept.AirlockInterceptor;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.lang.reflect.Method;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 18 part 2: every intercepted call is an {@code execute_tool} span in the GenAI conventions, with its phases as
 * children and the worker's own spans as its children across the sandbox boundary. Real local workers; the SDK's
 * in-memory exporter.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class CallTracingTest {
  private static final InMemorySpanExporter EXPORTED = InMemorySpanExporter.create();
  private static SandboxPool pool;
  private static SandboxPool unreachable;

  /** The tools, run in a real worker. */
  public static final class Tools {
    @Airlock(sandbox = true, sandboxRequired = true, timeoutSeconds = 60)
    public int add(int a, int b) {
      return a + b;
    }

    /** Opens a span with its own SDK inside the worker and says whose child it is, and what the MDC says. */
    @Airlock(sandbox = true, sandboxRequired = true, timeoutSeconds = 60)
    public String spanInside() {
      InMemorySpanExporter inside = InMemorySpanExporter.create();
      try (SdkTracerProvider provider = SdkTracerProvider.builder()
          .addSpanProcessor(SimpleSpanProcessor.create(inside)).build()) {
        provider.get("tool").spanBuilder("inside the sandbox").startSpan().end();
        SpanData span = inside.getFinishedSpanItems().get(0);
        System.out.println("a line from the tool");
        return span.getTraceId() + " " + span.getParentSpanId() + " " + span.getParentSpanContext().isRemote() + " "
            + Span.current().getSpanContext().getTraceId();
      }
    }

    @Airlock(sandbox = true, sandboxRequired = true, timeoutSeconds = 60)
    public String fails() {
      throw new IllegalStateException("tool failed: secret-in-message");
    }

    @Airlock(sandbox = true, sandboxRequired = true, timeoutSeconds = 2)
    public long spins() {
      long n = 0;
      while (true) {
        n++;
      }
    }

    @Airlock(sandbox = true, sandboxRequired = true, timeoutSeconds = 60)
    public int crashes() {
      Runtime.getRuntime().halt(7);
      return 0;
    }

    @Airlock(sandbox = true, sandboxRequired = true, timeoutSeconds = 60)
    public int size(byte[] data) {
      return data.length;
    }

    @Airlock(sandbox = true, sandboxRequired = true, timeoutSeconds = 60, policy = "strict")
    public String dangerousDelete() {
      return "deleted";
    }

    @Airlock(sandbox = true, sandboxRequired = true, timeoutSeconds = 60, backend = "unreachable")
    public String nowhere() {
      return "ran";
    }

    @Airlock(timeoutSeconds = 60)
    public String onHost() {
      return Span.current().getSpanContext().getSpanId();
    }
  }

  private final AirlockInterceptor interceptor = new AirlockInterceptor(new AirlockInterceptor.PoolResolver() {
    @Override
    public AirlockConfig config() {
      return pool.config();
    }

    @Override
    public SandboxPool pool(String backend, int memoryMb) {
      return backend.equals("unreachable") ? unreachable : pool;
    }
  }, new Guard(name -> name.equals("strict") ? Optional.of(AirlockPolicy.builder().deny("dangerous*").build())
      : Optional.empty(), new InProcessRateLimitStore(), Clock.systemUTC()));

  @BeforeAll
  static void start() {
    GlobalOpenTelemetry.resetForTest();
    GlobalOpenTelemetry.set(OpenTelemetrySdk.builder().setTracerProvider(SdkTracerProvider.builder()
        .addSpanProcessor(SimpleSpanProcessor.create(EXPORTED)).build()).build());
    pool = SandboxPool.builder(AirlockConfig.builder().build()).backend("local").minSize(0).maxSize(1)
        .reuse(true).build();
    unreachable = SandboxPool.builder(AirlockConfig.builder().build()).minSize(0).backend("unreachable", () -> {
      throw new SandboxUnavailableException("no backend in this test");
    }).build();
  }

  @AfterAll
  static void stop() {
    pool.close();
    unreachable.close();
    GlobalOpenTelemetry.resetForTest();
  }

  @BeforeEach
  void clear() {
    EXPORTED.reset();
  }

  @Test
  void aSandboxedCallIsAnExecuteToolSpanWithItsPhasesAsChildren() throws Throwable {
    AirlockContext context = new AirlockContext("agent", "s1", Set.of(),
        Map.of(AirlockContext.TOOL_CALL_ID, "call_42"));
    Object result;
    try (AirlockContext.Scope bound = context.bind()) {
      result = call("add", 2, 3);
    }
    assertThat(result).isEqualTo(5);
    SpanData tool = root();
    assertThat(tool.getName()).isEqualTo("execute_tool add");
    assertThat(tool.getKind()).isEqualTo(SpanKind.INTERNAL);
    assertThat(tool.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
    assertThat(tool.getAttributes().asMap().entrySet().stream()
        .collect(Collectors.toMap(e -> e.getKey().getKey(), e -> String.valueOf(e.getValue()))))
        .containsEntry("gen_ai.operation.name", "execute_tool").containsEntry("gen_ai.tool.name", "add")
        .containsEntry("gen_ai.tool.call.id", "call_42").containsEntry("airlock.backend", "local")
        .containsEntry("airlock.sandboxed", "true").containsEntry("airlock.outcome", "success")
        .containsEntry("airlock.policy", "global").containsKey("airlock.worker.reused")
        .doesNotContainKey("error.type");
    assertThat(children(tool)).containsExactly("airlock.policy", "airlock.encode", "airlock.queue", "airlock.ship",
        "airlock.run", "airlock.decode");
    for (SpanData child : EXPORTED.getFinishedSpanItems()) {
      assertThat(child.getTraceId()).isEqualTo(tool.getTraceId());
      assertThat(child.getStartEpochNanos()).isGreaterThanOrEqualTo(tool.getStartEpochNanos());
      assertThat(child.getEndEpochNanos()).isLessThanOrEqualTo(tool.getEndEpochNanos());
    }

    EXPORTED.reset();
    try (AirlockContext.Scope bound = context.bind()) {
      call("add", 1, 1);
    }
    assertThat(root().getAttributes().get(AttributeKey.booleanKey("airlock.worker.reused"))).isTrue();
  }

  @Test
  void aSpanTheToolOpensInTheWorkerIsAChildOfTheHostSpan() throws Throwable {
    String[] seen = ((String) call("spanInside")).split(" ");
    SpanData tool = root();
    assertThat(seen[0]).as("trace id in the worker").isEqualTo(tool.getTraceId());
    assertThat(seen[1]).as("parent of the worker's span").isEqualTo(tool.getSpanId());
    assertThat(seen[2]).as("the parent is remote").isEqualTo("true");
    assertThat(seen[3]).as("the current context in the worker").isEqualTo(tool.getTraceId());
  }

  @Test
  void aHostCallIsASpanAndItsBodyRunsUnderIt() throws Throwable {
    String spanIdInBody = (String) call("onHost");
    SpanData tool = root();
    assertThat(spanIdInBody).isEqualTo(tool.getSpanId());
    assertThat(tool.getAttributes().get(AttributeKey.stringKey("airlock.backend"))).isEqualTo("host");
    assertThat(tool.getAttributes().get(AttributeKey.booleanKey("airlock.sandboxed"))).isFalse();
    assertThat(children(tool)).containsExactly("airlock.policy", "airlock.host");
  }

  @Test
  void everyFailureIsAnErrorSpanNamingItsTypeAndOutcome() throws Throwable {
    assertFailure("fails", IllegalStateException.class, "error", new Object[0]);
    assertFailure("spins", SandboxTimeoutException.class, "timeout", new Object[0]);
    assertFailure("crashes", SandboxCrashedException.class, "crash", new Object[0]);
    assertFailure("size", PayloadTooLargeException.class, "rejected",
        new Object[] {new byte[pool.config().maxPayloadBytes() + 1]});
    assertFailure("dangerousDelete", AirlockBlockedException.class, "blocked", new Object[0]);
    assertFailure("nowhere", SandboxUnavailableException.class, "unavailable", new Object[0]);
  }

  private void assertFailure(String tool, Class<? extends Throwable> type, String outcome, Object[] args)
      throws Throwable {
    EXPORTED.reset();
    assertThatThrownBy(() -> call(tool, args)).isInstanceOf(type);
    SpanData span = root();
    assertThat(span.getName()).isEqualTo("execute_tool " + tool);
    assertThat(span.getStatus().getStatusCode()).as(tool).isEqualTo(StatusCode.ERROR);
    assertThat(span.getAttributes().get(AttributeKey.stringKey("error.type"))).as(tool).isEqualTo(type.getName());
    assertThat(span.getAttributes().get(AttributeKey.stringKey("airlock.outcome"))).as(tool).isEqualTo(outcome);
    assertThat(span.getEvents()).as("no guest text (exception messages) on the span").isEmpty();
    assertThat(span.getStatus().getDescription()).doesNotContain("secret");
    for (SpanData child : EXPORTED.getFinishedSpanItems()) {
      assertThat(child.hasEnded()).isTrue();
    }
  }

  private Object call(String name, Object... args) throws Throwable {
    Method method = java.util.Arrays.stream(Tools.class.getMethods()).filter(m -> m.getName().equals(name))
        .findFirst().orElseThrow();
    Tools tools = new Tools();
    return interceptor.intercept(tools, method, args, () -> method.invoke(tools, args));
  }

  private static SpanData root() {
    List<SpanData> roots = EXPORTED.getFinishedSpanItems().stream()
        .filter(span -> span.getName().startsWith("execute_tool ")).toList();
    assertThat(roots).hasSize(1);
    assertThat(roots.get(0).getParentSpanContext().isValid()).isFalse();
    return roots.get(0);
  }

  private static List<String> children(SpanData parent) {
    return EXPORTED.getFinishedSpanItems().stream().filter(span -> span.getParentSpanId().equals(parent.getSpanId()))
        .sorted(java.util.Comparator.comparingLong(SpanData::getStartEpochNanos)).map(SpanData::getName).toList();
  }
}
