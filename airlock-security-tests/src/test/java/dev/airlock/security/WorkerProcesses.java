package dev.airlock.security;

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
        .filter(p -> p.info().commandLine().orElse("").contains("dev.airlock.internal.worker.WorkerMain"))
        .filter(p -> p.info().command().orElse("").endsWith("java")).toList();
  }
}
