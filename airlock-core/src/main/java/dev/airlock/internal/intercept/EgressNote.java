package dev.airlock.internal.intercept;

import dev.airlock.AirlockException;
import dev.airlock.internal.egress.EgressReport;

/**
 * Added, as a suppressed exception, to a failed call's exception when the egress proxy refused some of its
 * connections: the tool may have swallowed the proxy's own message, so this one says again which host was refused and
 * how to allow it, for the model reading the failure and the developer reading the log.
 */
final class EgressNote extends AirlockException {
  private static final long serialVersionUID = 1L;

  private static final String HOW_TO_ALLOW = "add it to @Airlock(egress = {...}), the policy's egress or "
      + "airlock.egress.allow (see docs/egress.md)";

  private EgressNote(String message) {
    super(message);
  }

  static void attach(Throwable failure, EgressReport report) {
    if (report.refused().isEmpty()) {
      return;
    }
    failure.addSuppressed(new EgressNote(message(report)));
  }

  /**
   * For a failed call whose egress was enforced where Airlock cannot see it ({@code unmeasured}, E2B): which host was
   * refused is unknown, and the tool may only have seen a reset or a hang, so the note says where to allow one.
   */
  static void attachUnmeasured(Throwable failure, String unmeasured) {
    failure.addSuppressed(new EgressNote(unmeasured + ". If the call failed reaching a host, " + HOW_TO_ALLOW));
  }

  /** "egress refused: evil.example:443 (...); to allow a host, add it to @Airlock(egress) ..." */
  static String message(EgressReport report) {
    return "egress refused during the call: " + String.join("; ", report.refused()) + ". To allow a host, "
        + HOW_TO_ALLOW;
  }
}
