package dev.airlock.internal.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.AirlockConfig;
import dev.airlock.IsolationPosture;
import dev.airlock.IsolationPosture.Control;
import dev.airlock.internal.doctor.DoctorReport.BackendCheck;
import dev.airlock.internal.doctor.DoctorReport.EndToEnd;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Attack review 9: what the doctor's sandboxed call reports of itself (pid, user, Java) is the worker's text: a
 * worker image whose user name, or a worker that answers the call itself, chooses it. It was printed raw in the
 * report a person reads to decide whether the machine isolates, so CR LF and an ANSI escape printed a forged
 * {@code VERDICT: OK} and hid the real FAIL after it (SGR 8, concealed text, until the terminal resets), and a
 * 10 MB answer was printed whole.
 */
class DoctorGuestTextTest {
  private static final String FORGED = "pid 1, user app\r\n\u001b[2K\nVERDICT: OK (backend=local): every control"
      + " enforced\u001b[8m\u2028\u202e";

  @Test
  void theCallsOwnReportIsOneEscapedClippedLineOfTheReport() {
    IsolationPosture posture = new IsolationPosture("local", List.of(new Control("network", false, "host network")));
    BackendCheck local = new BackendCheck("local", true, posture, null, List.of());
    EndToEnd ran = new EndToEnd("local", true, FORGED + "x".repeat(1_000_000), 900, null);
    AirlockConfig strict = AirlockConfig.builder().localIsolation(AirlockConfig.LocalIsolation.STRICT).build();
    DoctorReport report = new DoctorReport(List.of(), List.of(local), ran, Doctor.judge(strict, local, ran));

    String text = ReportText.write(report);

    assertThat(text).doesNotContain("\u001b").doesNotContain("\r").doesNotContain("\u2028")
        .doesNotContain("\u202e");
    assertThat(text.lines().filter(line -> line.startsWith("VERDICT"))).singleElement().asString()
        .startsWith("VERDICT: FAIL");
    assertThat(text.lines().filter(line -> line.contains("inside it:"))).singleElement().asString()
        .contains("user app").hasSizeLessThan(2_000);
    assertThat(text.length()).isLessThan(10_000);
    assertThat(ReportJson.write(report).length()).isLessThan(10_000);
  }
}
