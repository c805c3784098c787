package dev.airlock.bench;

import dev.airlock.AirlockConfig;
import dev.airlock.internal.backend.Backends;
import dev.airlock.internal.local.LocalBackend;
import dev.airlock.internal.pool.WorkerSession;
import dev.airlock.internal.worker.ClasspathFingerprint;
import dev.airlock.internal.worker.WorkerClasspath;
import dev.airlock.spi.SandboxBackend;
import dev.airlock.spi.WorkerHandle;
import dev.airlock.spi.WorkerSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Whole-process figures JMH cannot take: a worker's cold start (spawn to handshake) against {@code java -cp . Hello}
 * on the same JDK, and the resident memory of an idle worker.
 */
final class StartupBenchmark implements AutoCloseable {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

  private final SandboxBackend backend;
  private final String fingerprint = ClasspathFingerprint.of(WorkerClasspath.ofThisJvm());
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "airlock-bench-watchdog");
    t.setDaemon(true);
    return t;
  });

  private final boolean classDataArchive;

  /** Waits for the local backend's class-data archive, so cold starts are those of a backend past its first start. */
  StartupBenchmark(String backendName, AirlockConfig config) throws InterruptedException {
    this.backend = Backends.create(backendName, config);
    this.classDataArchive = backend instanceof LocalBackend local
        && local.awaitClassDataArchive(Duration.ofSeconds(60));
  }

  boolean classDataArchive() {
    return classDataArchive;
  }

  String posture() {
    return backend.posture().describe();
  }

  /** Milliseconds from launch to a handshaken worker, {@code runs} times, each worker killed afterwards. */
  double[] coldStartMillis(int runs) {
    double[] millis = new double[runs];
    for (int i = 0; i < runs; i++) {
      long start = System.nanoTime();
      WorkerHandle handle = handshaken();
      millis[i] = (System.nanoTime() - start) / 1e6;
      handle.kill();
    }
    return millis;
  }

  /**
   * Resident set of an idle, handshaken worker in KiB: the JVM's own, and the whole process tree (with the
   * bubblewrap or container launcher) as the machine sees it.
   */
  long[] idleResidentKib(Duration settle) throws InterruptedException {
    List<Long> before = descendants();
    WorkerHandle handle = handshaken();
    try {
      Thread.sleep(settle.toMillis());
      long largest = 0;
      long total = 0;
      for (long pid : descendants()) {
        if (!before.contains(pid)) {
          long rss = residentKib(pid);
          largest = Math.max(largest, rss);
          total += rss;
        }
      }
      return new long[] {largest, total};
    } finally {
      handle.kill();
    }
  }

  private WorkerHandle handshaken() {
    WorkerHandle handle = backend.launch(new WorkerSpec(Pools.config().memoryMb(), START_TIMEOUT));
    new WorkerSession(handle, Pools.MAX_BYTES, scheduler).handshake(fingerprint, START_TIMEOUT);
    return handle;
  }

  private static List<Long> descendants() {
    return ProcessHandle.current().descendants().map(ProcessHandle::pid).toList();
  }

  static long residentKib(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("\\D", ""));
        }
      }
    } catch (IOException | NumberFormatException e) {
      // Exited meanwhile: it holds no memory.
    }
    return 0;
  }

  /** Milliseconds of {@code java -cp . Hello} from spawn to exit, {@code runs} times. */
  static double[] javaHelloMillis(int runs) throws IOException, InterruptedException {
    return javaHelloMillis(Jvm.java(), runs);
  }

  /** As above, on {@code java}. */
  static double[] javaHelloMillis(String java, int runs) throws IOException, InterruptedException {
    Path dir = Files.createTempDirectory("airlock-hello-");
    Path hello = dir.resolve("Hello.class");
    try (InputStream in = StartupBenchmark.class.getResourceAsStream("/Hello.class")) {
      Files.copy(in, hello);
    }
    try {
      double[] millis = new double[runs];
      for (int i = 0; i < runs; i++) {
        long start = System.nanoTime();
        Process p = new ProcessBuilder(java, "-cp", ".", "Hello").directory(dir.toFile())
            .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
          p.destroyForcibly();
          throw new IllegalStateException("java -cp . Hello failed on " + java);
        }
        millis[i] = (System.nanoTime() - start) / 1e6;
      }
      return millis;
    } finally {
      Files.deleteIfExists(hello);
      Files.deleteIfExists(dir);
    }
  }

  static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
    backend.close();
  }
}
