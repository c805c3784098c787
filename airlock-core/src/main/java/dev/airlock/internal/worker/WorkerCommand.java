package dev.airlock.internal.worker;

import java.util.ArrayList;
import java.util.List;

/** The java command line of a worker, the same on every backend. */
public final class WorkerCommand {

  private static final List<String> FLAGS = List.of(
      "-Xss1m",
      "-XX:+UseG1GC",
      "-XX:TieredStopAtLevel=1",
      "-XX:-UsePerfData",
      "-XX:-UseDynamicNumberOfCompilerThreads",
      "-XX:-UseDynamicNumberOfGCThreads",
      "-XX:+DisableAttachMechanism",
      "-Xshare:auto",
      "-XX:+UnlockDiagnosticVMOptions",
      "-XX:ArchiveRelocationMode=0",
      "-XX:MaxMetaspaceSize=128m",
      "-Djava.io.tmpdir=/tmp",
      "-Dairlock.worker=true",
      "-Dfile.encoding=UTF-8",
      "-Djdk.reflect.useNativeAccessorOnly=true");

  private WorkerCommand() {
  }

  /**
   * {@code java} with flags for a short-lived, small JVM: no perf-data file, class-data sharing when the JDK has an
   * archive, the C1 compiler only. G1, named so a container's CPU limit does not make the JVM pick the serial
   * collector: on JDK 17 only G1 maps the archived heap (the module graph, interned strings) from the default CDS
   * archive, which starts a JVM 30-60 ms sooner for about 1.5 MiB more resident memory. Compiler and GC threads are
   * all started with the JVM and no attach listener can be started later, so the worker's thread set is fixed when
   * it says hello: the host proves a reused worker idle by comparing against it. Tools are called through the JNI
   * accessor of core reflection: since JDK 18 (JEP 416) a method's first reflective call otherwise spins method
   * handles and their lambda-form classes, a one-off cost of most of a fresh worker's first call (about 5 ms of a 9
   * ms single-use call on JDK 25) that a single-use worker pays on every call and never earns back; JDK 17 uses the
   * JNI accessor for a method's first calls anyway. Class-data archives are mapped where they were made to be rather
   * than at a random address (the default since JDK 20 and in Debian's JDK 17 builds): relocating every pointer of
   * the archives took 20-40 ms of each worker's start here (13 ms of a worker's 161 ms median cold start). The
   * random address makes memory-corruption exploits harder, which buys a worker nothing: its guest may already run
   * native code and any system call its sandbox allows (docs/security.md), and a worker holds no secret. The worker's
   * arguments ({@code --connect ...}) follow.
   */
  public static List<String> javaArguments(String java, String classpath, int memoryMb) {
    return javaArguments(java, classpath, memoryMb, List.of());
  }

  /** As above, with backend-specific JVM options (a class-data archive) before the main class. */
  public static List<String> javaArguments(String java, String classpath, int memoryMb, List<String> options) {
    List<String> command = new ArrayList<>(List.of(java, "-Xmx" + memoryMb + "m"));
    command.addAll(FLAGS);
    command.addAll(options);
    command.addAll(List.of("-cp", classpath, WorkerMain.class.getName()));
    return command;
  }

  /** The flags every worker gets whatever its heap: a class-data archive is valid for these only. */
  public static List<String> flags() {
    return FLAGS;
  }
}
