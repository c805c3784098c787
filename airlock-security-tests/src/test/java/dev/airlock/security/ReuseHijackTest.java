package dev.airlock.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.AirlockConfig;
import dev.airlock.AirlockContext;
import dev.airlock.IsolationPosture;
import dev.airlock.SandboxPool;
import dev.airlock.internal.codec.Codec;
import dev.airlock.internal.local.LocalBackendProvider;
import dev.airlock.internal.wire.Frame;
import dev.airlock.internal.wire.FrameReader;
import dev.airlock.internal.wire.FrameType;
import dev.airlock.internal.wire.FrameWriter;
import dev.airlock.internal.wire.Messages;
import dev.airlock.spi.SandboxBackend;
import dev.airlock.spi.WorkerHandle;
import dev.airlock.spi.WorkerSpec;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Issue 14 item 5: with {@code reuse=true}, what one call leaves in its worker must not take over the next call.
 * A thread left behind reads the channel (guest code can open {@code /dev/fd/3} and {@code /dev/fd/4}) and answers
 * the next call itself; a process left behind could do the same. The host proves a worker idle from {@code /proc}
 * and its cgroup before reusing it, and keeps reused workers to one session.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ReuseHijackTest {
  private static final Logger LOG = LoggerFactory.getLogger(ReuseHijackTest.class);
  private static final AirlockConfig LOCAL = AirlockConfig.builder().backend("local")
      .localIsolation(AirlockConfig.LocalIsolation.STRICT).timeoutSeconds(30).build();

  private final List<SandboxPool> pools = new ArrayList<>();

  @AfterEach
  void nothingLeftBehind() throws InterruptedException {
    pools.forEach(SandboxPool::close);
    FaultTest.awaitTrue(() -> WorkerProcesses.descendants().isEmpty(), java.time.Duration.ofSeconds(10));
    assertThat(WorkerProcesses.descendants()).as("processes left behind").isEmpty();
  }

  private SandboxPool reusingPool(int maxSize) {
    SandboxPool pool = SandboxPool.builder(LOCAL).minSize(0).maxSize(maxSize).reuse(true).build();
    pools.add(pool);
    return pool;
  }

  @Test
  void aThreadLeftBehindNeverAnswersTheNextCall() {
    SandboxPool pool = reusingPool(1);
    assertThat(pool.call(ReuseHijackTest::plantChannelThief)).isEqualTo("planted");

    for (int i = 0; i < 6; i++) {
      String tag = "call-" + i;
      assertThat(pool.call(() -> tag)).as("call %d answered by itself", i).isEqualTo(tag);
    }
    assertThat(pool.stats().workersStarted()).as("the planted worker replaced once, the clean one reused")
        .isEqualTo(2);
  }

  @Test
  void aProcessLeftBehindMakesTheWorkerBeReplaced() {
    SandboxPool pool = reusingPool(1);
    String first = pool.call(ReuseHijackTest::workerIdentity);
    assertThat(pool.call(ReuseHijackTest::workerIdentity)).as("a clean worker is reused").isEqualTo(first);

    assertThat(pool.call(ReuseHijackTest::leaveAChildProcess)).startsWith("child ");

    assertThat(pool.call(ReuseHijackTest::workerIdentity)).as("the worker with a child was not reused")
        .isNotEqualTo(first);
  }

  @Test
  void twoSessionsNeverShareAWorker() {
    SandboxPool pool = reusingPool(2);
    String alice = inSession("alice", () -> pool.call(ReuseHijackTest::workerIdentity));
    assertThat(inSession("alice", () -> pool.call(ReuseHijackTest::workerIdentity))).isEqualTo(alice);

    String bob = inSession("bob", () -> pool.call(ReuseHijackTest::workerIdentity));

    assertThat(bob).as("another session gets another worker").isNotEqualTo(alice);
    assertThat(inSession("alice", () -> pool.call(ReuseHijackTest::workerIdentity))).isEqualTo(alice);
    String none = pool.call(ReuseHijackTest::workerIdentity);
    assertThat(none).as("no session is a domain of its own").isNotIn(alice, bob);
  }

  /** As uid 65534: namespaces but no cgroup, so the proof watches every thread's children instead. */
  @Test
  void withoutACgroupTheProofHoldsToo() throws Exception {
    String output = NonRootJvm.run(NonRootReuseProbe.class);

    assertThat(output).as(output).containsPattern("memory +NOT ENFORCED").contains("CLEAN-REUSED true")
        .contains("EACH-ANSWERED-BY-ITSELF true").contains("REPLACED-AFTER-CHILD true").doesNotContain("FAILED");
  }

  /**
   * The price of the proof: the check's own time next to the warm reused call it runs after, in one run (figures
   * logged as a {@code REUSE-CHECK} line; docs/security.md quotes them).
   */
  @Test
  void theIdleCheckCostsLittleNextToAWarmCall() {
    TimedBackend backend = new TimedBackend(new LocalBackendProvider().create(LOCAL));
    SandboxPool pool = SandboxPool.builder(LOCAL).minSize(1).maxSize(1).reuse(true)
        .backend("local", () -> backend).build();
    pools.add(pool);
    for (int i = 0; i < 2000; i++) {
      pool.call(() -> 1);
    }
    backend.checks.clear();
    long[] calls = new long[3000];
    for (int i = 0; i < calls.length; i++) {
      long start = System.nanoTime();
      pool.call(() -> 1);
      calls[i] = System.nanoTime() - start;
    }
    long[] checks = backend.checks.stream().mapToLong(Long::longValue).toArray();
    long callMedian = median(calls);
    long checkMedian = median(checks);
    LOG.info("REUSE-CHECK warm reused call p50 {} us, idle check p50 {} us ({} checks), workers started {}",
        callMedian / 1000, checkMedian / 1000, checks.length, pool.stats().workersStarted());
    assertThat(pool.stats().workersStarted()).as("every call reused the one worker").isEqualTo(1);
    // docs/benchmarks.md's warm call is 129 us: 10% of it is 13 us. The bound leaves room for a loaded machine.
    assertThat(checkMedian).as("check p50 against call p50 %d ns", callMedian).isLessThan(callMedian / 2);
  }

  private static long median(long[] values) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }

  private static <T> T inSession(String session, java.util.function.Supplier<T> call) {
    try (AirlockContext.Scope scope = new AirlockContext("agent", session, Set.of(), Map.of()).bind()) {
      return call.get();
    }
  }

  /** Different in every worker JVM, the same across the calls one worker runs. */
  static String workerIdentity() {
    return WorkerIdentity.ID;
  }

  private static final class WorkerIdentity {
    static final String ID = UUID.randomUUID().toString();
  }

  /** Guest code: a thread that reads the next INVOKE from the worker's own channel and answers it. */
  static String plantChannelThief() {
    Thread thief = new Thread(() -> {
      try (InputStream in = new FileInputStream("/dev/fd/3"); OutputStream out = new FileOutputStream("/dev/fd/4")) {
        FrameReader reader = new FrameReader(in, 64 * 1024 * 1024);
        FrameWriter writer = new FrameWriter(out);
        while (true) {
          Frame frame = reader.read();
          if (frame.type() == FrameType.INVOKE) {
            byte[] header = Messages.resultHeader(Messages.invoke(frame.body()).callId(), 0);
            byte[] payload = Codec.encodeResult("hijacked", 1024);
            byte[] body = Arrays.copyOf(header, header.length + payload.length);
            System.arraycopy(payload, 0, body, header.length, payload.length);
            writer.write(FrameType.RESULT, body);
          }
        }
      } catch (Exception e) {
        // The worker is gone.
      }
    }, "left-behind");
    thief.setDaemon(true);
    thief.start();
    return "planted";
  }

  /** Guest code: starts a JVM that outlives the call. */
  static String leaveAChildProcess() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process child = new ProcessBuilder(java, "-Xmx16m", "-XX:TieredStopAtLevel=1", "-cp",
        System.getProperty("java.class.path"), Sleeper.class.getName()).start();
    return "child " + child.pid();
  }

  /** A process left behind. */
  public static final class Sleeper {
    public static void main(String[] args) throws InterruptedException {
      Thread.sleep(120_000);
    }
  }

  /** The local backend, with the time of every idle check recorded. */
  private static final class TimedBackend implements SandboxBackend {
    final List<Long> checks = java.util.Collections.synchronizedList(new ArrayList<>());
    private final SandboxBackend delegate;

    TimedBackend(SandboxBackend delegate) {
      this.delegate = delegate;
    }

    @Override
    public String name() {
      return delegate.name();
    }

    @Override
    public IsolationPosture posture() {
      return delegate.posture();
    }

    @Override
    public WorkerHandle launch(WorkerSpec spec) {
      WorkerHandle worker = delegate.launch(spec);
      return new WorkerHandle() {
        @Override
        public String id() {
          return worker.id();
        }

        @Override
        public InputStream input() {
          return worker.input();
        }

        @Override
        public OutputStream output() {
          return worker.output();
        }

        @Override
        public boolean isAlive() {
          return worker.isAlive();
        }

        @Override
        public void kill() {
          worker.kill();
        }

        @Override
        public Optional<String> resourceLimitHit() {
          return worker.resourceLimitHit();
        }

        @Override
        public String describeExit() {
          return worker.describeExit();
        }

        @Override
        public void ready() {
          worker.ready();
        }

        @Override
        public boolean provablyIdle() {
          long start = System.nanoTime();
          boolean idle = worker.provablyIdle();
          checks.add(System.nanoTime() - start);
          return idle;
        }
      };
    }

    @Override
    public void close() {
      delegate.close();
    }
  }
}
