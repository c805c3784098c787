package dev.airlock.bench;

import dev.airlock.SandboxPool;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Figure 4: calls per second of the no-op tool; the number of callers is JMH's thread count. With 32 callers and
 * single-use workers a call queues for many worker starts, so the call timeout is long: waiting is what is measured.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class ThroughputBenchmark {
  private static final Duration QUEUEING_TIMEOUT = Duration.ofMinutes(10);

  @Param({"2", "4"})
  public int poolSize;

  @Param({"true", "false"})
  public boolean reuse;

  private SandboxPool pool;

  @Setup
  public void start() {
    pool = Pools.warm(poolSize, reuse);
  }

  @TearDown
  public void stop() {
    pool.close();
  }

  @Benchmark
  public Integer call() {
    return pool.call(Ping.SMALL, QUEUEING_TIMEOUT);
  }
}
