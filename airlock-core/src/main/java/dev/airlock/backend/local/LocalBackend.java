package dev.airlock.backend.local;

import dev.airlock.AirlockConfig;
import dev.airlock.AirlockConfig.LocalIsolation;
import dev.airlock.IsolationPosture;
import dev.airlock.IsolationPosture.Control;
import dev.airlock.SandboxUnavailableException;
import dev.airlock.backend.SandboxBackend;
import dev.airlock.backend.WorkerChannels;
import dev.airlock.backend.WorkerHandle;
import dev.airlock.backend.WorkerSpec;
import dev.airlock.wire.ChannelStreams;
import dev.airlock.worker.WorkerClasspath;
import dev.airlock.worker.WorkerCommand;
import java.io.File;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
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
 * inside bubblewrap namespaces when available, with cgroup limits where writable. Host and worker talk over a unix
 * socket that the host listens on and binds into the sandbox, so the worker needs no network and its console
 * output cannot touch the protocol.
 */
public final class LocalBackend implements SandboxBackend {
  private static final Logger LOG = LoggerFactory.getLogger(LocalBackend.class);
  /** Room beyond the heap for metaspace, code cache, thread stacks and GC structures. */
  static final long NATIVE_HEADROOM_MB = 192;
  static final long TMP_BYTES = 64L * 1024 * 1024;
  private static final AtomicInteger BACKENDS = new AtomicInteger();
  private static final String SOCKET_DIR_PREFIX = "airlock-";

  private final AirlockConfig config;
  private final Path java;
  private final List<Path> classpath;
  private final Bubblewrap bubblewrap;
  private final JdkFiles jdk;
  private final Cgroups cgroups;
  private final Path socketDir;
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
      WorkerChannels.reapFoldersOfDeadHosts(Path.of(System.getProperty("java.io.tmpdir")), SOCKET_DIR_PREFIX);
      this.socketDir = Files.createTempDirectory(SOCKET_DIR_PREFIX + ProcessHandle.current().pid() + "-",
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

  /** A connected worker with extra JVM options and, for the archive's training worker only, a writable folder. */
  private LocalWorker start(WorkerSpec spec, List<String> jvmOptions, Path writableFolder) {
    String id = "w" + workers.incrementAndGet();
    Path socket = socketDir.resolve(id + ".sock");
    Cgroups.WorkerCgroup cgroup = null;
    LocalWorker worker = null;
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(socket));
      long memoryBytes = (spec.memoryMb() + NATIVE_HEADROOM_MB) * 1024 * 1024;
      cgroup = cgroups.create(id, memoryBytes, config.pidsLimit(), config.cpus());
      List<String> command = command(spec, socket, cgroup, jvmOptions, writableFolder);
      ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
      builder.environment().clear();
      builder.directory(socketDir.toFile());
      worker = new LocalWorker(id, builder.start(), cgroup);
      SocketChannel channel = WorkerChannels.accept(server, worker, spec.startTimeout(), Duration.ofMillis(100),
          worker::consoleTail);
      worker.connected(channel, ChannelStreams.input(channel), ChannelStreams.output(channel));
      LOG.debug("worker {} (pid {}) connected", id, worker.process().pid());
      return worker;
    } catch (IOException | RuntimeException e) {
      if (worker != null) {
        worker.kill();
      } else if (cgroup != null) {
        cgroup.remove();
      }
      if (e instanceof SandboxUnavailableException u) {
        throw u;
      }
      throw new SandboxUnavailableException("local backend could not start a worker: " + e, e);
    } finally {
      try {
        Files.deleteIfExists(socket);
      } catch (IOException e) {
        LOG.debug("could not delete {}", socket, e);
      }
    }
  }

  private List<String> command(WorkerSpec spec, Path socket, Cgroups.WorkerCgroup cgroup, List<String> jvmOptions,
      Path writableFolder) {
    List<String> cmd = new ArrayList<>();
    if (cgroup != null) {
      // The launcher joins the worker's cgroups before exec, so no instant of the worker runs outside them.
      StringBuilder script = new StringBuilder();
      for (Path procs : cgroup.procsFiles()) {
        script.append("echo $$ > '").append(procs).append("' && ");
      }
      script.append("exec \"$@\"");
      cmd.addAll(List.of("/bin/sh", "-c", script.toString(), "airlock-launcher"));
    } else if (!cgroups.pids()) {
      Path prlimit = Bubblewrap.onPath("prlimit");
      if (prlimit != null) {
        cmd.addAll(List.of(prlimit.toString(), "--nproc=" + config.pidsLimit(), "--"));
      }
    }
    String socketArg = socket.toString();
    String classpathArg = String.join(File.pathSeparator, classpath.stream().map(Path::toString).toList());
    if (bubblewrap != null) {
      List<Path> readOnly = new ArrayList<>(classpath);
      archive.readyFile().ifPresent(readOnly::add);
      cmd.addAll(bubblewrap.command(jdk, readOnly, writableFolder, socket, TMP_BYTES));
      socketArg = Bubblewrap.SOCKET_INSIDE;
    }
    cmd.addAll(WorkerCommand.javaArguments(java.toString(), classpathArg, spec.memoryMb(), jvmOptions));
    cmd.addAll(List.of("--connect", socketArg));
    if (bubblewrap == null) {
      cmd.addAll(List.of("--host-pid", Long.toString(ProcessHandle.current().pid())));
    }
    return cmd;
  }

  @Override
  public void close() {
    archive.close();
    WorkerChannels.deleteTree(socketDir);
    cgroups.removeNamespace();
  }
}
