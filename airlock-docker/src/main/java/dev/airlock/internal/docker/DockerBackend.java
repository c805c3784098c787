package dev.airlock.internal.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.CreateContainerResponse;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.AccessMode;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.ContainerConfig;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Info;
import com.github.dockerjava.api.model.LogConfig;
import com.github.dockerjava.api.model.Ulimit;
import com.github.dockerjava.api.model.Volume;
import dev.airlock.AirlockConfig;
import dev.airlock.IsolationPosture.Control;
import dev.airlock.IsolationPosture;
import dev.airlock.SandboxUnavailableException;
import dev.airlock.internal.backend.GuestText;
import dev.airlock.internal.backend.HostFolders;
import dev.airlock.internal.backend.RefusedSyscalls;
import dev.airlock.internal.backend.WorkerChannels;
import dev.airlock.internal.backend.WorkerEgress;
import dev.airlock.internal.wire.ChannelStreams;
import dev.airlock.internal.worker.WorkerClasspath;
import dev.airlock.internal.worker.WorkerCommand;
import dev.airlock.internal.worker.WorkerLimits;
import dev.airlock.internal.worker.WorkerMain;
import dev.airlock.spi.SandboxBackend;
import dev.airlock.spi.WorkerHandle;
import dev.airlock.spi.WorkerSpec;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs each worker in a hardened container: no network, read-only root, a small tmpfs, no capabilities, no new
 * privileges, a non-root user, memory (no swap), CPU and pids limits, and no host environment. The host's classpath
 * is bind-mounted read-only at the host's own paths, so the worker loads exactly the host's classes. Host and
 * worker talk over a unix socket the host listens on, in a folder mounted into that one container, so the worker
 * needs no network and what user code prints never reaches the protocol. Each worker's PID namespace is that of a
 * lifeline container ({@link HostLifeline}) which ends when this JVM's attach to it ends, so no worker outlives its
 * host, whatever its guest does inside the worker JVM.
 */
final class DockerBackend implements SandboxBackend {
  private static final Logger LOG = LoggerFactory.getLogger(DockerBackend.class);
  /** Room beyond the heap for metaspace, code cache, thread stacks and GC structures. */
  static final long NATIVE_HEADROOM_MB = 192;
  static final String CHANNEL_INSIDE = "/run/airlock";
  private static final String SOCKET_NAME = "worker.sock";
  private static final String TMP_PREFIX = "airlock-docker-";
  static final String LOG_MAX_SIZE = "1m";
  /** Where a lifeline container sees the folder holding {@link HostLifeline}'s class file. */
  private static final String LIFELINE_INSIDE = "/opt/airlock-lifeline";
  /** A JVM that only reads its stdin: 8 MiB of heap, the rest for the JVM itself. */
  private static final long LIFELINE_MEMORY_MB = 96;
  private static final long LIFELINE_PIDS = 32;
  /** tmpfs options of a folder that must stay empty. */
  private static final String EMPTY_READ_ONLY = "ro,nosuid,nodev,noexec,size=4k";

  private final AirlockConfig config;
  private final DockerSettings settings;
  private final DockerEngine engine;
  private final DockerClient docker;
  private final Owner owner;
  private final List<Path> classpath;
  private final Path channelRoot;
  /** Holds {@link HostLifeline}'s class file alone, mounted read-only into every lifeline container. */
  private final Path lifelineClasses;
  private final IsolationPosture posture;
  private final Thread shutdownHook;
  private final Info engineInfo;
  /** Whether the engine runs containers in a user namespace (rootless or userns-remap): only 65,536 uids exist. */
  private final boolean mappedUids;
  /**
   * The folders the image declares as volumes ({@code VOLUME} in its Dockerfile). The engine makes each a fresh
   * anonymous volume on the host's disk, writable whatever the read-only root says and bounded by nothing: a guest
   * filled it (attack review 16). Every container of this backend covers each with an empty read-only tmpfs instead.
   */
  private final List<String> imageVolumes;
  /**
   * The seccomp profile containers run under ({@link DockerSeccompProfile}), or empty when the engine has no seccomp
   * (it would refuse to create a container with one) or an architecture the profile has no name for.
   */
  private final Optional<String> seccompProfile;
  /** Runtimes that hand a container's seccomp profile to the kernel as it is. */
  private static final Set<String> KERNEL_SECCOMP_RUNTIMES = Set.of("runc", "io.containerd.runc.v2",
      "io.containerd.runtime.v1.linux", "crun");
  private final AtomicInteger workers = new AtomicInteger();
  /** The pool's egress proxy, or null when none is configured: then containers get nothing of it. */
  private final WorkerEgress egress;

  DockerBackend(AirlockConfig config) {
    this.config = config;
    this.settings = DockerSettings.of(config);
    this.egress = WorkerEgress.start(config).orElse(null);
    this.engine = DockerEngine.connect();
    this.docker = engine.client();
    try {
      this.engineInfo = docker.infoCmd().exec();
      this.mappedUids = securityOptions(engineInfo).stream()
          .anyMatch(o -> o.contains("name=userns") || o.contains("name=rootless"));
      this.seccompProfile = seccompProfile(engineInfo);
      requireRuntime();
      this.imageVolumes = requireImage();
      this.owner = Owner.thisProcess(UUID.randomUUID().toString());
      reapContainersOfDeadHosts();
      this.classpath = WorkerClasspath.ofThisJvm();
      // This user's alone. A container reaches its channel and egress gate through its bind mounts, which do not
      // walk the host's folders; a folder searchable by others let any local user connect to those sockets, whose
      // paths /proc/net/unix shows to everyone (DockerChannelSocketsTest).
      this.channelRoot = HostFolders.create(Path.of(System.getProperty("java.io.tmpdir")), TMP_PREFIX, "rwx------");
      this.lifelineClasses = writeLifelineClass(channelRoot.resolve("lifeline"));
    } catch (IOException | RuntimeException e) {
      engine.close();
      if (egress != null) {
        egress.close();
      }
      if (e instanceof SandboxUnavailableException u) {
        throw u;
      }
      throw new SandboxUnavailableException("Docker backend cannot start: " + e, e);
    }
    this.posture = measurePosture();
    this.shutdownHook = new Thread(this::removeOurContainers, "airlock-docker-shutdown");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
    if (settings.runsAsRoot()) {
      LOG.warn("Airlock Docker workers run as root ({}={}); {}", DockerSettings.USER, settings.describeUser(mappedUids),
          posture.describe());
    } else {
      LOG.info("Airlock Docker backend ready; {}", posture.describe());
    }
  }

  /** Checked at start: an unknown runtime would otherwise fail every launch. */
  private void requireRuntime() {
    Map<String, ?> known = engineInfo.getRuntimes();
    if (!settings.runtime().isEmpty() && known != null && !known.containsKey(settings.runtime())) {
      throw new SandboxUnavailableException("the Docker engine has no runtime '" + settings.runtime() + "' ("
          + DockerSettings.RUNTIME + "); it knows " + new TreeSet<>(known.keySet()) + ". Install it and register it "
          + "in the daemon's daemon.json 'runtimes', or choose one of those");
    }
  }

  /** The image's declared volumes, once it is known to be on the engine. */
  private List<String> requireImage() {
    try {
      ContainerConfig image = docker.inspectImageCmd(settings.image()).exec().getConfig();
      Map<String, ?> volumes = image == null ? null : image.getVolumes();
      return volumes == null ? List.of() : List.copyOf(new TreeSet<>(volumes.keySet()));
    } catch (NotFoundException e) {
      throw new SandboxUnavailableException("the Docker image '" + settings.image() + "' (" + DockerSettings.IMAGE
          + ") is not on the engine; build it with 'docker build -t " + DockerSettings.DEFAULT_IMAGE
          + " docker/' (see docs/docker.md) or set " + DockerSettings.IMAGE + " to an image with a JRE 17+", e);
    } catch (RuntimeException e) {
      throw engine.unreachable(e);
    }
  }

  private IsolationPosture measurePosture() {
    List<Control> c = new ArrayList<>();
    c.add(new Control("network", true, "network mode none: no interface but its own loopback"));
    c.add(new Control("filesystem", true, "read-only root filesystem of image " + settings.image()
        + "; the classpath (" + classpath.size() + " entries) bind-mounted read-only at the host's paths; "
        + (imageVolumes.isEmpty() ? "" : "the image's volumes " + imageVolumes + " covered by empty read-only "
        + "tmpfs; ") + "no pseudo-terminals (/dev/pts an empty read-only tmpfs); nothing else of the host visible"));
    c.add(new Control("processes", true, "own PID namespace: no host process visible or reachable; its PID 1 is "
        + "a lifeline of another uid (" + settings.lifelineUser() + ") held by this host's attach, so the container "
        + "ends when this host dies, whatever the guest does"));
    c.add(new Control("tmp", true, "tmpfs /tmp of " + settings.tmpMb() + " MiB (nosuid, nodev, noexec)"));
    c.add(new Control("capabilities", true, "all capabilities dropped"));
    c.add(new Control("privileges", true, "no-new-privileges: setuid binaries cannot raise privileges; core dumps "
        + "off (limit of 1 byte, soft and hard: no core file and no core_pattern handler on the host)"));
    c.add(syscallsControl(engineInfo, settings.runtime()));
    c.add(new Control("user", !settings.runsAsRoot(), "runs as " + settings.describeUser(mappedUids) + " ("
        + DockerSettings.USER + ")"));
    c.add(new Control("environment", true, "no host variables: only the image's own"));
    c.addAll(limitControls(engineInfo, config.pidsLimit()));
    c.add(new Control("cpu", config.cpus() > 0, config.cpus() > 0 ? config.cpus() + " CPUs (" + AirlockConfig.CPUS
        + ")" : "not limited"));
    c.add(new Control("runtime", true, settings.runtime().isEmpty() ? "engine default runtime ("
        + DockerSettings.RUNTIME + " unset)" : settings.runtime() + " (" + DockerSettings.RUNTIME + ")"));
    c.add(new Control("labels", true, Owner.WORKER + " with owner pid " + owner.pid() + " in "
        + owner.process().pidNamespace() + " and session " + owner.session() + "; removed on close, at JVM exit, by "
        + "a later start that can prove this host dead (same boot and PID namespace), else after " + Owner.EXPIRES));
    return new IsolationPosture(DockerSettings.BACKEND, c);
  }

  /**
   * Airlock's seccomp profile for the engine's containers, or empty when the engine has no seccomp (it would refuse
   * to create a container with one) or an architecture the profile has no name for.
   */
  static Optional<String> seccompProfile(Info engine) {
    return securityOptions(engine).stream().anyMatch(o -> o.contains("name=seccomp"))
        ? DockerSeccompProfile.forArchitecture(engine.getArchitecture()) : Optional.empty();
  }

  /**
   * The syscalls control. The profile is the kernel's to enforce only under a runtime that hands it to the kernel
   * as runc does: gVisor's runsc applies a container's profile only when started with {@code --oci-seccomp}, and
   * Kata Containers inside its VM, so under another runtime (named by {@code runtime}, or the engine's default) the
   * profile is passed but not known to hold.
   */
  static Control syscallsControl(Info engine, String runtime) {
    String effective = runtime.isEmpty() ? String.valueOf(engine.getRawValues().getOrDefault("DefaultRuntime", "runc"))
        : runtime;
    if (seccompProfile(engine).isPresent()) {
      String rules = "Airlock's seccomp profile, the local sandbox's rules: " + RefusedSyscalls.describe();
      return KERNEL_SECCOMP_RUNTIMES.contains(effective) ? new Control("syscalls", true, rules)
          : new Control("syscalls", false, rules + "; passed to runtime " + GuestText.escape(effective, 64)
          + ", which may not apply it (gVisor's runsc only with --oci-seccomp): not known to hold");
    }
    List<String> seccomp = securityOptions(engine).stream().filter(o -> o.contains("name=seccomp")).toList();
    // Docker's default profile allows io_setup, and a guest needs no native code of its own to call it: a JVM of the
    // image started with the foreign function API enabled calls libc's syscall (attack review 24: by hand, one worker
    // took all 65536 AIO events of the host).
    return new Control("syscalls", false, seccomp.isEmpty() ? "no seccomp filter: the engine reports none"
        : "the engine's seccomp profile (" + GuestText.escape(seccomp.get(0), 256) + "), not Airlock's: the "
        + "engine's architecture " + GuestText.escape(String.valueOf(engine.getArchitecture()), 64) + " has no "
        + "profile here; Docker's default allows AIO contexts, which the kernel counts for the whole host "
        + "(fs.aio-max-nr): a guest can take them all through a JVM it starts with native access");
  }

  private static List<String> securityOptions(Info engine) {
    return engine.getSecurityOptions() == null ? List.of() : engine.getSecurityOptions();
  }

  /**
   * The memory and pids controls as the engine can apply them. An engine whose kernel lacks a controller (swap
   * accounting above all: cgroup v1 without {@code swapaccount=1}) drops that limit from every container, with a
   * warning only the create call sees, so the limits are enforced only when its info says it has them.
   */
  static List<Control> limitControls(Info engine, long pidsLimit) {
    boolean memory = Boolean.TRUE.equals(engine.getMemoryLimit());
    boolean swap = Boolean.TRUE.equals(engine.getSwapLimit());
    boolean pids = Boolean.TRUE.equals(engine.getRawValues().get("PidsLimit"));
    // cgroup v1's memory controller does not charge TCP socket buffers to the limit (only cgroup v2 does, by
    // default), and the worker has a loopback: a guest of a 256 MiB container held 1.1 GiB of the host's kernel
    // memory in loopback connections it never read (UDP: 526 MiB in datagrams), up to the host-wide
    // net.ipv4.tcp_mem (udp_mem), past which every such socket on the host fails to allocate
    // (DockerSocketMemoryTest). An engine too old to report its version is v1.
    boolean sockets = "2".equals(engine.getCGroupVersion());
    String memoryHow = !memory ? "memory NOT limited: the engine reports no memory cgroup, so it drops the limit"
        : !swap ? "container limit of heap + " + NATIVE_HEADROOM_MB + " MiB of RAM, but swap NOT limited: the "
        + "engine's kernel has no swap accounting (cgroup v1: boot with swapaccount=1), so a worker can fill the "
        + "host's swap"
        : !sockets ? "container limit of heap + " + NATIVE_HEADROOM_MB + " MiB, but socket buffers NOT limited: the "
        + "engine runs cgroup v1, whose memory limit does not count TCP or UDP buffers, so a worker can hold host "
        + "kernel memory up to the host-wide net.ipv4.tcp_mem and udp_mem (run the engine on cgroup v2)"
        : "container limit of heap + " + NATIVE_HEADROOM_MB + " MiB, swap equal to memory (none), socket buffers "
        + "counted (cgroup v2), OOM kill read from the engine";
    String pidsHow = pids ? "pids limit " + pidsLimit + " (" + AirlockConfig.PIDS_LIMIT + ")"
        : "pids NOT limited: the engine reports no pids cgroup, so it drops " + AirlockConfig.PIDS_LIMIT;
    return List.of(new Control("memory", memory && swap && sockets, memoryHow), new Control("pids", pids, pidsHow));
  }

  @Override
  public String name() {
    return DockerSettings.BACKEND;
  }

  @Override
  public IsolationPosture posture() {
    return posture;
  }

  @Override
  public WorkerHandle launch(WorkerSpec spec) {
    String id = "w" + workers.incrementAndGet();
    Path channelDir = channelRoot.resolve(UUID.randomUUID().toString());
    DockerWorker worker = null;
    WorkerEgress.Gate gate = null;
    Lifeline lifeline = null;
    try {
      lifeline = startLifeline(id, spec.startTimeout());
      gate = egress == null ? null : egress.open(channelRoot, id + "-" + UUID.randomUUID());
      Files.createDirectory(channelDir,
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
      Path socket = channelDir.resolve(SOCKET_NAME);
      try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
        server.bind(UnixDomainSocketAddress.of(socket));
        // The container's user is not ours: it may connect, and only it can reach this folder.
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw-rw-"));
        long memoryMb = spec.memoryMb() + NATIVE_HEADROOM_MB;
        worker = new DockerWorker(docker, id, create(id, spec, channelDir, memoryMb, gate, lifeline), lifeline,
            memoryMb, System.nanoTime() + Owner.RETIRE_AFTER.toNanos());
        worker.egress(gate);
        docker.startContainerCmd(worker.containerId()).exec();
        SocketChannel channel = WorkerChannels.accept(server, worker, spec.startTimeout(),
            Duration.ofMillis(500), worker::consoleTail);
        worker.connected(channel, ChannelStreams.input(channel), ChannelStreams.output(channel));
        LOG.debug("worker {} connected", worker.id());
        return worker;
      }
    } catch (IOException | RuntimeException e) {
      if (worker != null) {
        worker.kill();
      } else if (lifeline != null) {
        lifeline.end(docker);
      }
      if (gate != null) {
        gate.close();
      }
      throw unavailable(e);
    } finally {
      WorkerChannels.deleteTree(channelDir);
    }
  }

  private SandboxUnavailableException unavailable(Exception e) {
    if (e instanceof SandboxUnavailableException u) {
      return u;
    }
    if (e instanceof NotFoundException) {
      return new SandboxUnavailableException("the Docker image '" + settings.image() + "' (" + DockerSettings.IMAGE
          + ") is gone from the engine: " + e.getMessage(), e);
    }
    if (e instanceof DockerException d && !settings.runtime().isEmpty()
        && String.valueOf(d.getMessage()).contains("runtime")) {
      return new SandboxUnavailableException("the engine refused the runtime '" + settings.runtime() + "' ("
          + DockerSettings.RUNTIME + "): " + d.getMessage() + ". Install and register it with the daemon "
          + "(daemon.json 'runtimes'), or unset " + DockerSettings.RUNTIME, e);
    }
    if (e instanceof DockerException) {
      return new SandboxUnavailableException("the Docker engine refused a worker container: " + e.getMessage(), e);
    }
    if (e instanceof RuntimeException && e.getCause() instanceof IOException) {
      // docker-java wraps transport failures: the engine went away between two calls.
      return engine.unreachable(e.getCause());
    }
    return new SandboxUnavailableException("Docker backend could not start a worker: " + e, e);
  }

  /**
   * The container whose PID namespace the worker joins, PID 1 of which ends when the host's attach ends. Same image,
   * runtime and hardening as the worker, another uid, nothing of the host but its own class file.
   */
  private Lifeline startLifeline(String id, Duration timeout) {
    Map<String, String> lifelineLabels = new HashMap<>(owner.labels(Owner.expiry(System.currentTimeMillis(),
        config.timeout())));
    lifelineLabels.put(Owner.LIFELINE, "true");
    HostConfig host = hardened(LIFELINE_MEMORY_MB * 1024 * 1024, LIFELINE_PIDS)
        .withTmpFs(tmpfs(Map.of(), List.of(LIFELINE_INSIDE)))
        .withAutoRemove(true)
        .withBinds(new Bind(lifelineClasses.toString(), new Volume(LIFELINE_INSIDE), AccessMode.ro));
    String containerId = docker.createContainerCmd(settings.image())
        .withName("airlock-" + owner.session().substring(0, 8) + "-" + id + "-lifeline")
        .withLabels(lifelineLabels)
        .withUser(settings.lifelineUser())
        .withEnv(List.of())
        .withNetworkDisabled(true)
        .withWorkingDir("/")
        .withStdinOpen(true)
        .withStdInOnce(true)
        .withAttachStdin(true)
        .withHostConfig(host)
        // No perf data file (the root is read-only) and no attach listener: nothing to reach it through.
        .withEntrypoint(List.of(settings.java(), "-Xmx8m", "-Xss256k", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
            "-XX:-UsePerfData", "-XX:+DisableAttachMechanism", "-cp", LIFELINE_INSIDE, HostLifeline.class.getName()))
        .exec().getId();
    Lifeline lifeline;
    try {
      lifeline = Lifeline.attach(engine.lifelines(), containerId, timeout);
    } catch (RuntimeException e) {
      remove(containerId);
      throw e;
    }
    try {
      docker.startContainerCmd(containerId).exec();
      return lifeline;
    } catch (RuntimeException e) {
      lifeline.end(docker);
      throw e;
    }
  }

  /** What every container of this backend gets: nothing of the network, capabilities or privileges, bounded logs. */
  private HostConfig hardened(long memoryBytes, long pids) {
    int filesOpen = WorkerLimits.filesOpen(classpath.size());
    HostConfig host = HostConfig.newHostConfig()
        .withNetworkMode("none")
        .withReadonlyRootfs(true)
        .withCapDrop(Capability.ALL)
        .withSecurityOpts(seccompProfile.map(p -> List.of("no-new-privileges", "seccomp=" + p))
            .orElse(List.of("no-new-privileges")))
        .withMemory(memoryBytes)
        .withMemorySwap(memoryBytes)
        .withPidsLimit(pids)
        // No core dumps, soft or hard: the engine's default hard limit is unlimited, and every dump goes to the
        // host's core_pattern, on many hosts a handler the kernel runs as root on the host, outside these limits.
        // One byte, not 0: to a pipe the kernel hands the whole image whatever the limit, which it only passes on
        // (under 0 a crashing guest JVM still had 277 MB piped to the host's handler), except for a limit of 1, its
        // own mark for "no core to a pipe" (attack review 35).
        // Descriptors and locked memory as a local worker's (WorkerLimits): the kernel keeps those budgets per uid,
        // and a uid named by airlock.docker.user is shared by every worker and by the host's processes of that uid.
        .withUlimits(List.of(new Ulimit("core", 1L, 1L),
            new Ulimit("nofile", (long) filesOpen, (long) filesOpen),
            new Ulimit("memlock", WorkerLimits.LOCKED_BYTES, WorkerLimits.LOCKED_BYTES)))
        // Bounded: what the JVM prints outside the channel is kept by the engine, on the host's disk. docker logs
        // (the console tail of a failed start) still works with json-file.
        .withLogConfig(new LogConfig(LogConfig.LoggingType.JSON_FILE, Map.of("max-size", LOG_MAX_SIZE, "max-file",
            "1")));
    if (!settings.runtime().isEmpty()) {
      host.withRuntime(settings.runtime());
    }
    return host;
  }

  /**
   * {@code own} tmpfs mounts, plus an empty read-only one over each of the image's volumes that no mount of ours
   * ({@code own}, {@code bound}) takes: the engine would otherwise make it an anonymous volume on the host's disk.
   * {@code /dev/pts} is covered the same way: each container's devpts draws on one kernel limit for every instance
   * on the host ({@code kernel.pty.max} less its reserve), which one guest could exhaust; a worker needs no terminal.
   */
  private Map<String, String> tmpfs(Map<String, String> own, List<String> bound) {
    Map<String, String> mounts = new HashMap<>(own);
    mounts.put("/dev/pts", EMPTY_READ_ONLY);
    for (String volume : imageVolumes) {
      if (!mounts.containsKey(volume) && !bound.contains(volume)) {
        mounts.put(volume, EMPTY_READ_ONLY);
      }
    }
    return mounts;
  }

  /** Copies {@link HostLifeline}'s class file into {@code folder}, readable by the lifeline's uid. */
  private static Path writeLifelineClass(Path folder) throws IOException {
    String name = HostLifeline.class.getName().replace('.', '/') + ".class";
    Path file = folder.resolve(name);
    Files.createDirectories(file.getParent());
    try (var in = HostLifeline.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) {
        throw new IOException("the class file " + name + " is not on this JVM's classpath");
      }
      Files.write(file, in.readAllBytes());
    }
    for (Path p = file; p.startsWith(folder); p = p.getParent()) {
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwxr-xr-x"
          : "rw-r--r--"));
    }
    return folder;
  }

  private String create(String id, WorkerSpec spec, Path channelDir, long memoryMb, WorkerEgress.Gate gate,
      Lifeline lifeline) {
    long memoryBytes = memoryMb * 1024 * 1024;
    List<Bind> binds = new ArrayList<>();
    // The classpath with configuration and key files masked (cached: a jar's filtered copy is made once), and a
    // folder that is not build output refused unless opted in: the same view as the local backend.
    for (WorkerClasspath.Mount mount : WorkerClasspath.readableView(classpath, config.localAnyClasspathFolder())) {
      binds.add(new Bind(mount.source().toString(), new Volume(mount.target().toString()), AccessMode.ro));
    }
    binds.add(new Bind(channelDir.toString(), new Volume(CHANNEL_INSIDE), AccessMode.ro));
    if (gate != null) {
      // The egress gate: the network stays "none"; this socket is the only way out, decided on the host.
      binds.add(new Bind(gate.folder().toString(), new Volume(WorkerEgress.SANDBOX_FOLDER), AccessMode.ro));
    }
    HostConfig host = hardened(memoryBytes, config.pidsLimit())
        .withTmpFs(tmpfs(Map.of("/tmp", "rw,nosuid,nodev,noexec,mode=1777,size=" + settings.tmpMb() + "m"),
            binds.stream().map(b -> b.getVolume().getPath()).toList()))
        // PID 1 of this namespace is the lifeline: when it ends, the kernel kills every process of the worker.
        .withPidMode("container:" + lifeline.containerId())
        .withBinds(binds);
    if (config.cpus() > 0) {
      host.withNanoCPUs((long) (config.cpus() * 1_000_000_000L));
    }
    String classpathArg = String.join(File.pathSeparator, classpath.stream().map(Path::toString).toList());
    List<String> command = new ArrayList<>(WorkerCommand.javaArguments(settings.java(), classpathArg,
        spec.memoryMb(), gate == null ? List.of() : gate.jvmOptions()));
    // The engine copies every byte a container prints into its log, outside the container's CPU limit: a guest
    // writing to its console for the whole call kept the engine busy for as long (DockerConsoleFloodTest).
    command.addAll(List.of("--connect", CHANNEL_INSIDE + "/" + SOCKET_NAME, WorkerMain.SILENT_CONSOLE));
    CreateContainerResponse created = docker.createContainerCmd(settings.image())
        .withName("airlock-" + owner.session().substring(0, 8) + "-" + id)
        .withLabels(owner.labels(Owner.expiry(System.currentTimeMillis(), config.timeout())))
        .withUser(settings.nextWorkerUser(mappedUids))
        .withEnv(List.of())
        .withNetworkDisabled(true)
        .withWorkingDir("/tmp")
        .withHostConfig(host)
        // As the entrypoint, so an image's own entrypoint script (JRE images often have one) never runs first.
        .withEntrypoint(command)
        .exec();
    return created.getId();
  }

  /**
   * A host killed before its shutdown hook ran leaves containers; remove those whose owner is proven dead or whose
   * expiry passed. An owner in another PID namespace or boot may be alive: its containers are left to their expiry.
   */
  private void reapContainersOfDeadHosts() {
    long now = System.currentTimeMillis();
    for (Container container : airlockContainers(Map.of(Owner.WORKER, "true"))) {
      Owner.of(container.getLabels()).filter(o -> o.reapableBy(owner.process(), now)).ifPresent(dead -> {
        LOG.info("removing container {} left by {}", GuestText.escape(container.getId()), dead.describe());
        remove(container.getId());
      });
    }
  }

  private List<Container> airlockContainers(Map<String, String> labels) {
    return docker.listContainersCmd().withShowAll(true).withLabelFilter(labels).exec();
  }

  private void removeOurContainers() {
    try {
      for (Container container : airlockContainers(Map.of(Owner.SESSION, owner.session()))) {
        remove(container.getId());
      }
    } catch (RuntimeException e) {
      LOG.warn("could not list this host's worker containers ({}); the next start removes them", e.toString());
    }
    WorkerChannels.deleteTree(channelRoot);
  }

  private void remove(String containerId) {
    try {
      docker.removeContainerCmd(containerId).withForce(true).withRemoveVolumes(true).exec();
    } catch (NotFoundException gone) {
      // Already removed.
    } catch (RuntimeException e) {
      LOG.warn("could not remove container {}: {}", containerId, e.toString());
    }
  }

  /** Unavailable when the engine does not answer a ping. */
  @Override
  public void probe() {
    engine.probe();
  }

  @Override
  public void close() {
    removeOurContainers();
    if (egress != null) {
      egress.close();
    }
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException shuttingDown) {
      // The hook is running or about to: it does the same work.
    }
    engine.close();
  }
}
