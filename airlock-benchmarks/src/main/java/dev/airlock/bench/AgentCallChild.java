package dev.airlock.bench;

import java.io.IOException;
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
 * single &lt;calls&gt; &lt;idle ms&gt;  a different tool class each call (the pool runs reuse=false)
 * reused &lt;calls&gt; &lt;idle ms&gt;  the same tool each call (the pool runs reuse=true)
 * first &lt;delay ms&gt;            one call, {@code delay} after main started, nothing else
 * idle &lt;ms&gt;                   no call: host CPU used in the first {@code ms} after main started
 * </pre>
 */
public final class AgentCallChild {
  static final String CPU_START = "cpu-start";
  static final String CPU_STOP = "cpu-stop";
  private static final List<String> WORDS = List.of(" Alpha", "BETA ", "Gamma", " delta ");

  private AgentCallChild() {
  }

  public static void main(String[] args) throws Exception {
    switch (args[0]) {
      case "first" -> {
        Thread.sleep(Long.parseLong(args[1]));
        long start = System.nanoTime();
        call(1);
        System.out.println("call " + (System.nanoTime() - start));
      }
      case "idle" -> {
        System.out.println(CPU_START);
        Thread.sleep(Long.parseLong(args[1]));
        System.out.println(CPU_STOP + " 1");
      }
      case "single", "reused" -> turnAbout(args[0].equals("single"), Integer.parseInt(args[1]),
          Long.parseLong(args[2]));
      default -> throw new IllegalArgumentException("unknown scenario " + args[0]);
    }
    System.out.flush();
    System.exit(0);
  }

  private static void turnAbout(boolean freshClassEachCall, int calls, long idleMillis) throws Exception {
    byte[] body = ("an INVOKE frame of about the size of a tool call's: " + WORDS).repeat(4)
        .getBytes(StandardCharsets.UTF_8);
    try (EchoFloor floor = EchoFloor.start()) {
      // Not measured: the pool's first call (its backend and workers start) and the floor child's start.
      call(0);
      floor.roundTrip(body);
      System.out.println(CPU_START);
      for (int i = 1; i <= calls; i++) {
        int tool = freshClassEachCall ? i : 0;
        if (i % 2 == 0) {
          sampleFloor(floor, body, idleMillis);
          sampleCall(tool, idleMillis);
        } else {
          sampleCall(tool, idleMillis);
          sampleFloor(floor, body, idleMillis);
        }
      }
      System.out.println(CPU_STOP + " " + calls);
    }
  }

  /**
   * A reused tool's method is looked up once, as an application calls a method it links against; a new tool class is
   * loaded by the call (the agent instruments it then), as an application's first use of a class does.
   */
  private static void sampleCall(int tool, long idleMillis) throws Exception {
    Method known = tool == 0 ? tool(0) : null;
    Thread.sleep(idleMillis);
    long start = System.nanoTime();
    call(known != null ? known : tool(tool), tool);
    System.out.println("call " + (System.nanoTime() - start));
  }

  private static void sampleFloor(EchoFloor floor, byte[] body, long idleMillis) throws IOException,
      InterruptedException {
    Thread.sleep(idleMillis);
    long start = System.nanoTime();
    floor.roundTrip(body);
    System.out.println("floor " + (System.nanoTime() - start));
  }

  /** Calls {@code run} of tool class number {@code n} and checks that it ran in a sandbox. */
  private static void call(int n) throws Exception {
    call(tool(n), n);
  }

  private static Method tool(int n) throws ReflectiveOperationException {
    return Class.forName(String.format("agentbench.Tool%03d", n)).getMethod("run", String.class, int.class,
        List.class);
  }

  private static void call(Method run, int n) throws Exception {
    String result = (String) run.invoke(null, "tool", n, WORDS);
    if (!result.endsWith("@sandbox")) {
      throw new IllegalStateException("the tool did not run in a sandbox: " + result);
    }
  }
}
