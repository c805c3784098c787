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
    return controls.stream().filter(c -> c.name().equals(name)).findFirst();
  }

  public boolean enforces(String name) {
    return control(name).map(Control::enforced).orElse(false);
  }

  /**
   * Whether the worker is separated from the host at all: its own view of the filesystem and its own process space
   * (namespaces, a container, a VM). Every backend reports these controls as enforced exactly when it isolates;
   * Docker reports no "processes" control and the cloud VMs report "network" as open to the internet, so those are
   * not part of the test.
   */
  public boolean isolating() {
    return enforces("filesystem") && control("processes").map(Control::enforced).orElse(true);
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
