package dev.airlock.internal.guard;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.internal.egress.EgressReport;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A call whose egress Airlock could not measure (E2B's firewall enforces it) is audited as unmeasured, saying why, and
 * adds nothing to the egress totals: no zero is written or counted as if it were a measurement.
 */
class AuditLogEgressTest {
  private static final String WHY = "E2B's firewall enforced this call's egress rules; nothing is reported per call";

  @Test
  void anUnmeasuredCallSaysSoInsteadOfWritingOrCountingZeros() {
    AuditLog log = new AuditLog();
    AuditLog.Entry unmeasured = log.record("fetch", "success", null, "e2b", Duration.ofMillis(3),
        new ArgumentHash(new Object[0]), EgressReport.empty(), WHY);
    assertThat(unmeasured.toJson()).contains("\"egress\":{\"measured\":false,\"unmeasured\":\"" + WHY + "\"}")
        .doesNotContain("bytesUp").doesNotContain("hostsContacted");
    assertThat(log.egressCounts()).isEmpty();

    AuditLog.Entry measured = log.record("fetch", "success", null, "local", Duration.ofMillis(3),
        new ArgumentHash(new Object[0]),
        new EgressReport(List.of("api.github.com:443"), 10, 20, List.of()), null);
    assertThat(measured.toJson()).contains("\"bytesUp\":10").doesNotContain("measured");
    assertThat(log.egressCounts()).containsEntry("bytesUp", 10L).containsEntry("hostsContacted", 1L);
  }
}
