package dev.airlock.bench;

import dev.airlock.AirlockConfig;
import dev.airlock.AirlockConfig.LocalIsolation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.util.Statistics;

/**
 * The one command behind docs/benchmarks.md: runs every figure next to its baseline in the same run and writes the
 * tables (Markdown) and the JSON.
 *
 * <pre>
 * java -jar airlock-benchmarks/target/benchmarks.jar [--quick] [--docs docs] [--only warm,single,startup,...]
 * java -jar airlock-benchmarks/target/benchmarks.jar --only agent-single   (target 1 alone, 30 calls; 8 with --quick)
 * </pre>
 *
 * {@code --only agent-first} runs only the agent section's first calls of fresh JVMs (3., 4., 4b.).
 */
public final class BenchmarkReport {
  private static final List<String> PARTS = List.of("agent", "warm", "single", "startup", "throughput", "payload", "docker");
  /** With {@code --only agent-single}: target 1 of the agent scenarios alone, for before/after pairs of it. */
  private static final String AGENT_SINGLE = "agent-single";
  /** The sizes of a typical tool call's arguments and results: the Kryo target applies to these. */
  private static final List<String> TYPICAL_TOOL_PAYLOADS = List.of("1024", "102400");
  private static final int WARM_CALLS_PER_ROUND = 1000;
  private static final String AGENT_OPTIONS = "allowed-classes=agentbench.*,timeout-seconds=60";

  private final Settings settings;
  private final List<Figure> figures = new ArrayList<>();
  private final List<String> notes = new ArrayList<>();

  /** How long each part runs: {@code full} for the published figures, {@code quick} while developing. */
  record Settings(int warmupIterations, Duration warmup, int iterations, Duration iteration, int startupRuns,
      int warmCallRounds, int agentCalls) {
    static final Settings FULL = new Settings(1, Duration.ofSeconds(2), 2, Duration.ofSeconds(2), 15, 20, 30);
    static final Settings QUICK = new Settings(1, Duration.ofSeconds(1), 1, Duration.ofSeconds(1), 5, 4, 8);
  }

  BenchmarkReport(Settings settings) {
    this.settings = settings;
  }

  public static void main(String[] args) throws Exception {
    boolean quick = List.of(args).contains("--quick");
    Path docs = Path.of("docs");
    List<String> parts = PARTS;
    for (int i = 0; i < args.length - 1; i++) {
      if (args[i].equals("--docs")) {
        docs = Path.of(args[i + 1]);
      } else if (args[i].equals("--only")) {
        parts = List.of(args[i + 1].split(","));
      }
    }
    BenchmarkReport report = new BenchmarkReport(quick ? Settings.QUICK : Settings.FULL);
    Path markdown = Files.createDirectories(docs).resolve("benchmarks.md");
    Path json = docs.resolve("benchmarks.json");
    // Written after every part, so a run cut short still leaves the figures it took.
    report.run(parts, () -> new ReportWriter(machine(), report.figures, report.notes).write(markdown, json));
    System.out.println(new ReportWriter(machine(), report.figures, report.notes).markdownTables());
  }

  /** Something to do after each part. */
  interface Checkpoint {
    void save() throws IOException;
  }

  /** Runs the named parts in their fixed order; the single-use and throughput baselines need the warm part. */
  void run(List<String> parts, Checkpoint checkpoint) throws Exception {
    if (parts.contains("agent") || parts.contains(AGENT_SINGLE)) {
      agentShaped(!parts.contains("agent"));
      checkpoint.save();
    } else if (parts.contains("agent-first")) {
      try (AgentScenarios agent = AgentScenarios.create(1)) {
        firstCalls(agent, Double.NaN);
      }
      checkpoint.save();
    }
    double floorMicros = parts.contains("warm") || parts.contains("single") || parts.contains("throughput")
        ? warmCall() : Double.NaN;
    checkpoint.save();
    if (parts.contains("single")) {
      singleUseCall();
      checkpoint.save();
    }
    if (parts.contains("startup")) {
      startup();
      checkpoint.save();
    }
    if (parts.contains("throughput")) {
      throughput(floorMicros, checkpoint);
    }
    if (parts.contains("payload")) {
      payload();
      checkpoint.save();
    }
    if (parts.contains("docker")) {
      docker();
      checkpoint.save();
    }
  }

  /**
   * Section 0, the headline (issue 15): the calls an agent makes through the java agent, each next to its floor from
   * the same run, and host CPU per single-use call, workers included.
   */
  void agentShaped(boolean singleOnly) throws IOException, InterruptedException {
    String section = AgentScenarios.SECTION;
    int calls = settings.agentCalls();
    String idle = AgentScenarios.IDLE_MILLIS + " ms";
    String options = AGENT_OPTIONS;
    try (AgentScenarios agent = AgentScenarios.create(calls)) {
      AgentScenarios.Samples single = agent.run(options + ",pool.reuse=false", "single", Integer.toString(calls),
          Long.toString(AgentScenarios.IDLE_MILLIS));
      double singleMedian = StartupBenchmark.median(single.calls());
      double singleFloor = StartupBenchmark.median(single.floors());
      figures.add(Figure.of(section, "1. fresh single-use call, new tool class (loaded when registered), " + idle
          + " after the last, median of " + calls, singleMedian, "ms", "echo child after " + idle + " idle, median",
          singleFloor)
          .target("≤ 3 ms and ≤ 4× floor", singleMedian <= 3 && singleMedian <= 4 * singleFloor));
      AgentScenarios.Samples loading = agent.run(options + ",pool.reuse=false", "single-load",
          Integer.toString(calls), Long.toString(AgentScenarios.IDLE_MILLIS));
      double loadingMedian = StartupBenchmark.median(loading.calls());
      figures.add(Figure.of(section, "1b. the same, each tool class loaded and instrumented by the timed call, "
          + "median of " + calls, loadingMedian, "ms", "echo child after " + idle + " idle, median",
          StartupBenchmark.median(loading.floors())));
      Optional<Jvm.NamedJava> newer = Jvm.newerJava();
      if (newer.isPresent()) {
        AgentScenarios.Samples onNewer = agent.runOn(newer.get().java(), options + ",pool.reuse=false", "single",
            Integer.toString(calls), Long.toString(AgentScenarios.IDLE_MILLIS));
        figures.add(Figure.of(section, "1c. the same as 1. on " + newer.get().name() + " (host and workers), median of "
            + calls, StartupBenchmark.median(onNewer.calls()), "ms", "echo child after " + idle + " idle, median",
            StartupBenchmark.median(onNewer.floors())));
      }
      if (singleOnly) {
        figures.add(Figure.of(section, "host CPU per single-use call, its worker's start included",
            single.cpuPerCallMillis(), "ms", "fresh single-use call (1.), median", singleMedian));
        return;
      }
      AgentScenarios.Samples reused = agent.run(options + ",pool.reuse=true,pool.min-size=1", "reused",
          Integer.toString(calls), Long.toString(AgentScenarios.IDLE_MILLIS));
      double reusedMedian = StartupBenchmark.median(reused.calls());
      double reusedFloor = StartupBenchmark.median(reused.floors());
      figures.add(Figure.of(section, "2. reused worker after " + idle + " idle, median of " + calls, reusedMedian, "ms",
          "echo child after " + idle + " idle, median", reusedFloor)
          .target("≤ 2× floor", reusedMedian <= 2 * reusedFloor));
      firstCalls(agent, singleMedian);
      figures.add(Figure.of(section, "host CPU per single-use call, its worker's start included", single
          .cpuPerCallMillis(), "ms", "host CPU per reused call", reused.cpuPerCallMillis()));
      // Eager start's price: what a JVM that never calls spends in its first 3 s after main.
      figures.add(Figure.of(section, "host CPU in the 3 s after main, no call, eager start", agent.idleCpuMillis(
          options, 3000), "ms", "the same with pool.eager=false", agent.idleCpuMillis(options + ",pool.eager=false",
          3000)));
    }
  }

  /** Figures 3, 3b, 4, 4b and 4c: first calls of fresh JVMs; {@code singleMedian} is figure 1's, NaN when not taken. */
  private void firstCalls(AgentScenarios agent, double singleMedian) throws IOException, InterruptedException {
    String section = AgentScenarios.SECTION;
    String idle = AgentScenarios.IDLE_MILLIS + " ms";
    String options = AGENT_OPTIONS;
    int runs = settings.startupRuns();
    double[][] first = agent.firstCalls(options + ",pool.min-size=0", "first", 0, runs);
    double firstMedian = StartupBenchmark.median(first[2]);
    double hello = StartupBenchmark.median(first[1]);
    // From starting the JVM to the call's return, as Hello is timed from start to exit: the premain counts.
    figures.add(Figure.of(section, "3. first call of a fresh JVM, nothing pre-started (min-size=0), from starting "
        + "the JVM to its return, median of " + runs, firstMedian, "ms", "`java -cp . Hello`, taken turn about, "
        + "median", hello).target("≤ 3× java Hello", firstMedian <= 3 * hello));
    figures.add(Figure.of(section, "3b. the same call timed in main (the JVM's start and the premain left out), "
        + "median of " + runs, StartupBenchmark.median(first[0]), "ms", "`java -cp . Hello`, median", hello));
    Optional<Jvm.NamedJava> newer = Jvm.newerJava().filter(Jvm.NamedJava::makesAotCacheInOneRun);
    if (newer.isPresent()) {
      // The host's own start is the user's JVM, out of Airlock's reach: what the JDK's AOT cache does for it.
      String java = newer.get().java();
      double[][] plain = agent.firstCalls(java, List.of(), options + ",pool.min-size=0", "first", 0, runs);
      double plainMedian = StartupBenchmark.median(plain[2]);
      figures.add(Figure.of(section, "3c. the same as 3. on " + newer.get().name() + ", median of " + runs,
          plainMedian, "ms", "`java -cp . Hello` on " + newer.get().name() + ", taken turn about, median",
          StartupBenchmark.median(plain[1])));
      List<String> aot = agent.aotCache(java, options + ",pool.min-size=0", "first");
      double[][] cached = agent.firstCalls(java, aot, options + ",pool.min-size=0", "first", 0, runs);
      figures.add(Figure.of(section, "3d. the same as 3c. with the application's AOT cache (`-XX:AOTCache`, made by "
          + "one training run), median of " + runs, StartupBenchmark.median(cached[2]), "ms", "without it (3c.)",
          plainMedian));
    }
    // The tool's class is loaded at start, as figure 1's are: an agent framework registers its tools then.
    double[][] eager = agent.firstCalls(options, "first", AgentScenarios.IDLE_MILLIS, runs);
    double eagerMedian = StartupBenchmark.median(eager[0]);
    figures.add(Figure.of(section, "4. first call made " + idle + " after the JVM was started (agent defaults), "
        + "median of " + runs, eagerMedian, "ms", "fresh single-use call (1.), median", singleMedian)
        .target("≤ the single-use call's target (3 ms)", eagerMedian <= Math.max(3, singleMedian)));
    double lazy = StartupBenchmark.median(agent.firstCalls(options + ",pool.eager=false", "first",
        AgentScenarios.IDLE_MILLIS, runs)[0]);
    figures.add(Figure.of(section, "4b. the same with pool.eager=false, median of " + runs, lazy, "ms",
        "with eager start (4.), median", eagerMedian));
    double loadedByCall = StartupBenchmark.median(agent.firstCalls(options, "first-load", AgentScenarios.IDLE_MILLIS,
        runs)[0]);
    figures.add(Figure.of(section, "4c. the same as 4., the tool's class loaded and instrumented by the timed call, "
        + "median of " + runs, loadedByCall, "ms", "with the class loaded at start (4.), median", eagerMedian));
  }

  /**
   * Figure 1; returns the median of the echo floor in µs for the throughput baseline. The call and the floor are
   * sampled turn about ({@link InterleavedWarmCall}); JMH times the direct call.
   */
  double warmCall() throws Exception {
    Statistics direct = run(WarmCallBenchmark.class, "direct", options()).iterator().next().getPrimaryResult()
        .getStatistics();
    InterleavedWarmCall.Result sampled = InterleavedWarmCall.measure(settings.warmup(), settings.warmCallRounds(),
        WARM_CALLS_PER_ROUND);
    String section = "1. Warm call overhead (reuse=true, no-op tool, small argument)";
    double median = sampled.callMedian();
    double floorMedian = sampled.floorMedian();
    String each = " (" + sampled.samplesEach() + " each, taken turn about)";
    figures.add(Figure.of(section, "sandboxed call median" + each, median, "µs", "echo floor median", floorMedian)
        .target("≤ 5× floor and ≤ 300 µs", median <= 5 * floorMedian && median <= 300));
    figures.add(Figure.of(section, "sandboxed call p99", sampled.callP99(), "µs", "echo floor p99",
        sampled.floorP99()));
    figures.add(Figure.of(section, "sandboxed call median", median, "µs", "direct in-process call median",
        direct.getPercentile(50)));
    figures.add(Figure.of(section, "sandboxed call p99", sampled.callP99(), "µs",
        "direct in-process call p99", direct.getPercentile(99)));
    return floorMedian;
  }

  void singleUseCall() throws RunnerException {
    Map<Boolean, Statistics> stats = new LinkedHashMap<>();
    for (RunResult r : run(SingleUseCallBenchmark.class, options()
        .measurementTime(TimeValue.milliseconds(settings.iteration().toMillis() * 3)))) {
      stats.put(Boolean.parseBoolean(r.getParams().getParam("reuse")), r.getPrimaryResult().getStatistics());
    }
    Statistics single = stats.get(false);
    Statistics reused = stats.get(true);
    String section = "2. Call into a pre-started single-use worker (reuse=false, pool warm)";
    String idle = " after " + SingleUseCallBenchmark.SETTLE_MILLIS + " ms idle";
    figures.add(Figure.of(section, "single-use call median (n=" + single.getN() + ")", single.getPercentile(50) / 1000,
        "ms", "reuse=true call" + idle + ", median", reused.getPercentile(50) / 1000)
        .target("≤ 2 ms", single.getPercentile(50) <= 2000));
    figures.add(Figure.of(section, "single-use call p99", single.getPercentile(99) / 1000, "ms",
        "reuse=true call" + idle + ", p99", reused.getPercentile(99) / 1000));
    figures.add(Figure.of(section, "single-use call median", single.getPercentile(50) / 1000, "ms",
        "warm reuse=true call in a tight loop, median", figures.get(0).value() / 1000));
  }

  void startup() throws IOException, InterruptedException {
    String section = "3. Cold start (spawn to handshaken worker) and 6. idle memory";
    int runs = settings.startupRuns();
    double hello = StartupBenchmark.median(StartupBenchmark.javaHelloMillis(runs));
    AirlockConfig noArchive = Pools.config().toBuilder().localClassCache("off").build();
    try (StartupBenchmark startup = new StartupBenchmark("local", noArchive)) {
      double cold = StartupBenchmark.median(startup.coldStartMillis(runs));
      figures.add(Figure.of(section, "cold start, local isolation=auto, no class-data archive, median of " + runs,
          cold, "ms", "`java -cp . Hello` median", hello));
    }
    for (LocalIsolation isolation : List.of(LocalIsolation.AUTO, LocalIsolation.NONE)) {
      AirlockConfig config = Pools.config().toBuilder().localIsolation(isolation).build();
      try (StartupBenchmark startup = new StartupBenchmark("local", config)) {
        double cold = StartupBenchmark.median(startup.coldStartMillis(runs));
        String isolationName = isolation.name().toLowerCase();
        String archive = startup.classDataArchive() ? "class-data archive" : "class-data archive NOT made";
        figures.add(Figure.of(section, "cold start, local isolation=" + isolationName + ", " + archive
            + ", median of " + runs, cold, "ms", "`java -cp . Hello` median", hello)
            .target("≤ 3× java Hello", cold <= 3 * hello));
        if (isolation == LocalIsolation.AUTO) {
          notes.add("Local backend posture during the run: " + startup.posture().strip().replaceAll("\\s*\\n\\s*", "; ")
              .replaceAll(" {2,}", " "));
          long[] rss = startup.idleResidentKib(Duration.ofSeconds(2));
          double floorRss;
          try (EchoFloor floor = EchoFloor.start()) {
            Thread.sleep(2000);
            floorRss = ProcessHandle.current().children().mapToLong(p -> StartupBenchmark.residentKib(p.pid()))
                .max().orElse(0) / 1024.0;
          }
          figures.add(Figure.of(section, "idle worker JVM resident memory", rss[0] / 1024.0, "MiB",
              "idle plain JVM (echo child) resident memory", floorRss).target("≤ 64 MiB", rss[0] / 1024.0 <= 64));
          figures.add(Figure.of(section, "idle worker process tree (with bubblewrap)", rss[1] / 1024.0, "MiB",
              "idle plain JVM (echo child) resident memory", floorRss));
        }
      }
    }
  }

  void throughput(double floorMicros, Checkpoint checkpoint) throws RunnerException, IOException {
    String section = "4. Throughput (no-op tool)";
    double floorRate = 1e6 / floorMicros;
    for (int callers : new int[] {1, 2, 8, 32}) {
      for (RunResult r : run(ThroughputBenchmark.class, options().threads(callers))) {
        int poolSize = Integer.parseInt(r.getParams().getParam("poolSize"));
        boolean reuse = Boolean.parseBoolean(r.getParams().getParam("reuse"));
        double rate = r.getPrimaryResult().getScore();
        Figure f = Figure.of(section, callers + " callers, pool " + poolSize + ", reuse=" + reuse, rate, "calls/s",
            "1-caller echo floor round trips/s", floorRate);
        figures.add(reuse && callers == 8 && poolSize == 2 ? f.target("≥ 5,000 calls/s", rate >= 5000) : f);
      }
      checkpoint.save();
    }
  }

  void payload() throws RunnerException {
    String section = "5. Payload scaling (document as argument and result)";
    Map<String, Double> score = new LinkedHashMap<>();
    // Three warm-up iterations: after one, both codecs were still being compiled (the first measured iteration 30%
    // slower than the second), so the ratio had measured the JIT as much as either codec.
    List<RunResult> results = new ArrayList<>(run(PayloadBenchmark.class, "kryo", codecOptions()));
    results.addAll(run(PayloadBenchmark.class, "java", codecOptions()));
    // The 10 MiB document reaches more objects than the receiver's secret check walks, so pool.call refuses it.
    results.addAll(run(PayloadBenchmark.class, "sandbox", options().param("bytes", "1024", "102400", "1048576")));
    for (RunResult r : results) {
      score.put(label(r) + "/" + r.getParams().getParam("bytes"), r.getPrimaryResult().getScore());
    }
    for (String bytes : List.of("1024", "102400", "1048576", "10485760")) {
      String size = size(Integer.parseInt(bytes));
      double kryo = score.get("kryoRoundTrip/" + bytes);
      double java = score.get("javaSerializationRoundTrip/" + bytes);
      Double echo = score.get("sandboxEcho/" + bytes);
      if (echo != null) {
        figures.add(Figure.of(section, size + " sandboxed echo call", echo / 1000, "ms",
            "Kryo round trip in process", kryo / 1000));
      }
      Figure kryoFigure = Figure.of(section, size + " Kryo round trip", kryo / 1000, "ms",
          "Java serialization round trip", java / 1000);
      // A tool's arguments and results are typically 1 to 100 KiB; the larger sizes show how the codec scales.
      figures.add(TYPICAL_TOOL_PAYLOADS.contains(bytes)
          ? kryoFigure.target("≤ 0.2× Java (≥ 5× faster)", kryo * 5 <= java) : kryoFigure);
    }
  }

  void docker() throws IOException, InterruptedException {
    Optional<String> missing = DockerFigures.unavailableReason();
    if (missing.isPresent()) {
      notes.add("7. Docker rows not measured in this run: " + missing.get() + ". They run when the airlock-docker "
          + "module is in the build and `docker info` answers.");
      return;
    }
    // The warm call's median from section 1 of this run, found by name: the figures before it depend on --only.
    double localWarmMicros = figures.stream().filter(f -> f.section().startsWith("1. ")
        && f.name().startsWith("sandboxed call median")).mapToDouble(Figure::value).findFirst().orElse(Double.NaN);
    figures.addAll(DockerFigures.measure(Math.min(settings.startupRuns(), 10), 200, localWarmMicros));
  }

  ChainedOptionsBuilder options() {
    return new OptionsBuilder()
        .forks(1)
        .warmupIterations(settings.warmupIterations())
        .warmupTime(TimeValue.milliseconds(settings.warmup().toMillis()))
        .measurementIterations(settings.iterations())
        .measurementTime(TimeValue.milliseconds(settings.iteration().toMillis()))
        .shouldFailOnError(true);
  }

  /** {@link #options()} with the warm-up an in-process codec needs to be compiled before it is measured. */
  ChainedOptionsBuilder codecOptions() {
    return options().warmupIterations(Math.max(3, settings.warmupIterations()));
  }

  static Collection<RunResult> run(Class<?> benchmark, ChainedOptionsBuilder options) throws RunnerException {
    return run(benchmark, "", options);
  }

  /** The methods of {@code benchmark} whose names start with {@code method}; all of them for "". */
  static Collection<RunResult> run(Class<?> benchmark, String method, ChainedOptionsBuilder options)
      throws RunnerException {
    return new Runner(options.include("\\." + benchmark.getSimpleName() + "\\." + method).build()).run();
  }

  static String label(RunResult r) {
    String name = r.getParams().getBenchmark();
    return name.substring(name.lastIndexOf('.') + 1);
  }

  private static String size(int bytes) {
    return bytes >= 1024 * 1024 ? bytes / (1024 * 1024) + " MiB" : bytes / 1024 + " KiB";
  }

  static Map<String, String> machine() throws IOException {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("Date (UTC)", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
    m.put("CPU", cpuModel() + ", " + Runtime.getRuntime().availableProcessors() + " cores");
    m.put("Memory", memTotal());
    m.put("OS", System.getProperty("os.name") + " " + System.getProperty("os.version"));
    m.put("JDK", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
    return m;
  }

  private static String cpuModel() throws IOException {
    return procLine("/proc/cpuinfo", "model name").map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("?");
  }

  private static String memTotal() throws IOException {
    return procLine("/proc/meminfo", "MemTotal").map(l -> Long.parseLong(l.replaceAll("\\D", "")) / 1024 + " MiB")
        .orElse("?");
  }

  private static Optional<String> procLine(String file, String prefix) throws IOException {
    Path path = Path.of(file);
    return Files.exists(path) ? Files.readAllLines(path).stream().filter(l -> l.startsWith(prefix)).findFirst()
        : Optional.empty();
  }
}
