package dev.airlock.internal.intercept;

import dev.airlock.SandboxExecutionException;
import dev.airlock.internal.backend.EgressControl;
import dev.airlock.internal.backend.EgressSettings;
import dev.airlock.internal.egress.EgressReport;
import dev.airlock.internal.egress.EgressRules;
import dev.airlock.spi.WorkerHandle;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * One call's egress: the hosts the call itself may reach ({@code @Airlock(egress)} and its policy's {@code egress};
 * the pool adds {@code airlock.egress.allow}), and once it ran, the proxy's report of what it did. The effective allow
 * list is the union of the three: each is a grant, by the tool's author, its policy's owner, the operator; nothing
 * is allowed unless one of them names it.
 */
public final class CallEgress {
  private final List<String> entries;
  private volatile EgressReport report;
  private volatile String unmeasured;

  private CallEgress(List<String> entries) {
    this.entries = List.copyOf(entries);
  }

  /** A call that adds no host to the pool's own list. */
  public static CallEgress none() {
    return new CallEgress(List.of());
  }

  /** The entries of an annotation and its policy, in that order, each once. */
  public static CallEgress of(String[] annotated, List<String> policy) {
    Set<String> all = new LinkedHashSet<>(List.of(annotated));
    all.addAll(policy);
    return new CallEgress(List.copyOf(all));
  }

  public List<String> entries() {
    return entries;
  }

  /** What the proxy saw of the call; empty before it ran, when it never reached a worker, or the worker has none. */
  public Optional<EgressReport> report() {
    return Optional.ofNullable(report);
  }

  /**
   * Set with {@link #report()} when the worker's egress is enforced where Airlock cannot see it (E2B's firewall):
   * what the report does not measure, and why. The report's zeros are then no measurement.
   */
  public Optional<String> unmeasured() {
    return Optional.ofNullable(unmeasured);
  }

  /**
   * Opens {@code worker}'s egress for this call under the pool's {@code settings}, and returns what closes it again.
   * A call that names hosts on a worker without an egress path is refused before it is sent, never run with less
   * (it would only fail later, less clearly) nor on the host.
   */
  public Opened begin(WorkerHandle worker, EgressSettings settings, String backend) {
    Set<String> all = new LinkedHashSet<>(settings.allow());
    all.addAll(entries);
    EgressRules rules;
    try {
      rules = settings.rules(List.copyOf(all));
    } catch (IllegalArgumentException e) {
      throw new SandboxExecutionException("the call's egress entries " + entries + " are invalid: " + e.getMessage()
          + "; fix @Airlock(egress) or the policy's egress");
    }
    Optional<EgressControl> control = EgressControl.of(worker);
    if (control.isEmpty()) {
      if (!all.isEmpty()) {
        Optional<String> unsupported = worker instanceof EgressControl.Source s ? s.egressUnsupported()
            : Optional.empty();
        throw new SandboxExecutionException("the call may reach " + all + ", but the " + backend + " backend's "
            + "workers have no egress path here; nothing was shipped. "
            + (unsupported.isPresent() ? unsupported.get() + ". Run tools that need egress rules on the local, "
                + "docker or e2b backend (docs/egress.md)"
            : settings.enabled() ? "This backend does not support egress (docs/egress.md): use the local, docker "
                + "or e2b backend" : "Set airlock.egress.enabled=true (or put the hosts in airlock.egress.allow) so "
                + "the pool's workers get the egress proxy"));
      }
      return NOTHING_OPENED;
    }
    control.get().check(List.copyOf(all));
    control.get().beginCall(rules);
    return new Closing(control.get());
  }

  /** Closes a call's egress; idempotent enough for a finally block (called once). */
  public interface Opened {
    void end();
  }

  /** A worker without an egress path: nothing to close. A constant, not a lambda linked by the first call. */
  private static final Opened NOTHING_OPENED = new Opened() {
    @Override
    public void end() {
    }
  };

  /** Reads what the worker's egress saw when the call ends. */
  private final class Closing implements Opened {
    private final EgressControl control;

    Closing(EgressControl control) {
      this.control = control;
    }

    @Override
    public void end() {
      unmeasured = control.unmeasured().orElse(null);
      report = control.endCall();
    }
  }
}
