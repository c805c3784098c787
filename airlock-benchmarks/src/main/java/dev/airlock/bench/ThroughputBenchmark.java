package dev.airlock.bench;

import dev.airlock.SandboxPool;
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

/** Figure 4: calls per second of the no-op tool; the number of callers is JMH's thread count. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class ThroughputBenchmark {
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
    return pool.call(Ping.SMALL);
  }
}
