package dev.airlock.internal.local;

import dev.airlock.internal.worker.WorkerClasspath;
import dev.airlock.internal.worker.WorkerLimits;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * bubblewrap as the local backend uses it: found on the PATH, probed once, and turned into a command line that
 * gives a worker new network, PID, IPC, UTS, user and mount namespaces, read-only binds of exactly the JDK and the
 * classpath, a private size-bounded {@code /tmp}, no pseudo-terminals, an empty environment, no capabilities, a
 * seccomp filter, no core dumps, limits on what it may take of the host user's per-user kernel budgets
 * ({@link WorkerLimits}, and pending signals), a process limit of its own where the kernel allows one (see
 * {@link #limitsProcesses}), and death with its parent.
 */
final class Bubblewrap {
  /** The descriptor the launcher opens the seccomp program on, for bwrap to read. */
  static final int SECCOMP_FD = 5;

  /**
   * The queued signals and POSIX timers a worker may hold. The kernel counts them against {@code RLIMIT_SIGPENDING}
   * of their user in every user namespace up to the host's, root included, so without a limit of its own a guest
   * took the host user's whole budget (about 96,000 on a 24 GiB machine) and the user's other processes failed
   * {@code timer_create} and {@code sigqueue}; a JVM queues none of its own.
   */
  static final int SIGNALS_PENDING = 1024;

  /**
   * A worker's core file size, soft and hard: one byte. A crash of a guest process (the worker JVM, or a JVM or other
   * program it starts) otherwise goes to the host's {@code kernel.core_pattern}, on many hosts a pipe to a handler
   * (systemd-coredump, apport) that the kernel runs as root on the host, outside the worker's namespaces and cgroups,
   * and fed the whole image: a guest's crashing JVMs had 250-350 MB each piped to such a handler, three a second.
   * A limit of 0 does not stop that (for a pipe the kernel only passes the limit on), 1 does: it is the kernel's own
   * mark for "no core to a pipe", and below a page for a file (attack review 35).
   */
  static final String CORE_BYTES = "1";

  private final Path executable;
  private final boolean userNamespace;
  private final Path unshare;
  /** Sets a worker's limits; null when the host has no {@code prlimit}. */
  private final Path prlimit;
  /** Whether {@link #prlimit} runs inside the outer user namespace, where limits counted per user are the worker's. */
  private final boolean namespacedLimits;
  private final boolean limitsProcesses;

  private Bubblewrap(Path executable, boolean userNamespace) {
    this.executable = executable;
    this.userNamespace = userNamespace;
    this.unshare = onPath("unshare");
    this.prlimit = onPath("prlimit");
    this.namespacedLimits = prlimit != null && userNamespace && unshare != null
        && HostUser.limitsCountedPerNamespace();
    this.limitsProcesses = namespacedLimits && !HostUser.isRoot();
  }

  /** The usable bubblewrap, or the reason there is none. */
  static Probe probe() {
    Path bwrap = onPath("bwrap");
    if (bwrap == null) {
      return new Probe(null, "bubblewrap (bwrap) is not installed; install it with your package manager "
          + "(Debian/Ubuntu: apt-get install bubblewrap)");
    }
    String failure = null;
    for (boolean user : new boolean[] {true, false}) {
      List<String> cmd = new ArrayList<>(List.of(bwrap.toString(), "--unshare-all"));
      if (user) {
        cmd.add("--unshare-user");
      }
      cmd.addAll(List.of("--die-with-parent", "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "true"));
      try {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).trim();
        if (p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0) {
          return new Probe(new Bubblewrap(bwrap, user), null);
        }
        failure = bwrap + " cannot create namespaces here: " + out;
      } catch (IOException e) {
        failure = bwrap + " could not be run: " + e.getMessage();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        failure = "interrupted while probing bubblewrap";
      }
    }
    return new Probe(null, failure + " (user namespaces may be disabled: sysctl kernel.unprivileged_userns_clone)");
  }

  record Probe(Bubblewrap bubblewrap, String missing) {
  }

  static Path onPath(String name) {
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
      Path candidate = Path.of(dir, name);
      if (Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    for (String dir : List.of("/usr/bin", "/bin", "/usr/local/bin")) {
      Path candidate = Path.of(dir, name);
      if (Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    return null;
  }

  boolean userNamespace() {
    return userNamespace;
  }

  /**
   * Whether workers get {@code RLIMIT_NPROC} of the pids limit, set inside their own user namespace: since Linux 5.14
   * the kernel counts a process against the limit in every user namespace it is nested in, each against the limit of
   * the process that made the namespace below, so a limit set after {@code unshare} made the outer namespace counts
   * only the worker's processes and threads (set outside, it counted every thread of the host user, which is why no
   * limit is set there), while the host user's own limit still counts them too. Root is exempt from the limit, and
   * has cgroups for it. Only for a non-root host user on such a kernel, with user namespaces and {@code unshare}.
   * {@link #SIGNALS_PENDING} is set the same way, for root too.
   */
  boolean limitsProcesses() {
    return limitsProcesses;
  }

  /**
   * The prefix for one worker; the java command follows it. {@code view} binds the classpath (masked, see
   * {@link WorkerClasspath#readableView}) and the class data archive; {@code writable} is null except for the worker
   * that makes that archive.
   *
   * <p>{@code /} and {@code /dev} are read-only. The only writable place is one {@code noexec,nosuid,nodev} tmpfs of
   * {@code tmpBytes}, seen as both {@code /tmp} and {@code /dev/shm}, whose pages count against the worker's memory
   * cgroup. bwrap cannot mount a tmpfs {@code noexec}, so {@code unshare} mounts it in a private mount namespace first,
   * over {@code mountPoint}, and bwrap binds it (one mount: each extra command costs every worker start a fork);
   * without {@code unshare} they are bwrap's own tmpfs mounts, executable, which the measured posture then reports.
   * The seccomp program is read from descriptor {@link #SECCOMP_FD}, which the launcher opens.
   */
  List<String> command(JdkFiles jdk, List<WorkerClasspath.Mount> view, Path writable, long tmpBytes, Path mountPoint,
      boolean seccomp, int processLimit, int filesOpen) {
    List<String> cmd = new ArrayList<>();
    boolean privateTmpfs = unshare != null;
    if (privateTmpfs) {
      cmd.add(unshare.toString());
      if (userNamespace) {
        cmd.addAll(List.of("--user", "--map-root-user"));
      }
      cmd.addAll(List.of("--mount", "--propagation", "private", "/bin/sh", "-c",
          "mount -t tmpfs -o size=" + tmpBytes + ",mode=1777,noexec,nosuid,nodev airlock-tmp \"$0\" && exec \"$@\"",
          mountPoint.toString()));
    }
    if (prlimit != null) {
      // Exec'd by the shell above, inside the user namespace unshare made when there is one: see limitsProcesses.
      cmd.addAll(List.of(prlimit.toString(), "--core=" + CORE_BYTES + ":" + CORE_BYTES,
          "--nofile=" + filesOpen + ":" + filesOpen,
          "--memlock=" + WorkerLimits.LOCKED_BYTES + ":" + WorkerLimits.LOCKED_BYTES));
      if (namespacedLimits) {
        cmd.add("--sigpending=" + SIGNALS_PENDING + ":" + SIGNALS_PENDING);
      }
      if (limitsProcesses) {
        cmd.add("--nproc=" + processLimit + ":" + processLimit);
      }
    }
    cmd.addAll(List.of(executable.toString(), "--unshare-all"));
    if (userNamespace) {
      cmd.addAll(List.of("--unshare-user", "--disable-userns", "--uid", "65534", "--gid", "65534"));
    }
    cmd.addAll(List.of("--die-with-parent", "--new-session", "--clearenv", "--cap-drop", "ALL",
        "--hostname", "airlock-sandbox", "--proc", "/proc", "--dev", "/dev"));
    if (privateTmpfs) {
      cmd.addAll(List.of("--bind", mountPoint.toString(), "/dev/shm", "--bind", mountPoint.toString(), "/tmp"));
    } else {
      cmd.addAll(List.of("--perms", "1777", "--size", Long.toString(tmpBytes / 2), "--tmpfs", "/dev/shm",
          "--perms", "1777", "--size", Long.toString(tmpBytes / 2), "--tmpfs", "/tmp"));
    }
    // No pseudo-terminals: every devpts instance but the host's first draws on one kernel limit for the whole host
    // (kernel.pty.max less its reserve, 3,072 by default), and a guest opened all of them, so that no container or
    // other sandbox on the host could get a terminal while it held them (attack review 35). A worker needs none.
    cmd.addAll(List.of("--tmpfs", "/dev/pts", "--remount-ro", "/dev/pts"));
    cmd.addAll(List.of("--remount-ro", "/dev", "--setenv", "HOME", "/tmp", "--setenv", "LANG", "C.UTF-8"));
    if (seccomp) {
      cmd.addAll(List.of("--seccomp", Integer.toString(SECCOMP_FD)));
    }
    bind(cmd, jdk.home(), jdk.home());
    for (Path file : jdk.outside()) {
      bind(cmd, file, file);
    }
    for (Path folder : jdk.masked()) {
      // Empty and read-only (a tmpfs is made writable, and the final remount of / does not reach it).
      cmd.addAll(List.of("--tmpfs", folder.toString(), "--remount-ro", folder.toString()));
    }
    for (WorkerClasspath.Mount mount : view) {
      bind(cmd, mount.source(), mount.target());
    }
    if (writable != null) {
      cmd.addAll(List.of("--bind", writable.toString(), writable.toString()));
    }
    cmd.addAll(List.of("--remount-ro", "/", "--chdir", "/tmp", "--"));
    return cmd;
  }

  private static void bind(List<String> cmd, Path source, Path target) {
    try {
      cmd.addAll(List.of("--ro-bind", source.toRealPath().toString(), target.toString()));
    } catch (IOException e) {
      // Vanished since it was listed: nothing to bind.
    }
  }
}
