package dev.airlock.spi.contract;

import dev.airlock.AirlockRuntime;
import dev.airlock.annotation.Airlock;
import dev.airlock.annotation.ShipFields;
import java.io.IOException;
import java.io.Serializable;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * What the contract runs inside sandboxes: well-behaved tools and attacks. Static methods, so the lambdas that call
 * them capture only their arguments, never a test instance.
 */
public final class ContractTools implements Serializable {
  private static final long serialVersionUID = 1L;

  /** A user class with state, shipped as a receiver (it opts in) and returned as a result. */
  @ShipFields
  public static final class Counter implements Serializable {
    private static final long serialVersionUID = 1L;
    private final String name;
    private int count;

    public Counter(String name, int count) {
      this.name = name;
      this.count = count;
    }

    @Airlock(sandbox = true, sandboxRequired = true, timeoutSeconds = 30)
    public Counter incrementedBy(int delta) {
      return new Counter(name + (AirlockRuntime.isSandboxed() ? "@sandbox" : "@host"), count + delta);
    }

    @Airlock(sandbox = true, sandboxRequired = true, timeoutSeconds = 30)
    public int failWith(String message) throws ToolFailure {
      throw new ToolFailure(message, count);
    }

    public String name() {
      return name;
    }

    public int count() {
      return count;
    }
  }

  /** A user exception type: it reaches the caller as a SandboxExecutionException naming it. */
  public static final class ToolFailure extends Exception {
    private static final long serialVersionUID = 1L;

    public ToolFailure(String message, int code) {
      super(message + " (code " + code + ")");
    }

    public ToolFailure(String message) {
      super(message);
    }
  }

  /** A record with JDK and user types inside. */
  public record Report(String title, List<Integer> values, Map<String, Counter> counters, Optional<String> note) {
  }

  private ContractTools() {
  }

  public static String where() {
    return (AirlockRuntime.isSandboxed() ? "sandbox" : "host") + " pid " + ProcessHandle.current().pid();
  }

  public static long spin() {
    long n = 0;
    while (true) {
      n++;
      if (n == Long.MAX_VALUE) {
        return n;
      }
    }
  }

  public static int memoryBomb() {
    List<byte[]> hog = new ArrayList<>();
    while (true) {
      hog.add(new byte[8 * 1024 * 1024]);
    }
  }

  /** Touches native memory outside the Java heap until the sandbox's own memory limit kills the worker. */
  public static long nativeMemoryBomb() throws ReflectiveOperationException {
    java.lang.reflect.Field field = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
    field.setAccessible(true);
    sun.misc.Unsafe unsafe = (sun.misc.Unsafe) field.get(null);
    long chunk = 32L * 1024 * 1024;
    long total = 0;
    while (true) {
      long address = unsafe.allocateMemory(chunk);
      unsafe.setMemory(address, chunk, (byte) 1);
      total += chunk;
    }
  }

  /** Starts sleeping JVMs until the sandbox refuses; returns how many started and why it stopped. */
  public static String forkBomb(int attempts) {
    String java = ProcessHandle.current().info().command().orElse("java");
    List<Process> started = new ArrayList<>();
    String stoppedBy = "never refused";
    for (int i = 0; i < attempts; i++) {
      try {
        started.add(new ProcessBuilder(java, "-Xint", "-Xmx8m", "-Xss256k", "-XX:+UseSerialGC",
            "-XX:-UsePerfData", "-cp", System.getProperty("java.class.path"), Sleeper.class.getName())
            .redirectErrorStream(true).start());
      } catch (IOException | Error e) {
        stoppedBy = e.toString();
        break;
      }
    }
    return started.size() + " started; " + stoppedBy;
  }

  /** The fork bomb's payload. */
  public static final class Sleeper {
    public static void main(String[] args) throws InterruptedException {
      TimeUnit.MINUTES.sleep(10);
    }
  }

  public static String writeFile(String path) throws IOException {
    Files.writeString(Path.of(path), "written from the sandbox");
    return "wrote " + path;
  }

  public static String readEnv(String name) {
    return System.getenv(name);
  }

  public static String connect(int port) throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
      return "connected";
    }
  }

  public static int exit(int code) {
    System.exit(code);
    return -1;
  }

  public static byte[] bytes(int size) {
    return new byte[size];
  }

  @Airlock(sandbox = true, sandboxRequired = true, timeoutSeconds = 30)
  public static String readFile(java.io.File file) throws IOException {
    return Files.readString(file.toPath());
  }

  @Airlock(sandbox = true, sandboxRequired = true, timeoutSeconds = 30)
  public static String readPath(Path path) throws IOException {
    return Files.readString(path) + "|writable=" + Files.isWritable(path) + "|same=" + path.toString();
  }
}
