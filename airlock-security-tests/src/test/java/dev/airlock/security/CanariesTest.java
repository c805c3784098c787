package dev.airlock.security;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The canary check can fail: loading a canary (without initializing it) is seen. Runs in its own JVM. */
class CanariesTest {

  @Test
  void seesACanaryThatWasOnlyLoaded() throws ClassNotFoundException {
    assertThat(Canaries.touchedOnHost()).isEmpty();

    Class.forName(Canaries.NAMES.get(0), false, ClassLoader.getSystemClassLoader());

    assertThat(Canaries.touchedOnHost()).containsExactly(Canaries.NAMES.get(0));
  }
}
