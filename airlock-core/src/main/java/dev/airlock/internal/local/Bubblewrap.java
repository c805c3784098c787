package dev.airlock.internal.local;

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
 * classpath, a private size-bounded {@code /tmp}, an empty environment, no capabilities, and death with its parent.
 */
final class Bubblewrap {
  private final Path executable;
  private final boolean userNamespace;

  private Bubblewrap(Path executable, boolean userNamespace) {
    this.executable = executable;
    this.userNamespace = userNamespace;
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
   * The bwrap prefix for one worker; the java command follows it. {@code readOnly} are the classpath and the class
   * data archive; {@code writable} is null except for the worker that makes that archive.
   */
  List<String> command(JdkFiles jdk, List<Path> readOnly, Path writable, long tmpBytes) {
    List<String> cmd = new ArrayList<>(List.of(executable.toString(), "--unshare-all"));
    if (userNamespace) {
      cmd.addAll(List.of("--unshare-user", "--uid", "65534", "--gid", "65534"));
    }
    cmd.addAll(List.of("--die-with-parent", "--new-session", "--clearenv", "--cap-drop", "ALL",
        "--hostname", "airlock-sandbox", "--proc", "/proc", "--dev", "/dev",
        "--size", Long.toString(tmpBytes), "--tmpfs", "/tmp",
        "--setenv", "HOME", "/tmp", "--setenv", "LANG", "C.UTF-8"));
    bind(cmd, jdk.home());
    for (Path file : jdk.outside()) {
      bind(cmd, file);
    }
    for (Path entry : readOnly) {
      bind(cmd, entry);
    }
    if (writable != null) {
      cmd.addAll(List.of("--bind", writable.toString(), writable.toString()));
    }
    cmd.addAll(List.of("--chdir", "/tmp", "--"));
    return cmd;
  }

  private static void bind(List<String> cmd, Path path) {
    try {
      cmd.addAll(List.of("--ro-bind", path.toRealPath().toString(), path.toString()));
    } catch (IOException e) {
      // Vanished since it was listed: nothing to bind.
    }
  }
}
