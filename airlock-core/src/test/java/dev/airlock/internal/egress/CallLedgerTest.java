package dev.airlock.internal.egress;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** A call's ledger: what its report says is what its connections moved. */
class CallLedgerTest {

  /**
   * The report is taken when the call ends and its connections are closed just after; a relay thread that counts a
   * buffer in between would hand it to the guest outside the report (LocalEgressTest saw 16 KiB more reach the guest
   * than the ended call reported). Once the report is taken nothing more may be counted as allowed.
   */
  @Test
  void nothingIsAllowedToMoveOnceTheReportIsTaken() {
    CallLedger ledger = new CallLedger(EgressRules.none());
    assertThat(ledger.count(false, 100)).isTrue();
    EgressReport report = ledger.end();

    assertThat(ledger.count(false, 16 * 1024)).as("a buffer counted after the report").isFalse();
    assertThat(ledger.count(true, 1)).isFalse();
    assertThat(report.bytesDown()).isEqualTo(100);
  }
}
