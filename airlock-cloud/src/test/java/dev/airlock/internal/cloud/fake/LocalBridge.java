package dev.airlock.internal.cloud.fake;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The real worker bridge as a child JVM of the test, standing in for the process a sandbox template starts. It runs
 * on this JVM's classpath, so it is the same code a template ships.
 */
public final class LocalBridge implements AutoCloseable {
  private final Process process;
  private final int port;

  private LocalBridge(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  /** The java command line that runs the bridge on a given port and home. */
  public static List<String> command(int port, Path home) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(List.of("-Xmx96m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp",
        System.getProperty("java.class.path"), "dev.airlock.internal.cloud.WorkerBridge",
        "--port", Integer.toString(port), "--home", home.toString()));
    return command;
  }

  public static LocalBridge start(Path home) throws IOException {
    int port = freePort();
    Process process = new ProcessBuilder(command(port, home)).redirectErrorStream(true)
        .redirectOutput(home.getParent().resolve("bridge-" + port + ".log").toFile()).start();
    return new LocalBridge(process, port);
  }

  public static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  public int port() {
    return port;
  }

  /** The processes the bridge started (its worker JVMs). */
  public List<ProcessHandle> children() {
    return process.children().toList();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** Kills the bridge and every worker it started. */
  @Override
  public void close() {
    killTree(process);
  }

  public static void killTree(Process process) {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
