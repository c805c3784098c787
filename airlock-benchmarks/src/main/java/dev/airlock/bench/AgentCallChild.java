package dev.airlock.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The application side of the agent-shaped scenarios, started by {@link AgentScenarios} in its own JVM with the java
 * agent: calls {@code @Airlock} tool methods as an agent does, one at a time with a pause between, each timed next to
 * a round trip to a plain echo child after the same pause, taken turn about. Prints one line per sample
 * ({@code call <ns>}, {@code floor <ns>}), and {@code cpu-start}, {@code cpu-stop <calls>} around what the parent
 * measures as host CPU per call (this JVM and its processes, workers included: {@link TreeCpu}, run by the parent).
 *
 * <pre>
 * single &lt;calls&gt; &lt;idle ms&gt;  a different tool class each call, loaded before the pause, as an agent framework
 *                              loads its tools when they are registered (the pool runs reuse=false)
 * single-load &lt;calls&gt; &lt;idle ms&gt;  the same, each tool class loaded (and so instrumented) by the timed call
 * reused &lt;calls&gt; &lt;idle ms&gt;  the same tool each call (the pool runs reuse=true)
 * first &lt;delay ms&gt; &lt;started&gt;  one call, {@code delay} after the parent started this JVM (epoch ms), nothing else;
 *                              the tool's class loaded before the pause, as in single
 * first-load &lt;delay ms&gt; &lt;started&gt;  the same, the tool's class loaded by the timed call
 * idle &lt;ms&gt;                   no call: host CPU used in the first {@code ms} after main started
 * </pre>
 */
public final class AgentCallChild {
  static final String CPU_START = "cpu-start";
  static final String CPU_STOP = "cpu-stop";
  private static final List<String> WORDS = List.of(" Alpha", "BETA ", "Gamma", " delta ");

  private AgentCallChild() {
  }

  /** Standard output is this child's channel to {@link AgentScenarios}: nothing else is written to it. */
  public static void main(String[] args) throws Exception {
    PrintStream report = System.out;
    run(args, report);
    report.flush();
    System.exit(0);
  }

  static void run(String[] args, PrintStream report) throws Exception {
    switch (args[0]) {
      case "first", "first-load" -> {
        // The call is made delay ms after the parent started this JVM (args[2], epoch ms), not after main: a slower
        // premain must not give the eager start more time.
        long at = Long.parseLong(args[2]) + Long.parseLong(args[1]);
        // Named before the clock starts: String.format's first use loads the locale's data (about 10 ms), the
        // benchmark's own cost.
        String name = toolName(1);
        Method registered = args[0].equals("first") ? tool(name) : null;
        Thread.sleep(Math.max(0, at - System.currentTimeMillis()));
        long start = System.nanoTime();
        call(registered != null ? registered : tool(name), 1);
        report.println("call " + (System.nanoTime() - start));
      }
      case "idle" -> {
        report.println(CPU_START);
        Thread.sleep(Long.parseLong(args[1]));
        report.println(CPU_STOP + " 1");
      }
      case "single", "single-load", "reused" -> turnAbout(report, !args[0].equals("reused"),
          args[0].equals("single-load"), Integer.parseInt(args[1]), Long.parseLong(args[2]));
      default -> throw new IllegalArgumentException("unknown scenario " + args[0]);
    }
  }

  private static void turnAbout(PrintStream report, boolean freshClassEachCall, boolean loadedByCall, int calls,
      long idleMillis) throws Exception {
    byte[] body = ("an INVOKE frame of about the size of a tool call's: " + WORDS).repeat(4)
        .getBytes(StandardCharsets.UTF_8);
    try (EchoFloor floor = EchoFloor.start()) {
      // Not measured: the pool's first call (its backend and workers start) and the floor child's start.
      call(0);
      floor.roundTrip(body);
      report.println(CPU_START);
      for (int i = 1; i <= calls; i++) {
        int tool = freshClassEachCall ? i : 0;
        if (i % 2 == 0) {
          report.println("floor " + sampleFloor(floor, body, idleMillis));
          report.println("call " + sampleCall(tool, loadedByCall, idleMillis));
        } else {
          report.println("call " + sampleCall(tool, loadedByCall, idleMillis));
          report.println("floor " + sampleFloor(floor, body, idleMillis));
        }
      }
      report.println(CPU_STOP + " " + calls);
    }
  }

  /**
   * The tool's method is looked up before the pause, as an agent framework registers its tools (their classes loaded,
   * and so instrumented by the agent) when it starts; with {@code loadedByCall} a new tool class is loaded by the call
   * instead, as an application's first use of a class is.
   */
  private static long sampleCall(int tool, boolean loadedByCall, long idleMillis) throws Exception {
    Method known = tool == 0 || !loadedByCall ? tool(tool) : null;
    Thread.sleep(idleMillis);
    long start = System.nanoTime();
    call(known != null ? known : tool(tool), tool);
    return System.nanoTime() - start;
  }

  /** Nanoseconds of one round trip to the echo floor after {@code idleMillis}. */
  private static long sampleFloor(EchoFloor floor, byte[] body, long idleMillis) throws IOException,
      InterruptedException {
    Thread.sleep(idleMillis);
    long start = System.nanoTime();
    floor.roundTrip(body);
    return System.nanoTime() - start;
  }

  /** Calls {@code run} of tool class number {@code n} and checks that it ran in a sandbox. */
  private static void call(int n) throws Exception {
    call(tool(n), n);
  }

  private static Method tool(int n) throws ReflectiveOperationException {
    return tool(toolName(n));
  }

  private static String toolName(int n) {
    return String.format("agentbench.Tool%03d", n);
  }

  private static Method tool(String name) throws ReflectiveOperationException {
    return Class.forName(name).getMethod("run", String.class, int.class, List.class);
  }

  private static void call(Method run, int n) throws Exception {
    String result = (String) run.invoke(null, "tool", n, WORDS);
    if (!result.endsWith("@sandbox")) {
      throw new IllegalStateException("the tool did not run in a sandbox: " + result);
    }
  }
}
