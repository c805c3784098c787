package dev.airlock.internal.local;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class HostUserTest {

  /** RLIMIT_NPROC is counted per user namespace from Linux 5.14; before, it counted every process of the user. */
  @Test
  void kernelReleasesAreComparedByMajorAndMinor() {
    assertThat(HostUser.atLeast("5.14.0-427.el9.x86_64", 5, 14)).isTrue();
    assertThat(HostUser.atLeast("6.1.0-28-amd64", 5, 14)).isTrue();
    assertThat(HostUser.atLeast("6.18.44-fc-v1147", 5, 14)).isTrue();
    assertThat(HostUser.atLeast("5.10.0-33-amd64", 5, 14)).isFalse();
    assertThat(HostUser.atLeast("4.19.0", 5, 14)).isFalse();
    assertThat(HostUser.atLeast("5", 5, 14)).isFalse();
    assertThat(HostUser.atLeast("", 5, 14)).isFalse();
  }
}
