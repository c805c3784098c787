package dev.airlock.bench;

import dev.airlock.SandboxPool;
import dev.airlock.internal.wire.Messages;
import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;

/**
 * Figure 1's two latencies taken turn about, a round of echo round trips and a round of sandboxed calls, alternately
 * first, so both meet the same machine. Both are mostly the time for a blocked thread to wake up on another core,
 * which on a shared VM moves between runs by more than 5×: measured one after the other (as separate JMH runs), the
 * floor came out at 12 µs in one run and 82 µs in another, and the ratio with it.
 */
final class InterleavedWarmCall {
  /** Median and p99 of each, in µs. */
  record Result(double callMedian, double callP99, double floorMedian, double floorP99, int samplesEach) {
  }

  private InterleavedWarmCall() {
  }

  static Result measure(Duration warmup, int rounds, int perRound) throws IOException, NoSuchMethodException {
    SandboxPool pool = Pools.warm(1, true);
    try (EchoFloor floor = EchoFloor.start()) {
      byte[] invokeBody = Messages.invoke(new Messages.Invoke(1, 60_000, Pools.MAX_BYTES,
          Pools.invocationBytes(Ping.SMALL)));
      long[] calls = new long[rounds * perRound];
      long[] floors = new long[rounds * perRound];
      long warmUntil = System.nanoTime() + warmup.toNanos();
      while (System.nanoTime() < warmUntil) {
        sample(pool, floor, invokeBody, new long[perRound], new long[perRound], 0, perRound, true);
      }
      for (int round = 0; round < rounds; round++) {
        sample(pool, floor, invokeBody, calls, floors, round * perRound, perRound, round % 2 == 0);
      }
      Arrays.sort(calls);
      Arrays.sort(floors);
      return new Result(micros(calls, 0.50), micros(calls, 0.99), micros(floors, 0.50), micros(floors, 0.99),
          calls.length);
    } finally {
      pool.close();
    }
  }

  private static void sample(SandboxPool pool, EchoFloor floor, byte[] invokeBody, long[] calls, long[] floors,
      int from, int count, boolean floorFirst) throws IOException {
    if (floorFirst) {
      sampleFloor(floor, invokeBody, floors, from, count);
      sampleCalls(pool, calls, from, count);
    } else {
      sampleCalls(pool, calls, from, count);
      sampleFloor(floor, invokeBody, floors, from, count);
    }
  }

  private static void sampleFloor(EchoFloor floor, byte[] body, long[] into, int from, int count) throws IOException {
    for (int i = from; i < from + count; i++) {
      long start = System.nanoTime();
      floor.roundTrip(body);
      into[i] = System.nanoTime() - start;
    }
  }

  private static void sampleCalls(SandboxPool pool, long[] into, int from, int count) {
    for (int i = from; i < from + count; i++) {
      long start = System.nanoTime();
      pool.call(Ping.SMALL);
      into[i] = System.nanoTime() - start;
    }
  }

  private static double micros(long[] sorted, double quantile) {
    return sorted[(int) Math.min(sorted.length - 1, Math.round(quantile * (sorted.length - 1)))] / 1000.0;
  }
}
