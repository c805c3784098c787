package dev.airlock.internal.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
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

  @Test
  void aShortCallAfterALongOneIsWatchedToItsOwnDeadline() throws InterruptedException {
    watchdog.started(1, 60_000);
    Thread.sleep(50);
    assertThat(watchdog.finished(1)).isTrue();
    long start = System.nanoTime();
    watchdog.started(2, 100);
    assertThat(timedOut.poll(2, TimeUnit.SECONDS)).as("asleep until the first call's deadline").isEqualTo(2L);
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isBetween(100L, 1000L);
  }

  @Test
  void guestCodeInterruptingItNeitherStopsItNorMakesItSpin() throws InterruptedException {
    watchdog.started(1, 50);
    assertThat(watchdog.finished(1)).isTrue();
    Thread.sleep(100);
    List<Thread> watchdogs = Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().equals("airlock-call-watchdog")).toList();
    watchdogs.forEach(Thread::interrupt);
    Thread.sleep(200);
    assertThat(watchdogs).as("idle: parked, not polling nor spinning after the interrupt")
        .allSatisfy(t -> assertThat(t.getState()).isEqualTo(Thread.State.WAITING));
    watchdog.started(3, 100);
    assertThat(timedOut.poll(2, TimeUnit.SECONDS)).isEqualTo(3L);
  }
}
