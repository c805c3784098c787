package dev.airlock.spi.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.airlock.AirlockConfig;
import dev.airlock.AirlockRuntime;
import dev.airlock.PayloadTooLargeException;
import dev.airlock.PoolStats;
import dev.airlock.SandboxCrashedException;
import dev.airlock.SandboxExecutionException;
import dev.airlock.SandboxedCodeException;
import dev.airlock.SandboxPool;
import dev.airlock.SandboxResourceLimitException;
import dev.airlock.SandboxTimeoutException;
import dev.airlock.SandboxUnavailableException;
import dev.airlock.UnshippableInvocationException;
import dev.airlock.internal.intercept.AirlockInterceptor;
import dev.airlock.spi.contract.ContractTools.Counter;
import dev.airlock.spi.contract.ContractTools.Report;
import dev.airlock.spi.contract.ContractTools.ToolFailure;
import java.io.File;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every backend must do, as the local backend does it now. A backend's test extends this class and says how
 * to select the backend and how to see that nothing it started is left.
 *
 * <pre>{@code
 * class DockerBackendContractTest extends SandboxBackendContract {
 *   protected AirlockConfig backendConfig() { return AirlockConfig.builder().backend("docker").build(); }
 *   protected void assertNothingLeftBehind() { ... no labelled container ... }
 * }
 * }</pre>
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(120)
public abstract class SandboxBackendContract {
  protected static final String HOST_SECRET = "AIRLOCK_TEST_SECRET";

  /** Selects the backend under test; the contract adjusts pool sizes and timeouts on top. */
  protected abstract AirlockConfig backendConfig();

  /** Fails when a worker (process, container, cloud sandbox) started by this backend is still there. */
  protected abstract void assertNothingLeftBehind() throws Exception;

  private SandboxPool pool;

  /** A pool keeping no idle workers, so that after each call nothing of the backend should be running. */
  protected SandboxPool pool() {
    return pool;
  }

  protected AirlockConfig contractConfig() {
    // File arguments ship from the tests' temporary folders only.
    return backendConfig().toBuilder().poolMinSize(0).poolMaxSize(2).timeoutSeconds(30).memoryMb(96)
        .sandboxRequired(true).filesRoots(List.of(Path.of(System.getProperty("java.io.tmpdir")))).build();
  }

  @BeforeAll
  void startPool() {
    pool = SandboxPool.builder(contractConfig()).build();
  }

  @AfterAll
  void closePool() throws Exception {
    if (pool != null) {
      pool.close();
    }
    assertNothingLeftBehind();
  }

  @AfterEach
  void nothingLeftAfterEachCall() throws Exception {
    awaitNothingLeft();
  }

  /** Workers are removed right after their one call; give the removal a moment before asserting. */
  protected void awaitNothingLeft() throws Exception {
    AssertionError last = null;
    for (int i = 0; i < 100; i++) {
      try {
        assertNothingLeftBehind();
        return;
      } catch (AssertionError e) {
        last = e;
        Thread.sleep(100);
      }
    }
    throw last;
  }

  // ---- where it runs -------------------------------------------------------------------------------------------

  @Test
  void runsInsideASandboxAndKnowsIt() {
    assertThat(AirlockRuntime.isSandboxed()).isFalse();
    assertThat(pool.call(ContractTools::where)).startsWith("sandbox pid");
  }

  @Test
  void printedOutputReachesTheHostLogAndNeverTheProtocol() {
    java.io.PrintStream original = System.err;
    java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
    System.setErr(new java.io.PrintStream(captured, true));
    int result;
    try {
      result = pool.call(() -> {
        System.out.println("hello from the tool");
        System.err.print("\u0000\u0000\u0000\u0005garbage that looks like a frame");
        System.out.write(new byte[] {0, 0, 0, 1, 3});
        return 42;
      });
    } finally {
      System.setErr(original);
    }
    assertThat(result).isEqualTo(42);
    assertThat(captured.toString(java.nio.charset.StandardCharsets.UTF_8))
        .contains("[sandbox").contains("hello from the tool").contains("garbage that looks like a frame");
  }

  /**
   * What bypasses System.out (native code, a child process with inherited output) writes to descriptor 1, reached
   * here through its path ({@code FileDescriptor.out} itself is closed where a backend silences the console).
   */
  @Test
  void rawWritesToTheProcessStdoutNeverReachTheProtocol() {
    int result = pool.call(() -> {
      java.io.FileOutputStream stdout = new java.io.FileOutputStream("/dev/fd/1");
      stdout.write(new byte[] {0, 0, 0, 9, 3, 'n', 'o', 't', ' ', 'a', ' ', 'r', 'e'});
      stdout.flush();
      return 43;
    });
    assertThat(result).isEqualTo(43);
    assertThat(pool.call(() -> 44)).isEqualTo(44);
  }

  @Test
  void postureNamesEveryControl() {
    assertThat(pool.posture().controls()).extracting(c -> c.name())
        .contains("network", "filesystem", "memory", "pids", "environment");
  }

  // ---- round trips ---------------------------------------------------------------------------------------------

  @Test
  void roundTripsPrimitivesNullAndStrings() {
    int a = 20;
    long b = 22L;
    assertThat(pool.call(() -> a + b)).isEqualTo(42L);
    assertThat(pool.<String>call(() -> null)).isNull();
    assertThat(pool.call(() -> "héllo " + a)).isEqualTo("héllo 20");
    assertThat(pool.call(() -> new double[] {1.5, 2.5})).containsExactly(1.5, 2.5);
  }

  @Test
  void roundTripsCollectionsIncludingImmutableOnes() {
    List<Integer> input = List.of(1, 2, 3);
    Map<String, Integer> map = Map.of("a", 1, "b", 2);
    Map<String, Object> result = pool.call(() -> {
      Map<String, Object> out = new HashMap<>();
      out.put("list", List.of(input.get(0), input.get(2)));
      out.put("map", Map.copyOf(map));
      out.put("set", Set.of("x"));
      out.put("mutable", new ArrayList<>(input));
      return out;
    });
    assertThat(result.get("list")).isEqualTo(List.of(1, 3));
    assertThat(result.get("map")).isEqualTo(map);
    assertThat(result.get("set")).isEqualTo(Set.of("x"));
    assertThat(result.get("mutable")).isEqualTo(input);
    assertThatThrownBy(() -> ((List<?>) result.get("list")).add(null))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void roundTripsRecordsAndUserClasses() {
    Counter counter = new Counter("c", 1);
    Report report = pool.call(() -> new Report("r", List.of(1, 2), Map.of("k", counter), Optional.of("note")));
    assertThat(report.title()).isEqualTo("r");
    assertThat(report.values()).containsExactly(1, 2);
    assertThat(report.counters().get("k").count()).isEqualTo(1);
    assertThat(report.note()).contains("note");
  }

  @Test
  void shipsLambdasWithCapturedValues() {
    String prefix = "captured-";
    Function<String, String> fn = (Function<String, String> & java.io.Serializable) s -> prefix + s;
    assertThat(pool.call(() -> fn.apply("value"))).isEqualTo("captured-value");
  }

  @Test
  void interceptorShipsTheReceiverAndArguments() throws Throwable {
    Counter counter = new Counter("tool", 40);
    Object result = interceptor().intercept(counter, Counter.class.getMethod("incrementedBy", int.class),
        new Object[] {2}, () -> {
          throw new AssertionError("must not run on the host");
        });
    assertThat(((Counter) result).count()).isEqualTo(42);
    assertThat(((Counter) result).name()).isEqualTo("tool@sandbox");
  }

  @Test
  void userExceptionArrivesNamedInASandboxedCodeExceptionAndIsNeverReRunOnTheHost() throws Exception {
    AtomicInteger hostRuns = new AtomicInteger();
    Counter counter = new Counter("tool", 7);
    assertThatThrownBy(() -> interceptor().intercept(counter, Counter.class.getMethod("failWith", String.class),
        new Object[] {"boom"}, () -> hostRuns.incrementAndGet()))
        .isExactlyInstanceOf(SandboxedCodeException.class)
        .hasMessageContaining("boom (code 7)")
        .satisfies(e -> assertThat(((SandboxedCodeException) e).remoteClassName())
            .isEqualTo(ToolFailure.class.getName()))
        .satisfies(e -> assertThat(((SandboxedCodeException) e).remoteMessage()).isEqualTo("boom (code 7)"))
        .satisfies(e -> assertThat(((SandboxedCodeException) e).remoteStackTrace())
            .extracting(StackTraceElement::getMethodName).contains("failWith").doesNotContain("returnedToHost"))
        .satisfies(e -> assertThat(e.getStackTrace()).extracting(StackTraceElement::getMethodName)
            .contains("failWith", "returnedToHost"));
    assertThat(hostRuns).hasValue(0);
  }

  @Test
  void copiesFileArgumentsInReadOnly(@TempDir Path dir) throws Throwable {
    Path file = Files.writeString(dir.resolve("input.txt"), "file content");
    Object seen = interceptor().intercept(null, ContractTools.class.getMethod("readPath", Path.class),
        new Object[] {file}, () -> {
          throw new AssertionError("must not run on the host");
        });
    assertThat((String) seen).startsWith("file content|writable=false|same=").doesNotEndWith("same=" + file);
    Object viaFile = interceptor().intercept(null, ContractTools.class.getMethod("readFile", File.class),
        new Object[] {file.toFile()}, () -> {
          throw new AssertionError("must not run on the host");
        });
    assertThat(viaFile).isEqualTo("file content");
  }

  @Test
  void capturedPathsTravelAsNames() {
    Path somewhere = Path.of("/nonexistent/airlock/path.txt");
    assertThat(pool.call(() -> somewhere.getFileName().toString() + " exists=" + Files.exists(somewhere)))
        .isEqualTo("path.txt exists=false");
  }

  // ---- what cannot be shipped --------------------------------------------------------------------------------

  /** A tool holding something that only means something in this JVM. */
  static final class HoldsAThread implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    final Thread worker = new Thread(() -> { });

    String name() {
      return "x";
    }
  }

  @Test
  void namesTheFieldThatCannotBeShipped() {
    HoldsAThread tool = new HoldsAThread();
    assertThatThrownBy(() -> pool.call(tool::name))
        .isInstanceOf(UnshippableInvocationException.class)
        .hasMessageContaining(".worker")
        .hasMessageContaining("java.lang.Thread")
        .hasMessageContaining("transient");
  }

  @Test
  void refusesAnOversizedPayloadBeforeSending() {
    byte[] big = new byte[contractConfig().maxPayloadBytes() + 1];
    long before = pool.stats().workersStarted();
    assertThatThrownBy(() -> pool.call(() -> big.length))
        .isInstanceOf(PayloadTooLargeException.class)
        .hasMessageContaining("airlock.max-payload-bytes");
    assertThat(pool.stats().workersStarted()).isEqualTo(before);
  }

  // ---- containment --------------------------------------------------------------------------------------------

  @Test
  void timesOutAnInfiniteLoopAndKillsTheWorker() {
    long start = System.nanoTime();
    assertThatThrownBy(() -> pool.call(ContractTools::spin, Duration.ofSeconds(2)))
        .isInstanceOf(SandboxTimeoutException.class)
        .hasMessageContaining("timeout of 2 s");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
  }

  @Test
  void reportsAMemoryBombAsAResourceLimit() {
    assertThatThrownBy(() -> pool.call(ContractTools::memoryBomb))
        .isInstanceOf(SandboxResourceLimitException.class)
        .hasMessageContaining("memory");
  }

  @Test
  void detectsWhenTheWholeWorkerHitsItsMemoryLimit() {
    assertThatThrownBy(() -> pool.call(ContractTools::nativeMemoryBomb))
        .isInstanceOf(SandboxResourceLimitException.class)
        .hasMessageContaining("memory");
  }

  @Test
  void containsAForkBomb() {
    int limit = contractConfig().pidsLimit();
    String outcome = pool.call(() -> ContractTools.forkBomb(limit * 4));
    int started = Integer.parseInt(outcome.substring(0, outcome.indexOf(' ')));
    assertThat(started).as(outcome).isLessThan(limit);
    assertThat(outcome).doesNotContain("never refused");
  }

  @Test
  void cannotWriteOutsideTheSandbox(@TempDir Path hostDir) throws Exception {
    Path escape = hostDir.resolve("escape-" + UUID.randomUUID());
    String target = escape.toString();
    try {
      pool.call(() -> ContractTools.writeFile(target));
    } catch (RuntimeException expectedOnMostBackends) {
      // Either the path does not exist in the sandbox or it is read-only: both are contained.
    }
    assertThat(escape).doesNotExist();
  }

  @Test
  void cannotReadTheHostEnvironment() {
    assertThat(System.getenv(HOST_SECRET)).as("the build sets %s for this test", HOST_SECRET).isNotNull();
    assertThat(pool.call(() -> ContractTools.readEnv(HOST_SECRET))).isNull();
  }

  @Test
  void cannotConnectToTheHostLoopback() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      int port = server.getLocalPort();
      assertThatThrownBy(() -> pool.call(() -> ContractTools.connect(port)))
          .isInstanceOf(SandboxExecutionException.class)
          .hasRootCauseInstanceOf(java.net.SocketException.class);
      server.setSoTimeout(200);
      assertThatThrownBy(server::accept).isInstanceOf(SocketTimeoutException.class);
    }
  }

  @Test
  void reportsSystemExitAsACrashAndTheHostLives() {
    assertThatThrownBy(() -> pool.call(() -> ContractTools.exit(1)))
        .isInstanceOf(SandboxCrashedException.class)
        .hasMessageContaining("exit code 1");
    assertThat(pool.call(() -> 1 + 1)).isEqualTo(2);
  }

  @Test
  void refusesAFiftyMebibyteResult() {
    assertThatThrownBy(() -> pool.call(() -> ContractTools.bytes(50 * 1024 * 1024)))
        .isInstanceOf(PayloadTooLargeException.class)
        .hasMessageContaining("airlock.max-result-bytes");
  }

  // ---- pool ----------------------------------------------------------------------------------------------------

  @Test
  void statsMoveAsCallsRun() {
    PoolStats before = pool.stats();
    pool.call(() -> 1);
    assertThatThrownBy(() -> pool.call(() -> {
      throw new IllegalStateException("expected");
    })).isInstanceOf(IllegalStateException.class).hasMessage("expected");
    PoolStats after = pool.stats();
    assertThat(after.totalExecutions()).isEqualTo(before.totalExecutions() + 2);
    assertThat(after.failures()).isEqualTo(before.failures() + 1);
    assertThat(after.avgLatencyMs()).isPositive();
    assertThat(after.active()).isZero();
  }

  /**
   * Whether this backend's workers prove themselves idle ({@code WorkerHandle.provablyIdle}), so that
   * {@code reuse=true} reuses them; the SPI's default is no, and then every call gets a fresh worker.
   */
  protected boolean provesIdleness() {
    return false;
  }

  /** Different in every worker JVM (pids repeat across containers and VMs). */
  static final class WorkerJvm {
    private static final String ID = java.util.UUID.randomUUID().toString();

    static String id() {
      return ID;
    }
  }

  @Test
  void reusedWorkerServesManyCallsWhenTheBackendProvesItIdle() {
    try (SandboxPool reusing = SandboxPool.builder(contractConfig()).reuse(true).minSize(1).maxSize(1).build()) {
      String first = reusing.call(WorkerJvm::id);
      for (int i = 0; i < 5; i++) {
        int n = i;
        assertThat(reusing.call(() -> n * 2)).isEqualTo(i * 2);
      }
      if (provesIdleness()) {
        assertThat(reusing.call(WorkerJvm::id)).isEqualTo(first);
        assertThat(reusing.stats().workersStarted()).isEqualTo(1);
      } else {
        assertThat(reusing.call(WorkerJvm::id)).as("a worker that cannot be proven idle is never reused")
            .isNotEqualTo(first);
        assertThat(reusing.stats().workersStarted()).isGreaterThanOrEqualTo(7);
      }
    }
  }

  // ---- fallback ------------------------------------------------------------------------------------------------

  @Test
  void fallsBackToTheHostOnlyWhenNoSandboxCanBeHadAndNotRequired() {
    AtomicInteger launches = new AtomicInteger();
    AirlockConfig config = contractConfig().toBuilder().sandboxRequired(false).build();
    try (SandboxPool unavailable = SandboxPool.builder(config).backend("broken", () -> {
      launches.incrementAndGet();
      throw new SandboxUnavailableException("backend is down for this test");
    }).build()) {
      assertThat(unavailable.call(ContractTools::where)).startsWith("host");
      assertThat(unavailable.stats().fallbacks()).isEqualTo(1);
    }
    try (SandboxPool required = SandboxPool.builder(config.toBuilder().sandboxRequired(true).build())
        .backend("broken", () -> {
          throw new SandboxUnavailableException("backend is down for this test");
        }).build()) {
      assertThatThrownBy(() -> required.call(ContractTools::where))
          .isInstanceOf(SandboxUnavailableException.class)
          .hasMessageContaining("backend is down for this test");
      assertThat(required.stats().fallbacks()).isZero();
    }
    assertThat(launches.get()).isPositive();
  }

  private AirlockInterceptor interceptor() {
    return new AirlockInterceptor(new AirlockInterceptor.PoolResolver() {
      @Override
      public AirlockConfig config() {
        return contractConfig();
      }

      @Override
      public SandboxPool pool(String backend, int memoryMb) {
        return pool;
      }
    });
  }
}
