package dev.airlock.internal.intercept;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.internal.egress.EgressReport;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A failed call's note: the refused hosts when the proxy measured them; when the backend's own firewall enforced the
 * rules (E2B), that which host was refused is unknown, and how to allow one.
 */
class EgressNoteTest {

  @Test
  void aMeasuredRefusalIsNamedAndAnUnmeasuredCallSaysWhereToAllowAHost() {
    IOException measured = new IOException("connect failed");
    EgressNote.attach(measured, new EgressReport(List.of(), 0, 0, List.of("evil.test:443: not allowed")));
    assertThat(measured.getSuppressed()).singleElement().satisfies(note -> assertThat(note.getMessage())
        .contains("evil.test:443: not allowed").contains("@Airlock(egress"));

    IOException nothingRefused = new IOException("other failure");
    EgressNote.attach(nothingRefused, EgressReport.empty());
    assertThat(nothingRefused.getSuppressed()).isEmpty();

    IOException onE2b = new IOException("Connection reset");
    EgressNote.attachUnmeasured(onE2b, "E2B's firewall enforced this call's egress rules inside E2B");
    assertThat(onE2b.getSuppressed()).singleElement().satisfies(note -> assertThat(note.getMessage())
        .startsWith("E2B's firewall enforced").contains("If the call failed reaching a host")
        .contains("airlock.egress.allow"));
  }
}
