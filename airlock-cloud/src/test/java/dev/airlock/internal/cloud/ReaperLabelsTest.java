package dev.airlock.internal.cloud;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Attack review 9: the cloud reaper lists every sandbox of the account carrying this pool's host label and logs the
 * owner label of those it kills; another application on the same account labels its sandboxes as it likes. The
 * label went raw into the host's log: CR LF and a forged line, an ANSI escape, 100 KB.
 */
class ReaperLabelsTest {

  @Test
  void aForeignOwnerLabelReachesTheLogEscapedAndClipped() {
    String forged = "boot/42\r\n2026-12-03 INFO dev.airlock.Guard - call approved\u001b[8m\u202e"
        + "x".repeat(100_000);

    String logged = BridgedBackend.labelForLog(forged);

    assertThat(logged).startsWith("boot/42").doesNotContain("\r").doesNotContain("\n").doesNotContain("\u001b")
        .doesNotContain("\u202e").hasSizeLessThan(300);
    assertThat(BridgedBackend.labelForLog("boot-1/4242")).isEqualTo("boot-1/4242");
  }
}
