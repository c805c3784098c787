package dev.airlock.security;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The worker processes this JVM started, as the operating system sees them. */
public final class WorkerProcesses {

  private WorkerProcesses() {
  }

  /** Every live descendant process, described by pid and command line. */
  public static List<String> descendants() {
    return ProcessHandle.current().descendants().filter(ProcessHandle::isAlive)
        .map(p -> p.pid() + " " + p.info().commandLine().orElse("?")).toList();
  }

  /** The live worker JVMs (inside their sandbox wrappers, if any). */
  public static List<ProcessHandle> workerJvms() {
    return ProcessHandle.current().descendants().filter(ProcessHandle::isAlive)
        .filter(p -> commandLine(p).contains("dev.airlock.internal.worker.WorkerMain"))
        .filter(p -> p.info().command().orElse("").endsWith("java")).toList();
  }

  /**
   * The whole command line: {@code ProcessHandle.Info} cuts it at 4 KiB, and the worker's main class comes after a
   * classpath longer than that.
   */
  private static String commandLine(ProcessHandle p) {
    try {
      return new String(Files.readAllBytes(Path.of("/proc", Long.toString(p.pid()), "cmdline")),
          StandardCharsets.ISO_8859_1).replace('\0', ' ');
    } catch (IOException e) {
      return p.info().commandLine().orElse("");
    }
  }
}
