package dev.airlock.bench;

import dev.airlock.AirlockConfig;
import dev.airlock.SandboxPool;
import dev.airlock.spi.SandboxBackendProvider;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;

/**
 * Figure 7: the Docker backend's container start to handshake and warm call, against {@code docker run --rm <image>
 * true}. Runs only when the {@code docker} backend is on the classpath and an engine answers.
 */
final class DockerFigures {
  static final String SECTION = "7. Docker backend";
  private static final String IMAGE_KEY = "airlock.docker.image";
  private static final String DEFAULT_IMAGE = "airlock-worker:17";

  private DockerFigures() {
  }

  /** Why the Docker rows cannot run here, or empty when they can. */
  static Optional<String> unavailableReason() {
    boolean provider = ServiceLoader.load(SandboxBackendProvider.class).stream()
        .anyMatch(p -> p.get().name().equals("docker"));
    if (!provider) {
      return Optional.of("the Docker backend (module airlock-docker, provider `docker`) is not on the classpath");
    }
    try {
      if (run(List.of("docker", "info")) != 0) {
        return Optional.of("no Docker engine answers `docker info`");
      }
    } catch (IOException e) {
      return Optional.of("the docker CLI is not installed (" + e.getMessage() + ")");
    }
    return Optional.empty();
  }

  /** {@code localWarmMicros}: the local backend's warm call median of the same run, or NaN when not measured. */
  static List<Figure> measure(int runs, int calls, double localWarmMicros) throws IOException, InterruptedException {
    String image = System.getProperty(IMAGE_KEY,
        Optional.ofNullable(System.getenv("AIRLOCK_DOCKER_IMAGE")).orElse(DEFAULT_IMAGE));
    AirlockConfig config = Pools.config().toBuilder().backend("docker").backendProperty(IMAGE_KEY, image).build();
    double[] dockerTrue = new double[runs];
    for (int i = 0; i < runs; i++) {
      long start = System.nanoTime();
      if (run(List.of("docker", "run", "--rm", "--network", "none", image, "true")) != 0) {
        throw new IllegalStateException("docker run --rm " + image + " true failed");
      }
      dockerTrue[i] = (System.nanoTime() - start) / 1e6;
    }
    double[] coldStart;
    try (StartupBenchmark startup = new StartupBenchmark("docker", config)) {
      coldStart = startup.coldStartMillis(runs);
    }
    double[] warm = new double[calls];
    try (SandboxPool pool = SandboxPool.builder(config).minSize(1).maxSize(1).reuse(true)
        .idleTimeout(Duration.ofMinutes(30)).build()) {
      for (int i = 0; i < calls / 10; i++) {
        pool.call(Ping.SMALL);
      }
      for (int i = 0; i < calls; i++) {
        long start = System.nanoTime();
        pool.call(Ping.SMALL);
        warm[i] = (System.nanoTime() - start) / 1e3;
      }
    }
    double trueMedian = StartupBenchmark.median(dockerTrue);
    List<Figure> figures = new ArrayList<>();
    figures.add(Figure.of(SECTION, "container start to handshake, median of " + runs, StartupBenchmark.median(coldStart),
        "ms", "`docker run --rm " + image + " true`", trueMedian));
    Arrays.sort(warm);
    figures.add(Figure.of(SECTION, "warm call median (" + calls + " calls)", warm[calls / 2], "µs",
        "local backend warm call median", localWarmMicros));
    figures.add(Figure.of(SECTION, "warm call p99 (" + calls + " calls)", warm[(int) (calls * 0.99)], "µs",
        "`docker run --rm " + image + " true` in µs", trueMedian * 1000));
    return figures;
  }

  private static int run(List<String> command) throws IOException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    try {
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return -1;
      }
      return p.exitValue();
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      return -1;
    }
  }
}
