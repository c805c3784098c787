package dev.airlock.internal.doctor;

import dev.airlock.IsolationPosture;
import dev.airlock.IsolationPosture.Control;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** The exact fix for each thing a backend could not do on this machine. */
final class Fixes {
  static final String BUBBLEWRAP = "install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf "
      + "install bubblewrap) and allow user namespaces (sysctl kernel.unprivileged_userns_clone=1), so workers get "
      + "empty network, PID and mount namespaces";
  static final String CGROUP = "run the application as root, or delegate a cgroup v2 subtree with the memory, pids "
      + "and cpu controllers to its user (systemd: run it as a service with Delegate=yes, or under systemd-run "
      + "--user -p Delegate=yes), so workers get kernel memory, pids and CPU limits";
  static final String DOCKER = "start the Docker engine (systemctl start docker) and let this user reach its socket "
      + "(DOCKER_HOST, or membership of the docker group)";

  private Fixes() {
  }

  /** One fix per missing capability (several controls often share one). */
  static List<String> forPosture(IsolationPosture posture) {
    Set<String> fixes = new LinkedHashSet<>();
    for (Control control : posture.controls()) {
      if (!control.enforced()) {
        fixes.add(forControl(posture.backend(), control));
      } else if (posture.backend().equals("local") && control.how().startsWith("-Xmx only")) {
        // Enforced for the heap only: native memory (threads, direct buffers) needs the cgroup.
        fixes.add(CGROUP);
      }
    }
    return new ArrayList<>(fixes);
  }

  private static String forControl(String backend, Control control) {
    if (!backend.equals("local")) {
      return control.name() + " is not enforced by the " + backend + " backend: " + control.how();
    }
    switch (control.name()) {
      case "network":
      case "filesystem":
      case "processes":
        return BUBBLEWRAP;
      default:
        return CGROUP;
    }
  }

  /** The backend's own message names its fix; a few backends get the operator's step spelled out as well. */
  static List<String> forUnavailable(String backend, String problem) {
    List<String> fixes = new ArrayList<>();
    if (problem.contains("Invalid Airlock configuration: no backend named")) {
      fixes.add("fix airlock.backend: it names none of Airlock's backends (local, docker, e2b, morph)");
    } else if (problem.contains("no backend named")) {
      fixes.add("add the dev.airlock:airlock-" + backend + " module to the application (with the doctor: --cp "
          + "<the application's classpath>), or choose a backend that is on the classpath");
    } else if (backend.equals("local") && problem.contains("bubblewrap")) {
      fixes.add(BUBBLEWRAP);
    } else if (backend.equals("docker") && problem.contains("does not answer")) {
      fixes.add(DOCKER);
    } else if (backend.equals("e2b")) {
      fixes.add("set E2B_API_KEY (or airlock.e2b.api-key) to a key from the E2B dashboard");
    } else if (backend.equals("morph")) {
      fixes.add("set MORPH_API_KEY (or airlock.morph.api-key) to a key from the Morph Cloud console");
    }
    return fixes;
  }
}
