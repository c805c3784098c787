package dev.airlock.bench;

import dev.airlock.SandboxPool;
import dev.airlock.internal.wire.Messages;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Figure 1 under JMH: a warm call ({@code reuse=true}) of a no-op tool, against calling it directly and against the
 * echo floor of the same INVOKE bytes over the same kind of pipes. The report takes the direct call from here and
 * the other two from {@link InterleavedWarmCall}, which samples them turn about.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class WarmCallBenchmark {
  private SandboxPool pool;
  private EchoFloor floor;
  private byte[] invokeBody;

  @Setup
  public void start() throws IOException, NoSuchMethodException {
    pool = Pools.warm(1, true);
    floor = EchoFloor.start();
    invokeBody = Messages.invoke(new Messages.Invoke(1, 60_000, Pools.MAX_BYTES, Pools.invocationBytes(Ping.SMALL)));
  }

  @TearDown
  public void stop() throws IOException {
    pool.close();
    floor.close();
  }

  @Benchmark
  public Integer direct() {
    return Ping.SMALL.call();
  }

  @Benchmark
  public byte[] echoFloor() throws IOException {
    return floor.roundTrip(invokeBody);
  }

  @Benchmark
  public Integer sandboxCall() {
    return pool.call(Ping.SMALL);
  }
}
