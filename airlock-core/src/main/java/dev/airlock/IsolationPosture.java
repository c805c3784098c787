package dev.airlock;

import java.util.List;
import java.util.Optional;

/**
 * What a backend actually enforces, control by control, as measured when it started, not as configured.
 *
 * @param backend the backend's name
 * @param controls one entry per control: network, filesystem, memory, pids, cpu, environment, ...
 */
public record IsolationPosture(String backend, List<Control> controls) {

  public IsolationPosture {
    controls = List.copyOf(controls);
  }

  /** One control: whether it holds and how it is enforced (or why not). */
  public record Control(String name, boolean enforced, String how) {
  }

  public Optional<Control> control(String name) {
    // A loop, not a stream: a required call asks this on its path, and a stream's lambdas are linked on first use.
    for (Control c : controls) {
      if (c.name().equals(name)) {
        return Optional.of(c);
      }
    }
    return Optional.empty();
  }

  public boolean enforces(String name) {
    Optional<Control> control = control(name);
    return control.isPresent() && control.get().enforced();
  }

  /**
   * Whether a worker is cut off from the host: it has its own filesystem view (no host file beyond what the backend
   * shows it read-only) and its own process space (no host process visible or reachable). A backend without these
   * runs code in a plain child process, which a call that requires a sandbox must not run in. Derived from the
   * controls {@code filesystem} and {@code processes}; a control a backend does not report does not hold. The
   * {@code network} control is reported on its own: a cloud VM with outbound internet still has no route to the
   * host, and the local backend has all three or none.
   */
  public boolean isolating() {
    return enforces("filesystem") && enforces("processes");
  }

  /** A multi-line table, one control per line, for logs and samples. */
  public String describe() {
    StringBuilder sb = new StringBuilder("isolation posture of backend '" + backend + "':");
    for (Control c : controls) {
      sb.append(String.format("%n  %-12s %-12s %s", c.name(), c.enforced() ? "enforced" : "NOT ENFORCED", c.how()));
    }
    return sb.toString();
  }
}
