package dev.airlock.internal.worker;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class WorkerLimitsTest {
  @Test
  void aUsualClasspathGetsTheFloorAndALongOneADescriptorPerEntryMore() {
    assertThat(WorkerLimits.filesOpen(0)).isEqualTo(WorkerLimits.FILES_OPEN);
    assertThat(WorkerLimits.filesOpen(WorkerLimits.FILES_OPEN - WorkerLimits.FILES_BESIDES_CLASSPATH))
        .isEqualTo(WorkerLimits.FILES_OPEN);
    assertThat(WorkerLimits.filesOpen(800)).isEqualTo(800 + WorkerLimits.FILES_BESIDES_CLASSPATH);
  }

  @Test
  void aGuestHoldsInFlightAtMostItsLimitAndOneMessage() {
    assertThat(WorkerLimits.filesInFlight(WorkerLimits.FILES_OPEN)).isEqualTo(WorkerLimits.FILES_OPEN + 253);
  }
}
