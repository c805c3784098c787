package dev.airlock.bench;

import dev.airlock.SandboxPool;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Figure 2: one call into a pre-started single-use worker ({@code reuse=false}). Before each call the benchmark waits,
 * outside the measurement, until the pool has replaced the worker the previous call used up and that worker has sat
 * idle for {@link #SETTLE_MILLIS}, as a pre-started worker of a warm pool has: long enough for its start-up
 * warm-up to finish. Its baseline ({@code reuse=true}) is a reused worker called after the same idle time, since a
 * process that sat idle is slower to answer than one in a tight loop.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class SingleUseCallBenchmark {
  static final long SETTLE_MILLIS = 500;

  @Param({"false", "true"})
  public boolean reuse;

  private SandboxPool pool;

  @Setup
  public void start() {
    pool = Pools.warm(1, reuse);
  }

  @Setup(Level.Invocation)
  public void awaitWarmWorker() throws InterruptedException {
    Pools.awaitIdle(pool, 1);
    Thread.sleep(SETTLE_MILLIS);
  }

  @TearDown
  public void stop() {
    pool.close();
  }

  @Benchmark
  public Integer singleUseCall() {
    return pool.call(Ping.SMALL);
  }
}
