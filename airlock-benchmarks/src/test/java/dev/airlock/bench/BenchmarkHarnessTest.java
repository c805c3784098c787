package dev.airlock.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.options.TimeValue;

/** Checks that the benchmark harness measures something real, not how fast it is. */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class BenchmarkHarnessTest {

  @Test
  void echoFloorReturnsTheSameBytesFromAChildProcess() throws Exception {
    byte[] body = Pools.invocationBytes(Ping.SMALL);
    try (EchoFloor floor = EchoFloor.start()) {
      assertThat(floor.roundTrip(body)).isEqualTo(body);
      assertThat(ProcessHandle.current().children().count()).isPositive();
    }
  }

  @Test
  void theInterleavedSamplerTimesEveryCallAndEveryRoundTripAndLeavesNoProcess() throws Exception {
    InterleavedWarmCall.Result result = InterleavedWarmCall.measure(java.time.Duration.ZERO, 2, 50);
    assertThat(result.samplesEach()).isEqualTo(100);
    assertThat(result.callMedian()).as("a call to another process takes time").isPositive()
        .isLessThanOrEqualTo(result.callP99());
    assertThat(result.floorMedian()).isPositive().isLessThanOrEqualTo(result.floorP99());
    assertThat(ProcessHandle.current().descendants().filter(ProcessHandle::isAlive).count())
        .as("no worker or echo child left behind").isZero();
  }

  @Test
  void oneShortIterationOfTheWarmCallBenchmarkMeasuresAllThreeCases() throws Exception {
    Collection<RunResult> results = BenchmarkReport.run(WarmCallBenchmark.class, new BenchmarkReport(
        BenchmarkReport.Settings.QUICK).options().forks(0).warmupIterations(0).measurementIterations(1)
        .measurementTime(TimeValue.milliseconds(300)));

    Map<String, Long> samples = results.stream().collect(Collectors.toMap(BenchmarkReport::label,
        r -> r.getPrimaryResult().getStatistics().getN()));
    assertThat(samples).containsOnlyKeys("direct", "echoFloor", "sandboxCall");
    assertThat(samples.values()).allSatisfy(n -> assertThat(n).isPositive());
    assertThat(ProcessHandle.current().descendants().filter(ProcessHandle::isAlive).count())
        .as("no worker or echo child left behind").isZero();
  }

  @Test
  void reportKeepsTheProseAroundTheGeneratedTablesAndWritesJson(@TempDir Path docs) throws Exception {
    Path md = docs.resolve("benchmarks.md");
    Files.writeString(md, "# Benchmarks\nprose before\n" + ReportWriter.BEGIN + "\nold\n" + ReportWriter.END
        + "\nprose after\n");
    List<Figure> figures = List.of(Figure.of("1. Warm", "call median", 120, "µs", "floor", 40)
        .target("≤ 5× floor", true));

    new ReportWriter(Map.of("JDK", "17"), figures, List.of("a \"quoted\" note"))
        .write(md, docs.resolve("benchmarks.json"));

    assertThat(Files.readString(md)).startsWith("# Benchmarks\nprose before\n").endsWith("\nprose after\n")
        .doesNotContain("old").contains("| call median | 120 µs | floor: 40.0 µs | 3.00× | ≤ 5× floor | yes |");
    assertThat(Files.readString(docs.resolve("benchmarks.json")))
        .contains("\"ratio\": 3.0000", "\"met\": true", "a \\\"quoted\\\" note");
  }
}
