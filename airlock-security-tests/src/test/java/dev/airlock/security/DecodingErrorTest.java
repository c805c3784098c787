package dev.airlock.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.airlock.SandboxProtocolException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Attack review 14: a result whose decoding throws an {@link Error} on the host (an admitted record's constructor
 * asserting, an admitted class whose initializer fails) reached the caller as that raw error when the result was
 * small enough to be decoded on the calling thread, not as {@link SandboxProtocolException} as every other
 * undecodable result does; and since only those mark the worker broken, the worker that sent it stayed usable (this
 * test's backend never reuses a worker, so the last assertion holds either way; a backend that proves its workers
 * idle could have handed it the next call). A larger result, decoded on another thread, was already refused.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class DecodingErrorTest {

  /** An admitted record that checks its state with an assertion: the host runs with assertions on, the worker not. */
  public record Checked(int value) {
    public Checked {
      assert value >= 0 : "a Checked is never negative";
    }
  }

  @Test
  void aResultWhoseDecodingThrowsAnErrorIsRefusedAndItsWorkerIsNotReused() throws Exception {
    try (HostilePool hostile = new HostilePool()) {
      // Enough records of the type that the host reads it through method handles from now on, as a busy host does.
      assertThat(hostile.pool.call(DecodingErrorTest::many)).hasSize(2 * HANDLES_AFTER);
      Thread.sleep(500);
      long before = hostile.pool.call(() -> ProcessHandle.current().pid());

      Throwable thrown = catchThrowable(() -> hostile.pool.call(DecodingErrorTest::negative));
      long after = hostile.pool.call(() -> ProcessHandle.current().pid());

      assertThat(thrown).isExactlyInstanceOf(SandboxProtocolException.class);
      assertThat(after).as("the worker that sent it serves no further call").isNotEqualTo(before);
    }
  }

  static final int HANDLES_AFTER = 1000;

  static Checked[] many() {
    Checked[] many = new Checked[2 * HANDLES_AFTER];
    java.util.Arrays.fill(many, new Checked(1));
    return many;
  }

  /** What the guest returns: built where assertions are off, as the worker runs. */
  static Checked negative() {
    if (DecodingErrorTest.class.desiredAssertionStatus()) {
      throw new IllegalStateException("this test needs a worker that runs without -ea");
    }
    return new Checked(-1);
  }
}
