package dev.airlock.bench;

import dev.airlock.AirlockPolicy;
import dev.airlock.internal.guard.Guard;
import dev.airlock.internal.guard.InProcessRateLimitStore;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Masking throughput on the caller's thread: 128 KiB of ordinary tool output (prose with a few e-mail addresses,
 * keys and card numbers) against the hostile shapes that made the old patterns backtrack ({@code "a."} repeated took
 * 92 s). Divide 128 KiB by the time per operation for characters per second.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class MaskingBenchmark {
  private static final int SIZE = 128 * 1024;

  @Param({"ordinary", "dots", "jwt-prefixes", "connection-strings", "key-prefixes"})
  public String text;

  private String input;
  private Guard guard;

  @Setup
  public void prepare() {
    String unit = switch (text) {
      case "ordinary" -> "The report for ann.lee@example.com is ready; DB_PASSWORD=hunter22 was rotated. Card "
          + "4111 1111 1111 1111 expires soon, call +49 30 1234 5678. Nothing else changed this week. ";
      case "dots" -> "a.";
      case "jwt-prefixes" -> "eyJ";
      case "connection-strings" -> "a://";
      case "key-prefixes" -> "password=";
      default -> throw new IllegalArgumentException(text);
    };
    input = unit.repeat(SIZE / unit.length() + 1).substring(0, SIZE);
    AirlockPolicy policy = AirlockPolicy.builder().masking(AirlockPolicy.Masking.TYPE_ONLY).build();
    guard = new Guard(name -> Optional.of(policy), new InProcessRateLimitStore(), Clock.systemUTC());
  }

  @Benchmark
  public Object mask() {
    return guard.after(input, "");
  }
}
