package dev.airlock.internal.local;

import dev.airlock.IsolationPosture.Control;
import dev.airlock.internal.backend.RefusedSyscalls;
import dev.airlock.internal.worker.WorkerLimits;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Measures a worker's sandbox instead of assuming it: a shell started exactly as a worker is (same launcher, cgroups,
 * namespaces, binds, seccomp filter), with {@code sh}, {@code cat} and {@code unshare} bound in beside the worker's
 * files, reports its mounts, its process status, its network interfaces, its environment and whether it may make a
 * user namespace; while it waits, the host reads its cgroup membership and limits back from the kernel. Only Airlock's
 * script runs in it, never a guest's, so its report can be believed for the sandbox as built at that moment.
 */
final class SandboxProbe {
  static final String END = "@@end";
  private static final int MAX_REPORT = 1 << 20;
  private static final Duration TIMEOUT = Duration.ofSeconds(20);
  /** What the script may find in its environment: the two variables the sandbox sets, and the shell's own. */
  private static final Set<String> OWN_VARIABLES = Set.of("HOME", "LANG", "PWD", "OLDPWD", "SHLVL", "_");

  /** The probe's script: its channel is descriptors 3 and 4, as a worker's. */
  static final String SCRIPT = "exec >&4 <&3; echo @@mounts; cat /proc/self/mountinfo; echo @@status; "
      + "cat /proc/self/status; echo @@limits; cat /proc/self/limits; echo @@net; cat /proc/net/dev; echo @@env; cat /proc/self/environ; echo; "
      + "echo @@unshare; unshare --user true 2>&1; echo \"exit $?\"; echo " + END + "; read line";

  /** The tools the script runs, as they exist on this host; bound into the probe's sandbox only. */
  static List<Path> tools() {
    List<Path> found = new ArrayList<>();
    for (String tool : List.of("sh", "cat", "unshare")) {
      Path path = Bubblewrap.onPath(tool);
      if (path != null) {
        found.add(path);
      }
    }
    return found;
  }

  /** The sections of a probe's report, by name. */
  record Report(Map<String, String> sections) {
    String section(String name) {
      return sections.getOrDefault(name, "");
    }
  }

  private SandboxProbe() {
  }

  /** Reads the report of a started probe; the probe then waits until its input is closed. */
  static Report read(InputStream report) throws IOException {
    CompletableFuture<String> text = CompletableFuture.supplyAsync(() -> {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] buffer = new byte[8192];
      try {
        int n;
        while (out.size() < MAX_REPORT && (n = report.read(buffer)) >= 0) {
          out.write(buffer, 0, n);
          if (out.toString(StandardCharsets.ISO_8859_1).endsWith(END + "\n")) {
            break;
          }
        }
      } catch (IOException e) {
        // What arrived is judged below.
      }
      return out.toString(StandardCharsets.UTF_8);
    });
    String all;
    try {
      all = text.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while probing the sandbox", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IOException("the sandbox probe did not report within " + TIMEOUT.toSeconds() + " s", e);
    }
    if (!all.contains(END + "\n")) {
      throw new IOException("the sandbox probe ended without its report: " + all);
    }
    Map<String, String> sections = new LinkedHashMap<>();
    String name = null;
    StringBuilder body = new StringBuilder();
    for (String line : all.split("\n", -1)) {
      if (line.startsWith("@@")) {
        if (name != null) {
          sections.put(name, body.toString());
        }
        name = line.substring(2);
        body.setLength(0);
      } else {
        body.append(line).append('\n');
      }
    }
    return new Report(sections);
  }

  /** One line of {@code /proc/self/mountinfo}: where, its per-mount options, its type and its superblock options. */
  record Mount(String point, Set<String> options, String type, Set<String> superOptions) {
    static Mount parse(String line) {
      String[] halves = line.split(" - ", 2);
      String[] own = halves[0].split(" ");
      String[] fs = halves.length > 1 ? halves[1].split(" ") : new String[0];
      return new Mount(own[4], Set.of(own[5].split(",")), fs.length > 0 ? fs[0] : "",
          fs.length > 2 ? Set.of(fs[2].split(",")) : Set.of());
    }

    boolean readOnly() {
      return options.contains("ro");
    }

    boolean boundedScratch() {
      return !readOnly() && options.containsAll(Set.of("noexec", "nosuid", "nodev")) && "tmpfs".equals(type)
          && superOptions.stream().anyMatch(o -> o.startsWith("size="));
    }
  }

  /** Writable mounts a sandbox may have: the two scratch folders and the kernel's own per-namespace views. */
  private static final Set<String> WRITABLE_ALLOWED = Set.of("/tmp", "/dev/shm", "/proc", "/dev/pts", "/dev/null",
      "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty");

  /**
   * The namespaces ({@code pid}, {@code net}, {@code mnt}, ...) that a process of the probe's tree has apart from the
   * host's, read by the host from {@code /proc/<pid>/ns}.
   */
  static Set<String> separateNamespaces(ProcessHandle probe) {
    Set<String> separate = new TreeSet<>();
    List<ProcessHandle> tree = new ArrayList<>(probe.descendants().toList());
    tree.add(probe);
    for (String kind : List.of("pid", "net", "mnt", "user", "ipc", "uts")) {
      try {
        Path own = Files.readSymbolicLink(Path.of("/proc/self/ns", kind));
        for (ProcessHandle process : tree) {
          Path theirs = Files.readSymbolicLink(Path.of("/proc", Long.toString(process.pid()), "ns", kind));
          if (!theirs.equals(own)) {
            separate.add(kind);
          }
        }
      } catch (IOException e) {
        // Gone, or not readable: not proven separate.
      }
    }
    return separate;
  }

  /**
   * The controls the report proves or disproves, for a sandbox that was meant to have namespaces and a descriptor
   * limit of {@code filesOpen}.
   */
  static List<Control> namespaceControls(Report report, Set<String> namespaces, boolean userNamespace,
      int filesOpen) {
    List<Control> c = new ArrayList<>();
    List<Mount> mounts = report.section("mounts").lines().filter(l -> !l.isBlank()).map(Mount::parse).toList();
    Map<String, Mount> byPoint = new LinkedHashMap<>();
    mounts.forEach(m -> byPoint.put(m.point(), m));
    Map<String, String> status = new LinkedHashMap<>();
    report.section("status").lines().forEach(l -> {
      int colon = l.indexOf(':');
      if (colon > 0) {
        status.put(l.substring(0, colon), l.substring(colon + 1).trim());
      }
    });

    List<String> interfaces = report.section("net").lines().filter(l -> l.contains(":") && !l.contains("|"))
        .map(l -> l.substring(0, l.indexOf(':')).trim()).toList();
    boolean network = namespaces.contains("net") && !interfaces.isEmpty() && interfaces.stream().allMatch("lo"::equals);
    c.add(new Control("network", network, "measured: " + (namespaces.contains("net") ? "own" : "the host's")
        + " network namespace, interfaces " + interfaces));

    Mount root = byPoint.get("/");
    List<String> writable = mounts.stream().filter(m -> !m.readOnly()).map(Mount::point)
        .filter(p -> !WRITABLE_ALLOWED.contains(p)).toList();
    boolean ownRoot = root != null && root.readOnly() && "tmpfs".equals(root.type());
    boolean filesystem = namespaces.contains("mnt") && ownRoot && writable.isEmpty();
    c.add(new Control("filesystem", filesystem, filesystem ? "measured: read-only root of its own with "
        + (mounts.size() - 1) + " read-only binds (the JDK, its libraries, the classpath with configuration and key "
        + "files masked); nothing else of the host" : "measured: " + (namespaces.contains("mnt") ? ""
        : "the host's mount namespace; ") + (ownRoot ? "" : "root is not a read-only root "
        + "of its own; ") + (writable.isEmpty() ? "" : "writable mounts " + writable)));

    Mount tmp = byPoint.get("/tmp");
    Mount shm = byPoint.get("/dev/shm");
    Mount dev = byPoint.get("/dev");
    boolean scratch = tmp != null && tmp.boundedScratch() && shm != null && shm.boundedScratch() && dev != null
        && dev.readOnly();
    c.add(new Control("tmp", scratch, "measured: /tmp " + describe(tmp) + ", /dev/shm " + describe(shm) + ", /dev "
        + (dev != null && dev.readOnly() ? "read-only" : "WRITABLE")));

    boolean pidNamespace = namespaces.contains("pid");
    boolean noCaps = status.getOrDefault("CapEff", "").matches("0+");
    boolean noNewPrivs = "1".equals(status.get("NoNewPrivs"));
    boolean processes = pidNamespace && noCaps;
    c.add(new Control("processes", processes, "measured: " + (pidNamespace ? "own" : "host") + " PID namespace"
        + (noCaps ? ", no capabilities" : ", capabilities " + status.get("CapEff"))
        + (noNewPrivs ? ", no new privileges" : "")
        + (namespaces.contains("user") && userNamespace ? ", user namespace (uid 65534)" : "")
        + ", killed with its parent"));

    Mount pts = byPoint.get("/dev/pts");
    boolean terminals = pts == null || (!"devpts".equals(pts.type()) && pts.readOnly());
    c.add(new Control("terminals", terminals, terminals ? "measured: no pseudo-terminals (/dev/pts "
        + (pts == null ? "missing" : "a read-only " + pts.type()) + "): the host's pty limit (kernel.pty.max) is "
        + "not the guest's to take" : "measured: /dev/pts is " + pts.type() + " " + pts.options().stream()
        .filter(o -> Set.of("ro", "rw").contains(o)).toList() + ": a guest can take every pseudo-terminal of the "
        + "host's containers and sandboxes (kernel.pty.max)"));
    c.add(coreDumps(report));
    c.add(userBudgets(report, filesOpen));

    String unshare = report.section("unshare");
    boolean filter = "2".equals(status.get("Seccomp"));
    boolean refused = unshare.contains("Operation not permitted") && !unshare.contains("exit 0");
    boolean syscalls = filter && (refused || unshare.contains("not found"));
    c.add(new Control("syscalls", syscalls, syscalls ? "measured: seccomp filter (Seccomp: 2) "
        + RefusedSyscalls.describe() + "; " + (refused ? "unshare(CLONE_NEWUSER) refused with EPERM inside"
        : "no unshare binary to exercise it") : "measured: Seccomp " + status.getOrDefault("Seccomp", "?")
        + ", unshare --user: " + unshare.trim()));
    c.add(environment(report));
    return c;
  }

  /**
   * The pids control of a worker without a pids cgroup whose launcher set {@code RLIMIT_NPROC} inside its own user
   * namespace ({@link Bubblewrap#limitsProcesses}): enforced when the probe, in a user namespace of its own, read that
   * limit back, soft and hard.
   */
  static Control processLimit(Report report, Set<String> namespaces, int limit) {
    String read = limit(report, "Max processes");
    boolean holds = namespaces.contains("user") && softAndHard(read, Integer.toString(limit));
    return new Control("pids", holds, holds ? "measured: RLIMIT_NPROC=" + limit + " set inside the worker's own user "
        + "namespace, where the kernel counts only its processes and threads (read back inside the probe)"
        : "measured: the process limit inside reads '" + read + "', expected " + limit
        + (namespaces.contains("user") ? "" : ", and the probe has no user namespace of its own"));
  }

  /**
   * The core control: the probe's core file size limit, soft and hard, is {@link Bubblewrap#CORE_BYTES}, so that a
   * crash inside makes no core file and the kernel runs no {@code core_pattern} handler on the host for it.
   */
  static Control coreDumps(Report report) {
    String read = limit(report, "Max core file size");
    boolean holds = softAndHard(read, Bubblewrap.CORE_BYTES);
    return new Control("core", holds, holds ? "measured: core file size limit of " + Bubblewrap.CORE_BYTES
        + " byte, soft and hard: a crash writes no core and runs no core_pattern handler on the host"
        : "measured: core file size limit reads '" + read + "': a guest's crash goes to the host's core_pattern, "
        + "often a handler run as root outside the sandbox (install prlimit, util-linux, to limit it)");
  }

  /**
   * The host-user control: the probe's limits on the kernel budgets it shares with the host user read back as set
   * ({@link WorkerLimits}, {@link Bubblewrap#SIGNALS_PENDING}), soft and hard. A bubblewrap worker is the host user
   * in the kernel's per-user books, so without them a guest takes the user's whole budget and the user's own
   * processes, the host JVM's included, are refused.
   */
  static Control userBudgets(Report report, int filesOpen) {
    String files = limit(report, "Max open files");
    String locked = limit(report, "Max locked memory");
    String signals = limit(report, "Max pending signals");
    List<String> missing = new ArrayList<>();
    if (!softAndHard(files, Integer.toString(filesOpen))) {
      missing.add("open files '" + files + "' (descriptors in flight over Unix sockets)");
    }
    if (!softAndHard(locked, Long.toString(WorkerLimits.LOCKED_BYTES))) {
      missing.add("locked memory '" + locked + "' (SHM_LOCK)");
    }
    if (!softAndHard(signals, Integer.toString(Bubblewrap.SIGNALS_PENDING))) {
      missing.add("pending signals '" + signals + "' (queued signals and POSIX timers)");
    }
    return new Control("host-user", missing.isEmpty(), missing.isEmpty() ? "measured: RLIMIT_NOFILE="
        + filesOpen + ", RLIMIT_MEMLOCK=" + WorkerLimits.LOCKED_BYTES + " and RLIMIT_SIGPENDING="
        + Bubblewrap.SIGNALS_PENDING + ", soft and hard: of the host user's budgets a guest holds at most "
        + WorkerLimits.filesInFlight(filesOpen) + " descriptors in flight, no locked shared memory and "
        + Bubblewrap.SIGNALS_PENDING + " queued signals and timers (read back inside the probe); epoll watches and "
        + "pipe buffers are not bounded" : "measured: the limits inside read " + String.join(", ", missing)
        + ": a guest can take that budget of the host user, whose own processes are then refused (install prlimit "
        + "and unshare, util-linux; pending signals need Linux 5.14 or later)");
  }

  /** A limit of {@code /proc/self/limits} in the probe, soft and hard, or "missing". */
  private static String limit(Report report, String name) {
    return report.section("limits").lines().filter(l -> l.startsWith(name)).findFirst()
        .map(l -> l.substring(name.length()).trim()).orElse("missing");
  }

  private static boolean softAndHard(String read, String expected) {
    String[] values = read.split("\\s+");
    return values.length >= 2 && values[0].equals(expected) && values[1].equals(expected);
  }

  /** The environment control: only the sandbox's own variables are there. */
  static Control environment(Report report) {
    List<String> names = new ArrayList<>();
    for (String pair : report.section("env").split("\0")) {
      int eq = pair.indexOf('=');
      if (eq > 0) {
        names.add(pair.substring(0, eq).trim());
      }
    }
    List<String> foreign = names.stream().filter(n -> !OWN_VARIABLES.contains(n)).toList();
    return new Control("environment", foreign.isEmpty(), foreign.isEmpty()
        ? "measured: cleared, only " + names + " set" : "measured: host variables " + foreign + " reach the worker");
  }

  private static String describe(Mount mount) {
    if (mount == null) {
      return "missing";
    }
    return (mount.boundedScratch() ? "" : "UNBOUNDED OR EXECUTABLE ") + mount.type() + " " + mount.options()
        .stream().filter(o -> Set.of("ro", "rw", "noexec", "nosuid", "nodev").contains(o)).sorted().toList()
        + " " + mount.superOptions().stream().filter(o -> o.startsWith("size=")).findFirst().orElse("no size");
  }
}
