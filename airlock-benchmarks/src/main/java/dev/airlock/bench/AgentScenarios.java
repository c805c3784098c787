package dev.airlock.bench;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;

/**
 * The calls an agent makes (issue 15), each in a JVM of its own with the java agent ({@link AgentCallChild}), next to
 * floors from the same run: a fresh single-use call of a tool class no worker ran before, a reused worker's call,
 * each 1 s after the previous call, and the first call of a fresh JVM against {@code java -cp . Hello}.
 */
final class AgentScenarios implements AutoCloseable {
  static final String SECTION = "0. Agent-shaped calls through the java agent (the headline)";
  static final long IDLE_MILLIS = 1000;
  private static final String TEMPLATE = "Tool000";

  private final Path agentJar;
  private final String applicationClasspath;
  private final Path toolsDir;
  private final Path toolsJar;

  private AgentScenarios(AsAUser user, int tools) throws IOException {
    this.agentJar = user.agentJar();
    this.toolsDir = Files.createTempDirectory("airlock-bench-tools-");
    this.toolsJar = toolsDir.resolve("tools.jar");
    this.applicationClasspath = user.classpath() + File.pathSeparator + toolsJar;
    writeTools(tools);
  }

  /**
   * The agent artifact and an application's classpath as a user's build gives them: Airlock's artifacts as Maven
   * resolved them, each its own jar ({@code target/as-a-user}, made by the {@code benchmarks} profile), the
   * application's own jar, and the java agent artifact, never a module's {@code target/} output. Users' workers map
   * the archive made on Airlock's own jars, which a shaded jar of everything would never get.
   */
  record AsAUser(Path agentJar, List<Path> jars) {
    String classpath() {
      return String.join(File.pathSeparator, jars.stream().map(Path::toString).toList());
    }

    /** Next to the benchmarks jar this JVM runs from; {@code airlock.agent.jar} names another agent jar. */
    static AsAUser find() throws IOException {
      Path target;
      try {
        target = Path.of(AgentScenarios.class.getProtectionDomain().getCodeSource().getLocation().toURI())
            .getParent();
      } catch (java.net.URISyntaxException e) {
        throw new IOException(e);
      }
      Path folder = target.resolve("as-a-user");
      String named = System.getProperty("airlock.agent.jar", "");
      Path agent = named.isEmpty() ? folder.resolve("airlock-agent.jar") : Path.of(named);
      List<Path> jars = new ArrayList<>();
      if (Files.isDirectory(folder.resolve("lib"))) {
        try (DirectoryStream<Path> lib = Files.newDirectoryStream(folder.resolve("lib"), "*.jar")) {
          lib.forEach(jars::add);
        }
      }
      try (DirectoryStream<Path> own = Files.newDirectoryStream(target, "airlock-benchmarks-*.jar")) {
        own.forEach(jars::add);
      }
      if (!Files.isRegularFile(agent) || jars.size() < 2) {
        throw new IllegalStateException("no application as a user builds it in " + folder + ": build it with "
            + "mvn -B -pl airlock-benchmarks -am -Pbenchmarks -DskipTests package, and run the benchmarks jar "
            + "from its target folder");
      }
      jars.sort(null);
      return new AsAUser(agent, List.copyOf(jars));
    }
  }

  /** The scenarios, or why they cannot run. */
  static AgentScenarios create(int tools) throws IOException {
    return new AgentScenarios(AsAUser.find(), tools);
  }

  /** Tool001..ToolNNN: copies of the template's class file with the name replaced in place (same length). */
  private void writeTools(int count) throws IOException {
    byte[] template;
    try (InputStream in = AgentScenarios.class.getResourceAsStream("/agentbench/" + TEMPLATE + ".class")) {
      template = in.readAllBytes();
    }
    try (JarOutputStream jar = new JarOutputStream(Files.newOutputStream(toolsJar))) {
      for (int n = 1; n <= count; n++) {
        String name = String.format("Tool%03d", n);
        jar.putNextEntry(new JarEntry("agentbench/" + name + ".class"));
        jar.write(replace(template, TEMPLATE.getBytes(StandardCharsets.US_ASCII),
            name.getBytes(StandardCharsets.US_ASCII)));
        jar.closeEntry();
      }
    }
  }

  private static byte[] replace(byte[] bytes, byte[] from, byte[] to) {
    byte[] out = bytes.clone();
    for (int i = 0; i + from.length <= out.length; i++) {
      boolean match = true;
      for (int j = 0; j < from.length && match; j++) {
        match = out[i + j] == from[j];
      }
      if (match) {
        System.arraycopy(to, 0, out, i, to.length);
      }
    }
    return out;
  }

  /**
   * What one child printed: call and floor samples in ms, host CPU per call in ms (NaN when not taken), and for each
   * call the ms from this JVM's starting the child to reading the call's sample (its JVM's start included).
   */
  record Samples(double[] calls, double[] floors, double cpuPerCallMillis, double[] sinceSpawn) {
  }

  /** Runs {@link AgentCallChild} with the agent and {@code options} (agent option syntax) and reads its samples. */
  Samples run(String options, String... args) throws IOException, InterruptedException {
    return runOn(Jvm.java(), options, args);
  }

  /** {@link #run} in a JVM of {@code java}, whose workers then run on the same JDK. */
  Samples runOn(String java, String options, String... args) throws IOException, InterruptedException {
    return runOn(java, List.of(), options, args);
  }

  /** {@link #runOn} with {@code jvmFlags} before the agent. */
  Samples runOn(String java, List<String> jvmFlags, String options, String... args) throws IOException,
      InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(java));
    cmd.addAll(jvmFlags);
    cmd.addAll(List.of("-javaagent:" + agentJar + "=" + options, "-cp", applicationClasspath,
        AgentCallChild.class.getName()));
    cmd.addAll(List.of(args));
    long spawned = System.nanoTime();
    Process child = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    List<Double> sinceSpawn = new ArrayList<>();
    List<Double> calls = new ArrayList<>();
    List<Double> floors = new ArrayList<>();
    double cpu = Double.NaN;
    TreeCpu tree = null;
    try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
        StandardCharsets.UTF_8))) {
      for (String line; (line = out.readLine()) != null; ) {
        String[] parts = line.split(" ");
        double millis = parts.length == 2 && parts[1].matches("\\d+") ? Long.parseLong(parts[1]) / 1e6 : Double.NaN;
        switch (parts[0]) {
          case "call" -> {
            sinceSpawn.add((System.nanoTime() - spawned) / 1e6);
            calls.add(millis);
          }
          case "floor" -> floors.add(millis);
          case AgentCallChild.CPU_START -> tree = TreeCpu.start(child.toHandle());
          case AgentCallChild.CPU_STOP -> cpu = tree.stopNanos() / 1e6 / Integer.parseInt(parts[1]);
          default -> { }
        }
      }
    } finally {
      if (!child.waitFor(120, TimeUnit.SECONDS)) {
        child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
    if (child.exitValue() != 0) {
      throw new IllegalStateException("agent scenario " + List.of(args) + " failed (exit " + child.exitValue()
          + "): " + String.join(" ", cmd));
    }
    return new Samples(calls.stream().mapToDouble(Double::doubleValue).toArray(),
        floors.stream().mapToDouble(Double::doubleValue).toArray(), cpu,
        sinceSpawn.stream().mapToDouble(Double::doubleValue).toArray());
  }

  /**
   * The first call of {@code runs} fresh JVMs, made {@code delayMillis} after the JVM was started, taken turn about
   * with {@code java -cp . Hello}: [the calls timed in main, Hello runs, from starting the JVM to the call's return],
   * in ms. The last is what compares with Hello's (also from start to exit). {@code scenario} is {@code first} (the
   * tool's class loaded before the pause) or {@code first-load} (loaded by the call).
   */
  double[][] firstCalls(String options, String scenario, long delayMillis, int runs) throws IOException,
      InterruptedException {
    return firstCalls(Jvm.java(), List.of(), options, scenario, delayMillis, runs);
  }

  /** {@link #firstCalls} in JVMs of {@code java} with {@code jvmFlags}, against Hello on the same {@code java}. */
  double[][] firstCalls(String java, List<String> jvmFlags, String options, String scenario, long delayMillis,
      int runs) throws IOException, InterruptedException {
    double[] first = new double[runs];
    double[] hello = new double[runs];
    double[] fromStart = new double[runs];
    for (int i = 0; i < runs; i++) {
      hello[i] = StartupBenchmark.javaHelloMillis(java, 1)[0];
      Samples samples = runOn(java, jvmFlags, options, scenario, Long.toString(delayMillis),
          Long.toString(System.currentTimeMillis()));
      first[i] = samples.calls()[0];
      fromStart[i] = samples.sinceSpawn()[0];
    }
    return new double[][] {first, hello, fromStart};
  }

  /**
   * The JVM options that map an AOT cache of this application (JEP 483), made by one training run of {@code scenario}
   * on {@code java} (JDK 25 and later, JEP 514): what a user can do for the host's own start, which Airlock cannot.
   */
  List<String> aotCache(String java, String options, String scenario) throws IOException, InterruptedException {
    Path cache = toolsDir.resolve("application.aot");
    runOn(java, List.of("-XX:AOTCacheOutput=" + cache), options, scenario, "0",
        Long.toString(System.currentTimeMillis()));
    if (!Files.isRegularFile(cache)) {
      throw new IllegalStateException("the training run on " + java + " made no AOT cache at " + cache);
    }
    return List.of("-XX:AOTCache=" + cache);
  }

  /** Host CPU in ms used in the first {@code millis} after main of a JVM with the agent that makes no call. */
  double idleCpuMillis(String options, long millis) throws IOException, InterruptedException {
    return run(options, "idle", Long.toString(millis)).cpuPerCallMillis();
  }

  @Override
  public void close() throws IOException {
    Files.deleteIfExists(toolsJar);
    Files.deleteIfExists(toolsDir.resolve("application.aot"));
    Files.deleteIfExists(toolsDir);
  }
}
