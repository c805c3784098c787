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

  /**
   * The live worker JVMs (inside their sandbox wrappers, if any). Read from {@code /proc/<pid>/cmdline}: the JDK's
   * {@code ProcessHandle.Info} cuts a command line at 4096 characters, and a worker's class path is longer than that
   * from a checkout in a deeper folder.
   */
  public static List<ProcessHandle> workerJvms() {
    return ProcessHandle.current().descendants().filter(ProcessHandle::isAlive)
        .filter(p -> fullCommandLine(p).contains("dev.airlock.internal.worker.WorkerMain"))
        .filter(p -> p.info().command().orElse("").endsWith("java")).toList();
  }

  private static String fullCommandLine(ProcessHandle process) {
    try {
      return new String(Files.readAllBytes(Path.of("/proc", Long.toString(process.pid()), "cmdline")),
          StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }
}
