package dev.airlock.internal.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class CallWatchdogTest {
  private final BlockingQueue<Long> timedOut = new ArrayBlockingQueue<>(4);
  private final CallWatchdog watchdog = new CallWatchdog(timedOut::add);

  @Test
  void claimsACallThatPassesItsDeadlineAndTheCallCannotAnswerAfterwards() throws InterruptedException {
    long start = System.nanoTime();
    watchdog.started(7, 150);
    assertThat(timedOut.poll(2, TimeUnit.SECONDS)).isEqualTo(7L);
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isBetween(150L, 1000L);
    assertThat(watchdog.finished(7)).isFalse();
  }

  @Test
  void leavesACallThatFinishesInTimeAndTheNextCallGetsItsOwnDeadline() throws InterruptedException {
    watchdog.started(1, 100);
    assertThat(watchdog.finished(1)).isTrue();
    watchdog.started(2, 5_000);
    assertThat(timedOut.poll(400, TimeUnit.MILLISECONDS)).as("the first call's deadline passed unwatched").isNull();
    assertThat(watchdog.finished(2)).isTrue();
  }
}
