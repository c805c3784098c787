package dev.airlock.internal.local;

import dev.airlock.AirlockConfig.LocalIsolation;
import dev.airlock.AirlockConfig;
import dev.airlock.IsolationPosture.Control;
import dev.airlock.IsolationPosture;
import dev.airlock.SandboxUnavailableException;
import dev.airlock.internal.backend.WorkerChannels;
import dev.airlock.internal.worker.WorkerClasspath;
import dev.airlock.internal.worker.WorkerCommand;
import dev.airlock.internal.worker.WorkerMain;
import dev.airlock.spi.SandboxBackend;
import dev.airlock.spi.WorkerHandle;
import dev.airlock.spi.WorkerSpec;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded default backend: each worker is a child JVM on this machine, on the application's real classpath,
 * inside bubblewrap namespaces when available, with cgroup limits where writable. Host and worker talk over a pair
 * of pipes the worker inherits as descriptors 3 and 4, so it needs no network and no socket (the JDK's first unix
 * socket costs a worker 20-30 ms of start); its stdout and stderr are the console, which never touches the protocol.
 */
public final class LocalBackend implements SandboxBackend {
  private static final Logger LOG = LoggerFactory.getLogger(LocalBackend.class);
  /** Room beyond the heap for metaspace, code cache, thread stacks and GC structures. */
  static final long NATIVE_HEADROOM_MB = 192;
  static final long TMP_BYTES = 64L * 1024 * 1024;
  private static final AtomicInteger BACKENDS = new AtomicInteger();
  private static final String WORK_DIR_PREFIX = "airlock-";

  private final AirlockConfig config;
  private final Path java;
  private final List<Path> classpath;
  private final Bubblewrap bubblewrap;
  private final JdkFiles jdk;
  private final Cgroups cgroups;
  /** The working folder of workers without namespaces: private, empty, deleted on close. */
  private final Path workDir;
  private final IsolationPosture posture;
  private final String cgroupNamespace;
  private final ClassDataArchive archive;
  private final AtomicInteger workers = new AtomicInteger();

  public LocalBackend(AirlockConfig config) {
    this(config, WorkerClasspath.ofThisJvm());
  }

  /** With the classpath the workers get; the host's own unless a test says otherwise. */
  LocalBackend(AirlockConfig config, List<Path> classpath) {
    this.config = config;
    this.java = javaExecutable(config);
    this.classpath = List.copyOf(classpath);
    this.cgroupNamespace = "airlock/" + ProcessHandle.current().pid() + "-" + BACKENDS.incrementAndGet();
    LocalIsolation isolation = config.localIsolation();
    Bubblewrap bwrap = null;
    String bwrapMissing = "isolation=none";
    if (isolation != LocalIsolation.NONE) {
      Bubblewrap.Probe probe = Bubblewrap.probe();
      bwrap = probe.bubblewrap();
      bwrapMissing = probe.missing();
      if (bwrap == null && isolation == LocalIsolation.STRICT) {
        throw new SandboxUnavailableException("airlock.local.isolation=strict needs namespaces, but "
            + bwrapMissing + ". Install bubblewrap, or set airlock.local.isolation=auto to run without them");
      }
    }
    this.bubblewrap = bwrap;
    try {
      this.jdk = bwrap == null ? null : JdkFiles.of(java);
      WorkerChannels.reapFoldersOfDeadHosts(Path.of(System.getProperty("java.io.tmpdir")), WORK_DIR_PREFIX);
      this.workDir = Files.createTempDirectory(WORK_DIR_PREFIX + ProcessHandle.current().pid() + "-",
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    } catch (IOException e) {
      throw new SandboxUnavailableException("local backend cannot prepare its workers: " + e.getMessage(), e);
    }
    this.cgroups = Cgroups.probe(cgroupNamespace);
    this.posture = posture(bwrapMissing);
    this.archive = ClassDataArchive.of(config.localClassCache(), java, WorkerCommand.flags(), this.classpath);
    if (bwrap == null) {
      LOG.warn("Airlock local backend runs workers WITHOUT namespaces ({}): sandboxed code can read host files "
          + "and use the network. {}", bwrapMissing, posture.describe());
    } else {
      LOG.info("Airlock local backend ready; {}", posture.describe());
    }
    archive.makeInBackground((options, writable) -> start(
        new WorkerSpec(config.memoryMb(), Duration.ofSeconds(30)), options, writable));
  }

  private static Path javaExecutable(AirlockConfig config) {
    Path java = config.localJava().isEmpty()
        ? Path.of(System.getProperty("java.home"), "bin", "java")
        : Path.of(config.localJava());
    if (!Files.isExecutable(java)) {
      throw new SandboxUnavailableException("no java executable at " + java + " (" + AirlockConfig.LOCAL_JAVA
          + "); point it at the bin/java of a JDK or JRE 17+");
    }
    return java;
  }

  private IsolationPosture posture(String bwrapMissing) {
    List<Control> c = new ArrayList<>();
    boolean ns = bubblewrap != null;
    c.add(new Control("network", ns, ns ? "empty network namespace (bubblewrap)" : "host network: " + bwrapMissing));
    c.add(new Control("filesystem", ns, ns ? "read-only binds of the JDK (" + (1 + jdk.outside().size())
        + " paths) and the classpath (" + classpath.size() + " entries); private /tmp of "
        + TMP_BYTES / (1024 * 1024) + " MiB" : "whole host filesystem visible: " + bwrapMissing));
    c.add(new Control("processes", ns, ns ? "PID namespace, no capabilities" + (bubblewrap.userNamespace()
        ? ", user namespace (uid 65534)" : "") + ", killed with its parent" : "plain child process"));
    c.add(new Control("environment", true, "cleared: no host variables reach the worker"));
    c.add(new Control("memory", true, cgroups.memory()
        ? "-Xmx + cgroup memory limit of heap + " + NATIVE_HEADROOM_MB + " MiB, swap included"
        : "-Xmx only (" + cgroups.describe() + ")"));
    boolean root = "root".equals(System.getProperty("user.name"));
    c.add(new Control("pids", cgroups.pids() || !root, cgroups.pids()
        ? "cgroup pids.max=" + config.pidsLimit()
        : "prlimit RLIMIT_NPROC=" + config.pidsLimit() + (root ? " (does not bind root: " + cgroups.describe() + ")"
            : "")));
    c.add(new Control("cpu", cgroups.cpu(), cgroups.cpu() ? "cgroup CPU quota of " + config.cpus() + " CPUs"
        : "not limited (" + cgroups.describe() + ")"));
    return new IsolationPosture("local", c);
  }

  @Override
  public String name() {
    return "local";
  }

  @Override
  public IsolationPosture posture() {
    return posture;
  }

  /**
   * Waits until workers start from the class-data archive (see {@code airlock.local.class-cache}), for a service
   * that wants its fastest worker starts before it takes traffic. False when there is no archive to wait for (the
   * classpath has folders, the cache is off, the archive could not be made) or it did not come in time.
   */
  public boolean awaitClassDataArchive(Duration timeout) throws InterruptedException {
    return archive.await(timeout);
  }

  @Override
  public WorkerHandle launch(WorkerSpec spec) {
    return start(spec, archive.workerOptions(), null);
  }

  /** A started worker with extra JVM options and, for the archive's training worker only, a writable folder. */
  private LocalWorker start(WorkerSpec spec, List<String> jvmOptions, Path writableFolder) {
    String id = "w" + workers.incrementAndGet();
    Cgroups.WorkerCgroup cgroup = null;
    try {
      long memoryBytes = (spec.memoryMb() + NATIVE_HEADROOM_MB) * 1024 * 1024;
      cgroup = cgroups.create(id, memoryBytes, config.pidsLimit(), config.cpus());
      ProcessBuilder builder = new ProcessBuilder(command(spec, cgroup, jvmOptions, writableFolder));
      builder.environment().clear();
      builder.directory(workDir.toFile());
      LocalWorker worker = new LocalWorker(id, builder.start(), cgroup);
      LOG.debug("worker {} (pid {}) started", id, worker.process().pid());
      return worker;
    } catch (IOException | RuntimeException e) {
      if (cgroup != null) {
        cgroup.remove();
      }
      if (e instanceof SandboxUnavailableException u) {
        throw u;
      }
      throw new SandboxUnavailableException("local backend could not start a worker: " + e, e);
    }
  }

  /**
   * {@code /bin/sh} launches every worker: it joins the worker's cgroups before exec, so no instant of the worker runs
   * outside them, and moves the channel off stdin and stdout to descriptors 3 and 4, so stdout is the console again
   * (what a process the user code starts with inherited output prints cannot reach the protocol).
   */
  private List<String> command(WorkerSpec spec, Cgroups.WorkerCgroup cgroup, List<String> jvmOptions,
      Path writableFolder) {
    StringBuilder script = new StringBuilder();
    if (cgroup != null) {
      for (Path procs : cgroup.procsFiles()) {
        script.append("echo $$ > '").append(procs).append("' && ");
      }
    }
    script.append("exec 3<&0 4>&1 </dev/null >&2 && exec \"$@\"");
    List<String> cmd = new ArrayList<>(List.of("/bin/sh", "-c", script.toString(), "airlock-launcher"));
    if (cgroup == null && !cgroups.pids()) {
      Path prlimit = Bubblewrap.onPath("prlimit");
      if (prlimit != null) {
        cmd.addAll(List.of(prlimit.toString(), "--nproc=" + config.pidsLimit(), "--"));
      }
    }
    String classpathArg = String.join(File.pathSeparator, classpath.stream().map(Path::toString).toList());
    if (bubblewrap != null) {
      List<Path> readOnly = new ArrayList<>(classpath);
      archive.readyFile().ifPresent(readOnly::add);
      cmd.addAll(bubblewrap.command(jdk, readOnly, writableFolder, TMP_BYTES));
    }
    cmd.addAll(WorkerCommand.javaArguments(java.toString(), classpathArg, spec.memoryMb(), jvmOptions));
    cmd.addAll(List.of(WorkerMain.CHANNEL_FDS, "3", "4"));
    if (bubblewrap == null) {
      cmd.addAll(List.of("--host-pid", Long.toString(ProcessHandle.current().pid())));
    }
    return cmd;
  }

  @Override
  public void close() {
    archive.close();
    WorkerChannels.deleteTree(workDir);
    cgroups.removeNamespace();
  }
}
