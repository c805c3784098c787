package dev.airlock.internal.egress;

import dev.airlock.internal.backend.GuestText;
import java.io.IOException;

/**
 * An attempt the proxy refuses: {@code target} ({@code host:port} as the guest wrote it, escaped), the reason and
 * what the user can do about it. The text goes into the status line the tool's HTTP client shows, into the report
 * and into the host log; it never contains a secret value (nothing here reads one).
 */
final class Refusal extends IOException {
  static final String NOT_ALLOWED_FIX = "add it to @Airlock(egress) or airlock.egress.allow";

  final int status;
  final String target;
  final String reason;
  final String fix;

  Refusal(int status, String target, String reason, String fix) {
    super(target + ": " + reason);
    this.status = status;
    this.target = printable(GuestText.escape(target));
    this.reason = printable(reason);
    this.fix = fix == null ? null : printable(fix);
  }

  /** One line of visible ASCII, at most 300 characters: a status line carries nothing else. */
  private static String printable(String text) {
    StringBuilder out = new StringBuilder(Math.min(text.length(), 300));
    for (int i = 0; i < text.length() && out.length() < 300; i++) {
      char c = text.charAt(i);
      out.append(c >= 0x20 && c < 0x7F ? c : '?');
    }
    return out.toString();
  }

  /** The status-line reason: "Airlock egress refused host:port: reason; fix". */
  String statusText() {
    return "Airlock egress refused " + target + ": " + reason + (fix == null ? "" : "; " + fix);
  }

  /** The report entry: "host:port: reason (fix)". */
  String reportEntry() {
    return target + ": " + reason + (fix == null ? "" : " (" + fix + ")");
  }
}
