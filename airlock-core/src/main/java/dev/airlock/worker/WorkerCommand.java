package dev.airlock.worker;

import java.util.List;

/** The java command line of a worker, the same on every backend. */
public final class WorkerCommand {

  private WorkerCommand() {
  }

  /**
   * {@code java} with flags for a short-lived, small JVM: serial GC, no perf-data file, class-data sharing when
   * the JDK has an archive, the C1 compiler only. The worker's arguments ({@code --connect ...}) follow.
   */
  public static List<String> javaArguments(String java, String classpath, int memoryMb) {
    return List.of(java,
        "-Xmx" + memoryMb + "m",
        "-Xss1m",
        "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1",
        "-XX:-UsePerfData",
        "-Xshare:auto",
        "-XX:MaxMetaspaceSize=128m",
        "-Djava.io.tmpdir=/tmp",
        "-Dairlock.worker=true",
        "-Dfile.encoding=UTF-8",
        "-cp", classpath,
        WorkerMain.class.getName());
  }
}
