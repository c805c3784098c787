package dev.airlock.internal.local;

import dev.airlock.AirlockConfig.LocalIsolation;
import dev.airlock.AirlockConfig;
import dev.airlock.IsolationPosture.Control;
import dev.airlock.IsolationPosture;
import dev.airlock.SandboxUnavailableException;
import dev.airlock.internal.backend.EgressControl;
import dev.airlock.internal.backend.HostFolders;
import dev.airlock.internal.backend.HostProcess;
import dev.airlock.internal.backend.PostureInProgress;
import dev.airlock.internal.backend.WorkerChannels;
import dev.airlock.internal.backend.WorkerEgress;
import dev.airlock.internal.egress.EgressProxy;
import dev.airlock.internal.worker.WorkerClasspath;
import dev.airlock.internal.worker.WorkerCommand;
import dev.airlock.internal.worker.WorkerLimits;
import dev.airlock.internal.worker.WorkerMain;
import dev.airlock.spi.SandboxBackend;
import dev.airlock.spi.WorkerHandle;
import dev.airlock.spi.WorkerSpec;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded default backend: each worker is a child JVM on this machine, on the application's real classpath,
 * inside bubblewrap namespaces when available, with cgroup limits where writable. Host and worker talk over a pair
 * of pipes the worker inherits as descriptors 3 and 4, so it needs no network and no socket (the JDK's first unix
 * socket costs a worker 20-30 ms of start); its stdout and stderr are the console, which never touches the protocol.
 */
public final class LocalBackend implements SandboxBackend, PostureInProgress {
  private static final Logger LOG = LoggerFactory.getLogger(LocalBackend.class);
  /** Room beyond the heap for metaspace, code cache, thread stacks and GC structures. */
  static final long NATIVE_HEADROOM_MB = 192;
  static final long TMP_BYTES = 64L * 1024 * 1024;
  private static final AtomicInteger BACKENDS = new AtomicInteger();
  private static final String WORK_DIR_PREFIX = "airlock-";
  /** How a user gets memory and pids limits the kernel enforces, for messages where they are missing. */
  private static final String CGROUP_FIX = "run as root, or as a user who may write the memory and pids controllers "
      + "of the cgroup hierarchy at /sys/fs/cgroup, or use the Docker backend (airlock.backend=docker)";

  private final AirlockConfig config;
  private final Path java;
  private final List<Path> classpath;
  private final Bubblewrap bubblewrap;
  private final JdkFiles jdk;
  private final Cgroups cgroups;
  /** The working folder of workers without namespaces: private, empty, deleted on close. */
  private final Path workDir;
  /** Where each worker's private tmpfs is mounted in its own mount namespace; empty on the host. */
  private final Path scratchMount;
  /** The seccomp program bubblewrap loads, or null when there is no bubblewrap or no filter for this CPU. */
  private final Path seccompProgram;
  /** What workers see of the classpath: binds with configuration and key files masked. */
  private final List<WorkerClasspath.Mount> view;
  /**
   * Measured by a probe that runs while the first workers start: it and a worker's start are each about 100 ms of a
   * fresh JVM's first call. Every caller that requires isolation reads it before its call is shipped.
   */
  private final CompletableFuture<IsolationPosture> posture = new CompletableFuture<>();
  /** Measures the posture under {@code auto}; null under {@code strict}, which measures it before it is made. */
  private final Thread measuring;
  /** The probe while it runs, so that closing the backend ends it. */
  private volatile LocalWorker probe;
  private volatile boolean closed;
  private final String cgroupNamespace;
  private final ClassDataArchive archive;
  private final AtomicInteger workers = new AtomicInteger();
  /** The pool's egress proxy, or null when none is configured: then workers get nothing of it. */
  private final WorkerEgress egress;

  public LocalBackend(AirlockConfig config) {
    this(config, WorkerClasspath.ofThisJvm());
  }

  /** With the classpath the workers get; the host's own unless a test says otherwise. */
  LocalBackend(AirlockConfig config, List<Path> classpath) {
    this(config, classpath, UnaryOperator.identity());
  }

  /** With the egress proxy's builder adjusted (tests: a resolver for test names, a test CA for the upstream). */
  LocalBackend(AirlockConfig config, List<Path> classpath, UnaryOperator<EgressProxy.Builder> egressSetup) {
    this.config = config;
    this.java = javaExecutable(config);
    this.classpath = List.copyOf(classpath);
    this.cgroupNamespace = "airlock/" + HostProcess.current().token() + "-" + BACKENDS.incrementAndGet();
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
      this.view = bwrap == null ? List.of() : WorkerClasspath.readableView(classpath,
          config.localAnyClasspathFolder());
      this.workDir = HostFolders.create(Path.of(System.getProperty("java.io.tmpdir")), WORK_DIR_PREFIX, "rwx------");
      this.scratchMount = Files.createDirectory(workDir.resolve("scratch"));
      this.seccompProgram = bwrap == null ? null : SeccompFilter.Arch.ofThisJvm().map(arch -> {
        try {
          return Files.write(workDir.resolve("seccomp.bpf"), SeccompFilter.program(arch));
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }).orElse(null);
    } catch (IOException | UncheckedIOException e) {
      throw new SandboxUnavailableException("local backend cannot prepare its workers: " + e.getMessage(), e);
    }
    this.cgroups = Cgroups.probe(cgroupNamespace);
    this.egress = WorkerEgress.start(config, egressSetup).orElse(null);
    this.archive = ClassDataArchive.of(config.localClassCache(), java, WorkerCommand.flags(), this.classpath);
    if (isolation == LocalIsolation.STRICT) {
      // Strict refuses to exist without its controls, so it measures them here; auto admits each call against them.
      this.measuring = null;
      measure(bwrapMissing, true);
    } else {
      String why = bwrapMissing;
      this.measuring = new Thread(() -> measure(why, false), "airlock-sandbox-probe");
      measuring.setDaemon(true);
      measuring.start();
    }
  }

  /** Measures the posture, says what it is, then has the class-data archive made if need be. */
  private void measure(String bwrapMissing, boolean strict) {
    IsolationPosture measured;
    try {
      measured = measurePosture(bwrapMissing);
    } catch (RuntimeException e) {
      // measurePosture reports a failed probe as unenforced controls; this is a bug, which callers see as the cause.
      posture.completeExceptionally(e);
      if (strict) {
        throw e;
      }
      LOG.warn("Airlock local backend could not measure its sandbox; calls that require one are refused", e);
      return;
    }
    posture.complete(measured);
    if (strict) {
      requireStrict(measured);
    }
    if (bubblewrap == null) {
      LOG.warn("Airlock local backend runs workers WITHOUT namespaces ({}): sandboxed code can read host files "
          + "and use the network, and calls that require a sandbox are refused. {}", bwrapMissing,
          measured.describe());
    } else {
      LOG.info("Airlock local backend ready; {}", measured.describe());
    }
    if (closed) {
      return;
    }
    archive.makeInBackground((options, writable, onClasspath) -> start(
        new WorkerSpec(config.memoryMb(), Duration.ofSeconds(30)), options, writable, onClasspath));
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

  /**
   * Every line measured on this machine: a probe started exactly as a worker reports what holds inside (see
   * {@link SandboxProbe}), and the host reads the probe's cgroup limits and membership back from the kernel. A
   * control the probe could not prove is reported as not enforced.
   */
  private IsolationPosture measurePosture(String bwrapMissing) {
    List<Control> c = new ArrayList<>();
    Measured measured = measurePosture();
    if (bubblewrap != null && measured.report() != null) {
      c.addAll(SandboxProbe.namespaceControls(measured.report(), measured.namespaces(),
          bubblewrap.userNamespace(), WorkerLimits.filesOpen(classpath.size())));
    } else {
      String why = bubblewrap == null ? bwrapMissing : "the sandbox probe failed: " + measured.failure();
      c.add(new Control("network", false, "host network: " + why));
      c.add(new Control("filesystem", false, "whole host filesystem visible: " + why));
      c.add(new Control("processes", false, "plain child process of the host, NOT ISOLATED: " + why));
      c.add(new Control("syscalls", false, "no seccomp filter: " + why));
      c.add(measured.report() != null ? SandboxProbe.environment(measured.report())
          : new Control("environment", false, "not measured: " + measured.failure()));
    }
    long limitBytes = (config.memoryMb() + NATIVE_HEADROOM_MB) * 1024 * 1024;
    c.add(limitControl("memory", measured, measured.memoryLimit(), Long.toString(limitBytes),
        "-Xmx" + config.memoryMb() + "m + cgroup memory limit of " + limitBytes / (1024 * 1024) + " MiB, swap included"
            + cgroups.socketBuffers(),
        "-Xmx" + config.memoryMb() + "m bounds the heap only; native memory and tmpfs are not limited"));
    c.add(measured.pidsLimit().isEmpty() && bubblewrap != null && bubblewrap.limitsProcesses()
        && measured.report() != null ? SandboxProbe.processLimit(measured.report(), measured.namespaces(),
        config.pidsLimit())
        : limitControl("pids", measured, measured.pidsLimit(), Integer.toString(config.pidsLimit()),
        "cgroup pids.max=" + config.pidsLimit(), "the worker may start processes and threads without limit"));
    long quota = Math.max(1000, (long) (config.cpus() * 100_000));
    c.add(limitControl("cpu", measured, measured.cpuLimit().map(q -> q.split(" ")[0]), Long.toString(quota),
        "cgroup CPU quota of " + config.cpus() + " CPUs", "not limited"));
    return new IsolationPosture("local", c);
  }

  private Control limitControl(String name, Measured measured, Optional<String> readBack, String expected,
      String enforced, String notEnforced) {
    if (readBack.isEmpty()) {
      return new Control(name, false, notEnforced + " (" + cgroups.describe()
          + "; " + CGROUP_FIX + ")");
    }
    boolean holds = readBack.get().equals(expected) && measured.inGroup();
    return new Control(name, holds, holds ? "measured: " + enforced + " (read back from the kernel, probe inside)"
        : "measured: " + name + " limit reads back '" + readBack.get() + "', expected " + expected
        + (measured.inGroup() ? "" : ", and the probe was not in the group"));
  }

  /** What {@code strict} requires beyond namespaces: memory and pids limits a cgroup enforces. */
  private void requireStrict(IsolationPosture measured) {
    List<String> missing = measured.controls().stream()
        .filter(ctl -> List.of("network", "filesystem", "processes", "memory", "pids").contains(ctl.name()))
        .filter(ctl -> !ctl.enforced()).map(ctl -> ctl.name() + " (" + ctl.how() + ")").toList();
    if (!missing.isEmpty()) {
      WorkerChannels.deleteTree(workDir);
      cgroups.removeNamespace();
      throw new SandboxUnavailableException("airlock.local.isolation=strict, but these controls do not hold here: "
          + String.join("; ", missing) + ". To enforce them: " + CGROUP_FIX
          + "; airlock.local.isolation=auto runs without them");
    }
  }

  /** The probe's report (null when it could not run) and what the host read of its cgroup meanwhile. */
  private record Measured(SandboxProbe.Report report, String failure, Set<String> namespaces, boolean inGroup,
      Optional<String> memoryLimit, Optional<String> pidsLimit, Optional<String> cpuLimit) {
  }

  private Measured measurePosture() {
    LocalWorker worker = null;
    try {
      List<WorkerClasspath.Mount> tools = new ArrayList<>();
      List<Path> toolPaths = SandboxProbe.tools();
      if (bubblewrap != null) {
        for (Path tool : toolPaths) {
          tools.add(new WorkerClasspath.Mount(tool, tool));
        }
        for (Path lib : JdkFiles.sharedLibraries(toolPaths)) {
          tools.add(new WorkerClasspath.Mount(lib, lib));
        }
      }
      worker = start("probe", config.memoryMb(), tools, null,
          List.of(toolPaths.isEmpty() ? "/bin/sh" : toolPaths.get(0).toString(), "-c", SandboxProbe.SCRIPT));
      probe = worker;
      if (closed) {
        throw new IOException("the backend was closed");
      }
      SandboxProbe.Report report = SandboxProbe.read(worker.input());
      Cgroups.WorkerCgroup group = worker.cgroup();
      boolean inGroup = group != null && group.members().contains(worker.process().pid());
      return new Measured(report, null, SandboxProbe.separateNamespaces(worker.process().toHandle()), inGroup,
          group == null ? Optional.empty() : group.memoryLimit(),
          group == null ? Optional.empty() : group.pidsLimit(),
          group == null ? Optional.empty() : group.cpuLimit());
    } catch (IOException | RuntimeException e) {
      String console = worker == null ? "" : "; console: " + worker.consoleTail();
      LOG.warn("Airlock local backend could not measure its sandbox: {}{}", e.getMessage(), console);
      return new Measured(null, e.getMessage() + console, Set.of(), false, Optional.empty(), Optional.empty(),
          Optional.empty());
    } finally {
      if (worker != null) {
        probe = null;
        worker.kill();
      }
    }
  }

  @Override
  public String name() {
    return "local";
  }

  @Override
  public IsolationPosture posture() {
    try {
      return posture.join();
    } catch (CompletionException e) {
      throw new SandboxUnavailableException("local backend could not measure its sandbox: " + e.getCause(),
          e.getCause());
    }
  }

  @Override
  public boolean postureMeasured() {
    return posture.isDone();
  }

  /**
   * Waits until workers start from the class-data archive (see {@code airlock.local.class-cache}), for a service
   * that wants its fastest worker starts before it takes traffic. False when there is no archive to wait for (the
   * classpath has folders and does not begin with Airlock's own jars, the cache is off, the archive could not be
   * made) or it did not come in time.
   */
  public boolean awaitClassDataArchive(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    if (measuring != null) {
      // The training is set going once the sandbox is measured: until then there is nothing to wait for yet.
      measuring.join(Math.max(1, timeout.toMillis()));
    }
    return archive.await(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
  }

  @Override
  public WorkerHandle launch(WorkerSpec spec) {
    // Read once: the worker is told to map the very archive it is shown, though a training may finish meanwhile.
    Optional<Path> archiveFile = archive.readyFile();
    List<String> options = new ArrayList<>(ClassDataArchive.optionsMapping(archiveFile));
    List<WorkerClasspath.Mount> binds = new ArrayList<>();
    archiveFile.ifPresent(f -> binds.add(new WorkerClasspath.Mount(f, f)));
    if (egress == null) {
      return start(spec, options, null, null, binds, classpath);
    }
    if (bubblewrap == null) {
      return start(spec, options, null, WorkerEgress.unenforced(), binds, classpath);
    }
    WorkerEgress.Gate gate = egress.open(workDir, "w" + (workers.get() + 1) + "-" + System.nanoTime());
    options.addAll(gate.jvmOptions());
    binds.add(new WorkerClasspath.Mount(gate.folder(), Path.of(WorkerEgress.SANDBOX_FOLDER)));
    try {
      return start(spec, options, null, gate, binds, classpath);
    } catch (RuntimeException e) {
      gate.close();
      throw e;
    }
  }

  /**
   * A started worker with extra JVM options on {@code onClasspath} and, for the archive's training worker only, a
   * writable folder.
   */
  private LocalWorker start(WorkerSpec spec, List<String> jvmOptions, Path writableFolder, List<Path> onClasspath) {
    return start(spec, jvmOptions, writableFolder, null, List.of(), onClasspath);
  }

  /** As above, with the worker's egress and the read-only binds it needs (its archive, its gate's folder). */
  private LocalWorker start(WorkerSpec spec, List<String> jvmOptions, Path writableFolder, EgressControl egress,
      List<WorkerClasspath.Mount> extraBinds, List<Path> onClasspath) {
    String classpathArg = String.join(File.pathSeparator, onClasspath.stream().map(Path::toString).toList());
    List<String> javaCommand = new ArrayList<>(WorkerCommand.javaArguments(java.toString(), classpathArg,
        spec.memoryMb(), jvmOptions));
    javaCommand.addAll(List.of(WorkerMain.CHANNEL_FDS, "3", "4"));
    if (bubblewrap == null) {
      javaCommand.addAll(List.of("--host-pid", Long.toString(ProcessHandle.current().pid())));
    }
    LocalWorker worker = start("w" + workers.incrementAndGet(), spec.memoryMb(), extraBinds, writableFolder,
        javaCommand);
    return egress == null ? worker : new LocalWorker(worker, egress);
  }

  /** Starts {@code command} as a worker: in its cgroups, behind bubblewrap when there is one, channel on 3 and 4. */
  private LocalWorker start(String id, int memoryMb, List<WorkerClasspath.Mount> extraBinds, Path writableFolder,
      List<String> command) {
    Cgroups.WorkerCgroup cgroup = null;
    try {
      long memoryBytes = (memoryMb + NATIVE_HEADROOM_MB) * 1024 * 1024;
      cgroup = cgroups.create(id, memoryBytes, config.pidsLimit(), config.cpus());
      ProcessBuilder builder = new ProcessBuilder(launcher(cgroup, extraBinds, writableFolder, command));
      builder.environment().clear();
      builder.directory(workDir.toFile());
      LocalWorker worker = new LocalWorker(id, ProcessSpawner.start(builder), cgroup);
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
   * outside them, moves the channel off stdin and stdout to descriptors 3 and 4, so stdout is the console again
   * (what a process the user code starts with inherited output prints cannot reach the protocol), and opens the
   * seccomp program for bubblewrap. No {@code prlimit} here: as a non-root user its process count is every thread of
   * the user, so it would let a guest or a busy host stop the next worker from starting (bubblewrap's command sets
   * one inside the worker's user namespace instead, where it counts the worker's own).
   */
  private List<String> launcher(Cgroups.WorkerCgroup cgroup, List<WorkerClasspath.Mount> extraBinds,
      Path writableFolder, List<String> command) {
    StringBuilder script = new StringBuilder();
    if (cgroup != null) {
      for (Path procs : cgroup.procsFiles()) {
        script.append("echo $$ > '").append(procs).append("' && ");
      }
    }
    script.append("exec 3<&0 4>&1 </dev/null >&2");
    if (seccompProgram != null) {
      script.append(" ").append(Bubblewrap.SECCOMP_FD).append("<'").append(seccompProgram).append("'");
    }
    script.append(" && exec \"$@\"");
    List<String> cmd = new ArrayList<>(List.of("/bin/sh", "-c", script.toString(), "airlock-launcher"));
    if (bubblewrap != null) {
      List<WorkerClasspath.Mount> binds = new ArrayList<>(view);
      binds.addAll(extraBinds);
      cmd.addAll(bubblewrap.command(jdk, binds, writableFolder, TMP_BYTES, scratchMount, seccompProgram != null,
          config.pidsLimit(), WorkerLimits.filesOpen(classpath.size())));
    }
    cmd.addAll(command);
    return cmd;
  }

  @Override
  public void close() {
    closed = true;
    LocalWorker running = probe;
    if (running != null) {
      running.kill();
    }
    if (measuring != null) {
      try {
        measuring.join(TimeUnit.SECONDS.toMillis(10));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (egress != null) {
      egress.close();
    }
    archive.close();
    WorkerChannels.deleteTree(workDir);
    cgroups.removeNamespace();
  }
}
