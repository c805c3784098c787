package dev.airlock.internal.doctor;

import dev.airlock.IsolationPosture.Control;
import dev.airlock.internal.doctor.DoctorReport.BackendCheck;
import dev.airlock.internal.doctor.DoctorReport.EndToEnd;
import dev.airlock.internal.doctor.DoctorReport.Setting;
import java.util.Locale;

/** The report for humans: sections, aligned columns, and the verdict as the last line. */
final class ReportText {
  private static final String NL = System.lineSeparator();

  private ReportText() {
  }

  static String write(DoctorReport report) {
    StringBuilder sb = new StringBuilder();
    sb.append("Airlock doctor (java ").append(System.getProperty("java.version")).append(", ")
        .append(System.getProperty("os.name")).append(' ').append(System.getProperty("os.arch")).append(", user ")
        .append(System.getProperty("user.name")).append(')').append(NL).append(NL);

    sb.append("Configuration (value, then where it came from)").append(NL);
    for (Setting s : report.settings()) {
      String source = s.source().name().toLowerCase(Locale.ROOT).replace('_', ' ')
          + (s.from() == null ? "" : " " + s.from());
      sb.append(String.format("  %-38s %-24s %s%n", s.key(), s.value() == null ? "(unset)" : show(s.value()),
          source));
    }

    for (BackendCheck b : report.backends()) {
      sb.append(NL).append("Backend ").append(b.name()).append(b.configured() ? " (configured)" : "").append(NL);
      if (b.available()) {
        for (Control c : b.posture().controls()) {
          sb.append(String.format("  %-12s %-13s %s%n", c.name(), c.enforced() ? "enforced" : "NOT ENFORCED",
              c.how()));
        }
      } else {
        sb.append("  unavailable: ").append(b.problem()).append(NL);
      }
      for (String fix : b.fixes()) {
        sb.append("  fix: ").append(fix).append(NL);
      }
    }

    EndToEnd e = report.endToEnd();
    sb.append(NL).append("End-to-end call through backend ").append(e.backend()).append(NL);
    if (e.ran()) {
      sb.append("  ran in a sandbox; inside it: ").append(e.inside()).append(NL)
          .append("  took ").append(e.millis()).append(" ms, the worker's start included").append(NL);
    } else {
      sb.append("  did not run: ").append(e.problem()).append(NL);
    }

    if (!report.verdict().failures().isEmpty() || !report.verdict().warnings().isEmpty()) {
      sb.append(NL);
      report.verdict().failures().forEach(f -> sb.append("  FAIL: ").append(f).append(NL));
      report.verdict().warnings().forEach(w -> sb.append("  warning: ").append(w).append(NL));
    }
    sb.append(NL).append("VERDICT: ").append(report.verdict().line()).append(NL);
    return sb.toString();
  }

  private static String show(String value) {
    return value.isEmpty() ? "\"\"" : value;
  }
}
