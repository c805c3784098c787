package dev.airlock.internal.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
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
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long cpuBefore = watchdogs.stream().mapToLong(t -> threads.getThreadCpuTime(t.getId())).sum();
    watchdogs.forEach(Thread::interrupt);
    Thread.sleep(200);
    // A watchdog of another test may still sleep until its last call's deadline (TIMED_WAITING); none runs.
    assertThat(watchdogs).as("idle: parked, not polling nor spinning after the interrupt")
        .allSatisfy(t -> assertThat(t.getState()).isIn(Thread.State.WAITING, Thread.State.TIMED_WAITING));
    long cpuAfter = watchdogs.stream().mapToLong(t -> threads.getThreadCpuTime(t.getId())).sum();
    assertThat(TimeUnit.NANOSECONDS.toMillis(cpuAfter - cpuBefore)).isLessThan(50L);
    watchdog.started(3, 100);
    assertThat(timedOut.poll(2, TimeUnit.SECONDS)).isEqualTo(3L);
  }

  /**
   * A reused worker's calls, one after the other with the same timeout, wake only the thread that reads them: the
   * watchdog, asleep until the last call's deadline, which comes before the next one's, is not woken (each wake-up
   * is a park that returned, counted by the JVM as a wait of the thread).
   */
  @Test
  void callsWithTheSameTimeoutDoNotWakeTheWatchdog() throws InterruptedException {
    Set<Thread> before = watchdogThreads();
    CallWatchdog own = new CallWatchdog(timedOut::add);
    Set<Thread> after = watchdogThreads();
    after.removeAll(before);
    Thread thread = after.iterator().next();
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    own.started(1, 60_000);
    // Woken for the first call (it slept with no deadline), it goes to sleep until that call's deadline.
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (thread.getState() != Thread.State.TIMED_WAITING && System.nanoTime() < until) {
      Thread.sleep(5);
    }
    assertThat(own.finished(1)).isTrue();
    Thread.sleep(100);
    long waits = threads.getThreadInfo(thread.getId()).getWaitedCount();
    for (long call = 2; call < 22; call++) {
      own.started(call, 60_000);
      Thread.sleep(5);
      assertThat(own.finished(call)).isTrue();
    }
    Thread.sleep(100);
    assertThat(threads.getThreadInfo(thread.getId()).getWaitedCount() - waits).as("wake-ups over 20 calls")
        .isZero();
    assertThat(thread.getState()).isEqualTo(Thread.State.TIMED_WAITING);
    own.started(22, 100);
    assertThat(timedOut.poll(2, TimeUnit.SECONDS)).as("an earlier deadline still wakes it").isEqualTo(22L);
  }

  private static Set<Thread> watchdogThreads() {
    return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("airlock-call-watchdog"))
        .collect(Collectors.toCollection(HashSet::new));
  }
}
