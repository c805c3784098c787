package dev.airlock.internal.doctor;

import dev.airlock.IsolationPosture;
import dev.airlock.internal.backend.GuestText;
import java.util.List;

/**
 * What {@code airlock doctor} found, as printed for humans and as {@code --json} for scripts.
 *
 * @param settings the resolved configuration, key by key, with where each value came from
 * @param backends every backend checked: those on the classpath and the configured one
 * @param endToEnd the sandboxed call through the configured backend
 * @param verdict whether the configuration can be met here
 */
public record DoctorReport(List<Setting> settings, List<BackendCheck> backends, EndToEnd endToEnd, Verdict verdict) {

  public DoctorReport {
    settings = List.copyOf(settings);
    backends = List.copyOf(backends);
  }

  /** Where a setting's value came from, highest precedence first. */
  public enum Source { AGENT_OPTION, COMMAND_LINE, SYSTEM_PROPERTY, ENVIRONMENT, SPRING, DEFAULT }

  /** One key; secrets are masked before they get here. */
  public record Setting(String key, String value, Source source, String from) {
  }

  /**
   * One backend as this machine has it.
   *
   * @param posture what it enforces, null when it could not be started
   * @param problem why it could not be started (the backend's own message, naming the fix), null when it started
   * @param fixes what to do about each control it does not enforce, or about the problem
   */
  public record BackendCheck(String name, boolean configured, IsolationPosture posture, String problem,
      List<String> fixes) {

    public BackendCheck {
      fixes = List.copyOf(fixes);
    }

    public boolean available() {
      return posture != null;
    }
  }

  /**
   * The sandboxed call: where it ran and how long it took.
   *
   * @param inside what the call saw inside the sandbox (its pid, user and Java), null when it did not run
   * @param millis host-side wall time of the call, the worker's start included
   * @param problem why it did not run or failed, null when it returned
   */
  public record EndToEnd(String backend, boolean ran, String inside, long millis, String problem) {
    /** What the worker says of itself may run to the result's size limit; the report keeps this much of it. */
    static final int MAX_INSIDE_CHARS = 512;

    /**
     * {@code inside} is the worker's text, printed in the report a person reads to decide whether to trust the
     * machine: kept as one escaped line (no CR, LF, terminal escape or bidi override), clipped.
     */
    public EndToEnd {
      if (inside != null) {
        inside = GuestText.escape(inside, MAX_INSIDE_CHARS);
      }
    }
  }

  /** {@code ok}: the configured isolation and sandbox-required can be met; the line says why or why not. */
  public record Verdict(boolean ok, List<String> failures, List<String> warnings, String line) {

    public Verdict {
      failures = List.copyOf(failures);
      warnings = List.copyOf(warnings);
    }
  }
}
