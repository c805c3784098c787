package dev.airlock.internal.docker;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Attack review 9: the reaper reads its owner from the labels of every container on the engine that says
 * {@code dev.airlock.worker=true}, and another application sharing the engine labels its containers as it likes. A
 * session label of CR LF, a forged host log line, an ANSI escape and 100 KB went raw into the host's log line
 * "removing container ... (session ...)" at the next start. No engine needed: the labels are parsed as the reaper
 * does.
 */
class OwnerLabelsTest {

  @Test
  void aForeignSessionLabelReachesTheLogEscapedAndClipped() {
    String forged = "s\r\n2026-12-03 INFO dev.airlock.Guard - call approved\u001b[8m\u202e" + "x".repeat(100_000);
    Owner owner = Owner.of(Map.of(Owner.WORKER, "true", Owner.MACHINE, "boot", Owner.PID_NAMESPACE, "pid:[1]",
        Owner.PID, "42", Owner.STARTED, "7", Owner.SESSION, forged, Owner.EXPIRES, "1")).orElseThrow();

    String logged = owner.describe();

    assertThat(logged).startsWith("host process 42 (session s").doesNotContain("\r").doesNotContain("\n")
        .doesNotContain("\u001b").doesNotContain("\u202e").hasSizeLessThan(200);
  }
}
