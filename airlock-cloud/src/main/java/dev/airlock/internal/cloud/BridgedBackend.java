package dev.airlock.internal.cloud;

import dev.airlock.IsolationPosture;
import dev.airlock.SandboxUnavailableException;
import dev.airlock.internal.backend.GuestText;
import dev.airlock.internal.backend.HostProcess;
import dev.airlock.internal.worker.WorkerClasspath;
import dev.airlock.spi.SandboxBackend;
import dev.airlock.spi.WorkerHandle;
import dev.airlock.spi.WorkerSpec;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A backend whose workers each run in a cloud sandbox of their own, behind the {@link WorkerBridge}. Launching a
 * worker creates a sandbox from the provider's Airlock template, gives it a token, checks for a running bridge
 * (started when the template did not), sends it the application's classpath entries it does not hold yet and starts
 * one worker JVM in it; killing the worker kills the sandbox. Code of one call therefore never shares a VM with the
 * bridge of another call's sandbox, nor with its arguments. Each sandbox is labelled with this host and pool, lives a
 * short lifetime that is extended while its worker lives, and is killed on close at the latest; sandboxes of host
 * processes proven dead are reaped, and those of any other owner are left to their lifetime, which only a live
 * owner extends.
 */
public final class BridgedBackend implements SandboxBackend {
  private static final Logger LOG = LoggerFactory.getLogger(BridgedBackend.class);
  public static final String OWNER_LABEL = "airlock-owner";
  public static final String HOST_LABEL = "airlock-host";
  public static final String POOL_LABEL = "airlock-pool";
  /** The owner's {@link HostProcess}: boot id, PID namespace and start time, next to the pid in the owner label. */
  public static final String BOOT_LABEL = "airlock-boot";
  public static final String PID_NAMESPACE_LABEL = "airlock-pidns";
  public static final String STARTED_LABEL = "airlock-started";
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Settings settings;
  private final SandboxService service;
  private final HttpCalls calls;
  private final List<Path> classpath;
  private final Map<String, String> labels;
  private final LiveSandboxes live;
  /** Runs each sandbox creation, so its caller can leave at its deadline while the control plane still works. */
  private final ExecutorService creator;
  /** Creations whose caller left at its deadline, still unanswered: the next launch waits for one of them. */
  private final Deque<Creation> left = new ArrayDeque<>();
  private final HostProcess self = HostProcess.current();
  private List<ClasspathEntry> hashedClasspath;
  private boolean reaped;
  private boolean closed;

  /**
   * What a provider decides.
   *
   * @param name the backend's name ({@code e2b}, {@code morph})
   * @param home the Airlock folder inside the sandbox (classpath store, token, sockets)
   * @param bridgeCommand how to start the bridge when the template has not
   * @param lifetime how long a sandbox outlives its last extension; extended every third of it
   * @param bridgeGrace how long to wait for a template's bridge before starting one
   * @param uploadBatchBytes how many bytes of files one upload request may carry
   * @param anyClasspathFolder whether a classpath folder that is not build output is shipped (configuration and
   *     keys still left out), {@code airlock.local.classpath-folders=any}; else it is refused
   */
  public record Settings(String name, String home, List<String> bridgeCommand, Duration lifetime,
      Duration bridgeGrace, long uploadBatchBytes, IsolationPosture posture, boolean anyClasspathFolder) {
    public Settings {
      bridgeCommand = List.copyOf(bridgeCommand);
    }

    /** Build-output classpath folders only. */
    public Settings(String name, String home, List<String> bridgeCommand, Duration lifetime, Duration bridgeGrace,
        long uploadBatchBytes, IsolationPosture posture) {
      this(name, home, bridgeCommand, lifetime, bridgeGrace, uploadBatchBytes, posture, false);
    }
  }

  public BridgedBackend(Settings settings, SandboxService service, HttpCalls calls) {
    this(settings, service, calls, WorkerClasspath.ofThisJvm());
  }

  BridgedBackend(Settings settings, SandboxService service, HttpCalls calls, List<Path> classpath) {
    this.settings = settings;
    this.service = service;
    this.calls = calls;
    this.classpath = List.copyOf(classpath);
    this.labels = ownLabels(self);
    this.live = new LiveSandboxes(settings.name(), settings.lifetime());
    this.creator = Executors.newCachedThreadPool(
        r -> LiveSandboxes.daemon(r, "airlock-" + settings.name() + "-create"));
  }

  private static Map<String, String> ownLabels(HostProcess self) {
    String host = hostName();
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(OWNER_LABEL, host + "/" + self.pid());
    labels.put(HOST_LABEL, host);
    labels.put(POOL_LABEL, UUID.randomUUID().toString());
    labels.put(BOOT_LABEL, self.boot());
    labels.put(PID_NAMESPACE_LABEL, self.pidNamespace());
    labels.put(STARTED_LABEL, Long.toString(self.started()));
    return Map.copyOf(labels);
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "unknown-host";
    }
  }

  /** The labels every sandbox of this backend carries. */
  public Map<String, String> labels() {
    return labels;
  }

  @Override
  public String name() {
    return settings.name();
  }

  @Override
  public IsolationPosture posture() {
    return settings.posture();
  }

  /** Creates and prepares a sandbox for one worker; a sandbox that could not be prepared is killed. */
  @Override
  public WorkerHandle launch(WorkerSpec spec) {
    long deadline = System.nanoTime() + spec.startTimeout().toNanos();
    List<ClasspathEntry> shipped = beforeFirstSandbox();
    CloudSandbox sandbox = createBy(deadline);
    live.add(sandbox);
    try {
      String token = HexFormat.of().formatHex(randomBytes());
      sandbox.upload(List.of(SandboxFile.of(settings.home() + "/" + BridgeProtocol.TOKEN_FILE,
          token.getBytes(StandardCharsets.UTF_8))), deadline);
      BridgeClient bridge = new BridgeClient(sandbox, calls, token);
      awaitBridge(sandbox, bridge, deadline);
      shipClasspath(sandbox, bridge, shipped, deadline);
      long startBy = Math.max(deadline, System.nanoTime() + 1_000_000_000L);
      BridgeWorker worker = bridge.startWorker(shipped, spec.memoryMb(), startBy, () -> live.kill(sandbox));
      worker.egress(service.egress(sandbox).orElse(null), service.egressUnsupported().orElse(null));
      live.extendWhile(sandbox, worker::isAlive);
      LOG.debug("{} sandbox {} runs worker {}", settings.name(), sandbox.id(), worker.id());
      return worker;
    } catch (IOException | RuntimeException e) {
      live.killNow(sandbox);
      if (e instanceof SandboxUnavailableException u) {
        throw u;
      }
      throw new SandboxUnavailableException("could not prepare " + settings.name() + " sandbox " + sandbox.id()
          + " for a worker: " + e.getMessage(), e);
    }
  }

  /**
   * Creates a sandbox by the caller's start deadline. The control plane is trusted but can be slow, and its request
   * has only a timeout per read, so a caller waited past its call's own timeout for as long as the control plane
   * took. A creation its caller left stays unanswered after the pool freed that caller's slot, so the next launch
   * waits for it rather than asking for one more: each call that left a slow creation asked for another sandbox, on
   * another thread, beside the pool's max-size (E2bLifecycleTest). A sandbox whose creation nobody waits for any more
   * when it comes is killed as soon as it is known.
   */
  private CloudSandbox createBy(long deadline) {
    Creation creation;
    synchronized (left) {
      creation = left.poll();
      if (creation == null) {
        creation = new Creation(CompletableFuture.supplyAsync(() -> service.create(labels, settings.lifetime()),
            creator));
      }
      creation.claimed = true;
    }
    try {
      return creation.answer.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException cause) {
        throw cause;
      }
      throw new SandboxUnavailableException(settings.name() + " could not create a sandbox: " + e.getCause(),
          e.getCause());
    } catch (TimeoutException | InterruptedException e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      leave(creation);
      throw new SandboxUnavailableException("the " + settings.name() + " control plane did not create a sandbox "
          + "within the call's start time; the next call waits for it, else it is killed when it comes. Raise the "
          + "call's timeout if the provider is slow to start sandboxes");
    }
  }

  /** A caller leaves {@code creation} to the next launch; answered while nobody waits, it is dropped (and killed). */
  private void leave(Creation creation) {
    synchronized (left) {
      creation.claimed = false;
      left.add(creation);
    }
    creation.answer.whenComplete((sandbox, failure) -> {
      boolean unclaimed;
      synchronized (left) {
        unclaimed = !creation.claimed && left.remove(creation);
      }
      if (unclaimed && sandbox != null) {
        sandbox.kill();
      }
    });
  }

  /** A sandbox creation on {@link #creator}; {@code claimed} while a launch waits for it (guarded by {@link #left}). */
  private static final class Creation {
    final CompletableFuture<CloudSandbox> answer;
    boolean claimed;

    Creation(CompletableFuture<CloudSandbox> answer) {
      this.answer = answer;
    }
  }

  /** Once per backend: reaps what dead processes of this host left, and hashes the classpath to ship. */
  private synchronized List<ClasspathEntry> beforeFirstSandbox() {
    if (closed) {
      throw new SandboxUnavailableException("the " + settings.name() + " backend is closed");
    }
    if (!reaped) {
      reaped = true;
      reapSandboxesOfDeadHosts();
    }
    if (hashedClasspath == null) {
      // The same rule as a bound classpath: a working directory on it would ship every file in it.
      classpath.forEach(entry -> WorkerClasspath.readableEntry(entry, settings.anyClasspathFolder()));
      hashedClasspath = classpath.stream().map(ClasspathEntry::of).toList();
    }
    return hashedClasspath;
  }

  private static byte[] randomBytes() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return bytes;
  }

  /**
   * A template snapshot has the bridge running already; when its port is still closed after a short grace, the
   * bridge is started through the provider's process API.
   */
  private void awaitBridge(CloudSandbox sandbox, BridgeClient bridge, long deadline) throws IOException {
    long grace = Math.min(deadline, System.nanoTime() + settings.bridgeGrace().toNanos());
    if (bridge.awaitReady(grace)) {
      return;
    }
    LOG.info("no worker bridge answered in {} sandbox {}; starting one", settings.name(), sandbox.id());
    sandbox.startBridge(settings.bridgeCommand(), deadline);
    if (bridge.awaitReady(deadline)) {
      sandbox.bridgeReady();
    } else {
      throw new SandboxUnavailableException("the worker bridge in " + settings.name() + " sandbox " + sandbox.id()
          + " did not open its port in time: check that the sandbox template is Airlock's (see docs/cloud.md)");
    }
  }

  /** Uploads the classpath entries the sandbox does not hold yet, in batches, and checks the bridge sees them. */
  private void shipClasspath(CloudSandbox sandbox, BridgeClient bridge, List<ClasspathEntry> entries, long deadline)
      throws IOException {
    Set<String> missing = Set.copyOf(bridge.missing(entries, deadline));
    List<SandboxFile> batch = new ArrayList<>();
    long batchBytes = 0;
    int shipped = 0;
    for (int i = 0; i < entries.size(); i++) {
      ClasspathEntry entry = entries.get(i);
      if (!missing.contains(entry.hash())) {
        continue;
      }
      shipped++;
      for (SandboxFile file : entry.uploads(settings.home(), classpath.get(i))) {
        if (!batch.isEmpty() && batchBytes + file.size() > settings.uploadBatchBytes()) {
          sandbox.upload(batch, deadline);
          batch = new ArrayList<>();
          batchBytes = 0;
        }
        batch.add(file);
        batchBytes += file.size();
      }
    }
    if (!batch.isEmpty()) {
      sandbox.upload(batch, deadline);
    }
    // The bridge's list is guest text: the message names only the host's own entries it matches, and counts the rest.
    Set<String> stillMissing = Set.copyOf(bridge.missing(entries, deadline));
    if (!stillMissing.isEmpty()) {
      List<String> ours = entries.stream().filter(e -> stillMissing.contains(e.hash())).map(ClasspathEntry::name)
          .limit(10).toList();
      throw new IOException("classpath entries did not arrive intact: " + stillMissing.size() + " reported missing"
          + (ours.isEmpty() ? "" : ", among them " + ours)
          + "; check the sandbox's disk space and the provider's upload limits");
    }
    LOG.debug("{} sandbox {}: shipped {} of {} classpath entries", settings.name(), sandbox.id(), shipped,
        entries.size());
  }

  /**
   * Kills sandboxes whose owner is proven dead: a process of this boot and PID namespace that is no longer running.
   * An owner this process cannot see (another PID namespace, machine or boot, or labels from an older version) may be
   * alive; its sandboxes end at their lifetime once nobody extends them. Best effort.
   */
  private void reapSandboxesOfDeadHosts() {
    try {
      for (SandboxService.Listed listed : service.list(Map.of(HOST_LABEL, labels.get(HOST_LABEL)))) {
        HostProcess owner = ownerOf(listed.labels());
        if (owner != null && owner.provenDeadFrom(self)) {
          LOG.info("reaping {} sandbox {} of dead host process {}", settings.name(), labelForLog(listed.id()),
              labelForLog(listed.labels().get(OWNER_LABEL)));
          service.kill(listed.id());
        }
      }
    } catch (IOException | RuntimeException e) {
      LOG.warn("could not reap {} sandboxes of dead host processes: {}", settings.name(), e.getMessage());
    }
  }

  /**
   * A sandbox's id or label as the reaper logs it: whoever shares the account labels sandboxes as it likes, so the
   * text is escaped and clipped, never quoted raw into the host's log.
   */
  static String labelForLog(String text) {
    if (text == null) {
      return "none";
    }
    return GuestText.escape(text, 128);
  }

  /** The owner a sandbox's labels name, or null when they are incomplete. */
  static HostProcess ownerOf(Map<String, String> labels) {
    String owner = labels.getOrDefault(OWNER_LABEL, "");
    String pid = owner.substring(owner.lastIndexOf('/') + 1);
    String started = labels.getOrDefault(STARTED_LABEL, "");
    if (!pid.matches("[0-9]{1,10}") || !started.matches("[0-9]{1,19}")) {
      return null;
    }
    return new HostProcess(labels.get(BOOT_LABEL), labels.get(PID_NAMESPACE_LABEL), Long.parseLong(pid),
        Long.parseLong(started));
  }

  /** Unavailable when the provider's API does not answer, or refuses the key, for a listing of this pool's own. */
  @Override
  public void probe() {
    try {
      service.list(labels);
    } catch (SandboxUnavailableException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw new SandboxUnavailableException("the " + settings.name() + " API does not answer: " + e.getMessage(), e);
    }
  }

  /** Kills every sandbox still running. */
  @Override
  public void close() {
    synchronized (this) {
      closed = true;
    }
    creator.shutdown();
    live.close();
    service.close();
  }
}
