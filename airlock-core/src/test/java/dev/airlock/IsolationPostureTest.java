package dev.airlock;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.IsolationPosture.Control;
import java.util.List;
import org.junit.jupiter.api.Test;

class IsolationPostureTest {

  @Test
  void isolatingNeedsItsOwnFilesystemAndProcesses() {
    assertThat(posture(true, true, true).isolating()).isTrue();
    assertThat(posture(false, true, true).isolating()).as("a VM with internet still isolates the host").isTrue();
    assertThat(posture(true, false, true).isolating()).isFalse();
    assertThat(posture(true, true, false).isolating()).isFalse();
    assertThat(posture(false, false, false).isolating()).as("a plain child JVM").isFalse();
  }

  @Test
  void aControlNotReportedDoesNotHold() {
    IsolationPosture noProcesses = new IsolationPosture("partial", List.of(
        new Control("network", true, "none"), new Control("filesystem", true, "read-only")));
    assertThat(noProcesses.isolating()).isFalse();
  }

  private static IsolationPosture posture(boolean network, boolean filesystem, boolean processes) {
    return new IsolationPosture("test", List.of(new Control("network", network, "n"),
        new Control("filesystem", filesystem, "f"), new Control("processes", processes, "p"),
        new Control("memory", true, "m")));
  }
}
