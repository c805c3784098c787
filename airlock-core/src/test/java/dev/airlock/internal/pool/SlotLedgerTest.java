package dev.airlock.internal.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.airlock.SandboxExecutionException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The ledger alone, transition by transition, with no thread and no clock: each interleaving that once let a load run
 * see more worker JVMs than max-size is replayed step by step, and the counts are read after each step.
 */
@Timeout(30)
class SlotLedgerTest {
  private static final Object A = "scope A";
  private static final Object B = "scope B";

  private final RecordingDrivers drivers = new RecordingDrivers();

  /** A deadline already passed: acquire decides at once instead of waiting. */
  private static long now() {
    return System.nanoTime() - 1;
  }

  private SlotLedger<FakeWorker> ledger(int min, int max, boolean reuse) {
    return new SlotLedger<>(min, max, reuse, drivers);
  }

  /** Reserves a start for a caller and completes it with a fresh worker. */
  private static FakeWorker startForCaller(SlotLedger<FakeWorker> ledger, Object scope) {
    assertThat(ledger.acquire(scope, now())).as("a start slot is reserved").isNull();
    FakeWorker worker = new FakeWorker();
    assertThat(ledger.started(worker, true)).isTrue();
    worker.bindTo(scope);
    return worker;
  }

  /** Lets maintenance decide one warm start and completes it. */
  private FakeWorker startWarm(SlotLedger<FakeWorker> ledger) {
    ledger.evictAndReplenish(Long.MAX_VALUE);
    assertThat(drivers.warmStarts).containsExactly(1);
    FakeWorker warm = new FakeWorker();
    assertThat(ledger.started(warm, false)).isTrue();
    return warm;
  }

  private static void assertCounts(SlotLedger<?> ledger, int idle, int busy, int starting, int dying) {
    assertThat(ledger.counts()).isEqualTo(new SlotLedger.Counts(idle, busy, starting, dying, 0));
  }

  /** 668e539: a single-use worker was taken out of busy, then counted as dying in a separate step. */
  @Test
  void aSingleUseWorkerHoldsItsSlotFromItsReturnUntilItsKillFinished() {
    SlotLedger<FakeWorker> ledger = ledger(0, 1, false);
    FakeWorker worker = startForCaller(ledger, A);

    ledger.release(worker, false);

    assertCounts(ledger, 0, 0, 0, 1);
    assertThat(drivers.kills).containsExactly(worker);
    assertThatThrownBy(() -> ledger.acquire(A, now()))
        .as("no start beside the dying JVM").isInstanceOf(SlotLedger.Exhausted.class);

    ledger.killed(worker);
    assertThat(ledger.acquire(A, now())).as("its slot is free once the kill finished").isNull();
    assertCounts(ledger, 0, 0, 1, 0);
  }

  /** 1441d8d: an idle worker discarded to make room for another scope stopped counting before its kill finished. */
  @Test
  void anIdleWorkerDiscardedForAnotherScopeHoldsItsSlotUntilItsKillFinished() {
    SlotLedger<FakeWorker> ledger = ledger(0, 1, true);
    FakeWorker worker = startForCaller(ledger, A);
    ledger.release(worker, true);
    assertCounts(ledger, 1, 0, 0, 0);

    assertThatThrownBy(() -> ledger.acquire(B, now())).isInstanceOf(SlotLedger.Exhausted.class);

    assertThat(drivers.kills).as("scope A's worker never runs scope B's call").containsExactly(worker);
    assertCounts(ledger, 0, 0, 0, 1);
    ledger.killed(worker);
    assertThat(ledger.acquire(B, now())).isNull();
    assertCounts(ledger, 0, 0, 1, 0);
  }

  /** 1441d8d, through maintenance: an expired or dead idle worker counts until its kill finished. */
  @Test
  void idleWorkersEvictedByMaintenanceHoldTheirSlotsUntilKilled() {
    SlotLedger<FakeWorker> ledger = ledger(0, 2, true);
    FakeWorker expired = startForCaller(ledger, A);
    FakeWorker dead = startForCaller(ledger, A);
    ledger.release(expired, true);
    ledger.release(dead, true);
    expired.idleNanos = TimeUnit.MINUTES.toNanos(2);
    dead.usable = false;

    ledger.evictAndReplenish(TimeUnit.MINUTES.toNanos(1));

    assertThat(drivers.kills).containsExactlyInAnyOrder(expired, dead);
    assertCounts(ledger, 0, 0, 0, 2);
    assertThatThrownBy(() -> ledger.acquire(A, now())).isInstanceOf(SlotLedger.Exhausted.class);
    ledger.killed(dead);
    assertThat(ledger.acquire(A, now())).isNull();
  }

  /** Idle workers are kept down to min-size, never evicted below it however long they waited. */
  @Test
  void maintenanceKeepsMinSizeIdleWorkers() {
    SlotLedger<FakeWorker> ledger = ledger(1, 2, true);
    FakeWorker worker = startForCaller(ledger, A);
    ledger.release(worker, true);
    worker.idleNanos = TimeUnit.HOURS.toNanos(1);

    ledger.evictAndReplenish(TimeUnit.MINUTES.toNanos(1));

    assertThat(drivers.kills).isEmpty();
    assertThat(drivers.warmStarts).isEmpty();
    assertCounts(ledger, 1, 0, 0, 0);
  }

  /** e0ef61e: warm starts counted as starting only when they began, so a caller started one more beside them. */
  @Test
  void aWarmStartCountsFromTheMomentItIsDecided() {
    SlotLedger<FakeWorker> ledger = ledger(1, 1, false);

    ledger.evictAndReplenish(Long.MAX_VALUE);

    assertThat(drivers.warmStarts).containsExactly(1);
    assertCounts(ledger, 0, 0, 1, 0);
    assertThatThrownBy(() -> ledger.acquire(A, now()))
        .as("the caller waits for the warm worker, not starting its own").isInstanceOf(SlotLedger.Exhausted.class);
    FakeWorker warm = new FakeWorker();
    assertThat(ledger.started(warm, false)).isTrue();
    assertThat(ledger.acquire(A, now())).isSameAs(warm);
  }

  /** e0ef61e: a caller waiting while a warm worker starts gets that worker, and starts none of its own. */
  @Test
  void aCallerWaitingForAWarmStartGetsThatWorker() throws Exception {
    SlotLedger<FakeWorker> ledger = ledger(1, 2, false);
    ledger.evictAndReplenish(Long.MAX_VALUE);
    CompletableFuture<FakeWorker> caller =
        CompletableFuture.supplyAsync(() -> ledger.acquire(A, System.nanoTime() + TimeUnit.SECONDS.toNanos(20)));
    while (ledger.counts().waiting() == 0) {
      assertThat(caller).as("the caller waits instead of taking a slot of its own").isNotDone();
      Thread.sleep(5);
    }
    assertThat(ledger.counts().starting()).as("the waiting caller reserved no start of its own").isEqualTo(1);

    FakeWorker warm = new FakeWorker();
    ledger.started(warm, false);

    assertThat(caller.get(20, TimeUnit.SECONDS)).isSameAs(warm);
    assertCounts(ledger, 0, 1, 0, 0);
  }

  /** 182240e and 59945ae: a single-use worker is replaced when its call returns, not when it is taken. */
  @Test
  void aSingleUseWorkerIsReplacedWhenItsCallReturns() {
    SlotLedger<FakeWorker> ledger = ledger(1, 2, false);
    FakeWorker warm = startWarm(ledger);

    assertThat(ledger.acquire(A, now())).isSameAs(warm);
    assertThat(drivers.warmStarts).as("no JVM starts beside the call").containsExactly(1);

    ledger.release(warm, false);
    assertThat(drivers.warmStarts).containsExactly(1, 1);
    assertCounts(ledger, 0, 0, 1, 1);
  }

  /** A reused worker's pool tops its idle workers up as soon as one is taken. */
  @Test
  void aReusingPoolReplenishesWhenAWorkerIsTaken() {
    SlotLedger<FakeWorker> ledger = ledger(1, 2, true);
    FakeWorker warm = startWarm(ledger);

    assertThat(ledger.acquire(A, now())).isSameAs(warm);

    assertThat(drivers.warmStarts).containsExactly(1, 1);
    assertCounts(ledger, 0, 1, 1, 0);
  }

  /** Warm starts wait out the backend's retry window: a backend that cannot be created is not hammered. */
  @Test
  void noWarmStartWhileTheBackendIsCoolingDown() {
    SlotLedger<FakeWorker> ledger = ledger(2, 2, true);
    drivers.mayStartWarm = false;

    ledger.evictAndReplenish(Long.MAX_VALUE);

    assertThat(drivers.warmStarts).isEmpty();
    assertCounts(ledger, 0, 0, 0, 0);
  }

  /** A worker of one scope never goes to another's call; with room left, the other scope gets a fresh one. */
  @Test
  void anIdleWorkerOfAnotherScopeIsPassedOverWhileThereIsRoom() {
    SlotLedger<FakeWorker> ledger = ledger(0, 2, true);
    FakeWorker worker = startForCaller(ledger, A);
    ledger.release(worker, true);

    assertThat(ledger.acquire(B, now())).isNull();
    assertThat(ledger.acquire(A, now())).isSameAs(worker);
    assertThat(drivers.kills).isEmpty();
  }

  /** An idle worker that died is discarded when met, and the call gets another. */
  @Test
  void aDeadIdleWorkerIsDiscardedWhenTaken() {
    SlotLedger<FakeWorker> ledger = ledger(0, 2, true);
    FakeWorker worker = startForCaller(ledger, A);
    ledger.release(worker, true);
    worker.usable = false;

    assertThat(ledger.acquire(A, now())).isNull();

    assertThat(drivers.kills).containsExactly(worker);
    assertCounts(ledger, 0, 0, 1, 1);
  }

  /** 03eb2be: close() returned while a worker was still starting, and the backend closed under it. */
  @Test
  void aWorkerStartedDuringCloseStaysCountedUntilItsStarterKilledIt() throws Exception {
    SlotLedger<FakeWorker> ledger = ledger(0, 2, true);
    assertThat(ledger.acquire(A, now())).isNull();

    assertThat(ledger.close()).isEmpty();

    FakeWorker late = new FakeWorker();
    assertThat(ledger.started(late, true)).as("refused: the starter must kill it").isFalse();
    assertThat(ledger.awaitNoneStarting(now())).as("close() still waits for it").isEqualTo(1);
    ledger.startFailed(1);
    assertThat(ledger.awaitNoneStarting(now())).isZero();
    assertCounts(ledger, 0, 0, 0, 0);
  }

  /** A warm starter whose batch is overtaken by close uncounts what it did not start. */
  @Test
  void aWarmBatchAbandonedByCloseIsUncounted() throws Exception {
    SlotLedger<FakeWorker> ledger = ledger(2, 2, true);
    ledger.evictAndReplenish(Long.MAX_VALUE);
    assertThat(ledger.abandonIfClosed(2)).isFalse();
    assertThat(ledger.started(new FakeWorker(), false)).isTrue();

    ledger.close();

    assertThat(ledger.abandonIfClosed(1)).isTrue();
    assertThat(ledger.awaitNoneStarting(now())).isZero();
  }

  /** After close: busy workers are handed back for killing, their return kills them, and no call gets through. */
  @Test
  void aClosedLedgerKillsReturnedWorkersAndRefusesCalls() {
    SlotLedger<FakeWorker> ledger = ledger(0, 2, true);
    FakeWorker idle = startForCaller(ledger, A);
    ledger.release(idle, true);
    FakeWorker busy = startForCaller(ledger, B);

    assertThat(ledger.close()).containsExactlyInAnyOrder(idle, busy);
    assertThat(ledger.close()).as("closes once").isNull();

    ledger.release(busy, true);
    assertThat(drivers.kills).containsExactly(busy);
    assertCounts(ledger, 0, 0, 0, 1);
    assertThatThrownBy(() -> ledger.acquire(A, now())).isInstanceOf(SandboxExecutionException.class)
        .hasMessageContaining("closed");
  }

  /** The checks are live: a transition that would break an invariant throws instead of drifting. */
  @Test
  void aTransitionThatWouldBreakAnInvariantThrows() {
    SlotLedger<FakeWorker> ledger = ledger(0, 1, true);

    assertThatThrownBy(() -> ledger.startFailed(1)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("negative");
    assertThatThrownBy(() -> ledger.started(new FakeWorker(), true)).isInstanceOf(IllegalStateException.class);
  }

  /** A worker as the ledger sees it. */
  static final class FakeWorker implements SlotLedger.Occupant {
    boolean usable = true;
    Object scope;
    long idleNanos;

    @Override
    public boolean usable() {
      return usable;
    }

    @Override
    public Object scope() {
      return scope;
    }

    @Override
    public void bindTo(Object scope) {
      this.scope = scope;
    }

    @Override
    public long idleNanos() {
      return idleNanos;
    }
  }

  /**
   * Issue 15: a single-use worker's replacement started at release, and its kill, ran beside the rest of the returning
   * call. Both may wait for that caller only while another worker waits idle for the next call; otherwise they run at
   * once (the dying worker holds its slot until killed).
   */
  @Test
  void aReplacementAndAKillWaitForTheReturningCallerOnlyWhileAnotherWorkerIsIdle() {
    SlotLedger<FakeWorker> ledger = ledger(2, 4, false);
    ledger.evictAndReplenish(Long.MAX_VALUE);
    assertThat(drivers.warmStarts).containsExactly(2);
    assertThat(drivers.afterCallStarts).as("maintenance's starts never wait").isEmpty();
    FakeWorker first = new FakeWorker();
    FakeWorker second = new FakeWorker();
    ledger.started(first, false);
    ledger.started(second, false);

    FakeWorker taken = ledger.acquire(A, now());
    ledger.release(taken, false);
    assertThat(drivers.warmStarts).containsExactly(2, 1);
    assertThat(drivers.afterCallStarts).as("another worker is idle: the replacement may wait").containsExactly(1);
    assertThat(drivers.afterCallKills).as("and so may the kill").containsExactly(taken);
    assertCounts(ledger, 1, 0, 1, 1);

    FakeWorker last = ledger.acquire(A, now());
    ledger.release(last, false);
    assertThat(drivers.warmStarts).containsExactly(2, 1, 1);
    assertThat(drivers.afterCallStarts).as("none idle: the next caller needs this one now").containsExactly(1);
    assertThat(drivers.kills).containsExactly(taken, last);
    assertThat(drivers.afterCallKills).as("none idle: its slot is needed now").containsExactly(taken);
  }

  /** Records what the ledger hands off, and does nothing: the test plays the threads. */
  static final class RecordingDrivers implements SlotLedger.Drivers<FakeWorker> {
    final List<FakeWorker> kills = new ArrayList<>();
    final List<Integer> warmStarts = new ArrayList<>();
    final List<Integer> afterCallStarts = new ArrayList<>();
    final List<FakeWorker> afterCallKills = new ArrayList<>();
    boolean mayStartWarm = true;

    @Override
    public void kill(FakeWorker worker, boolean afterCall) {
      kills.add(worker);
      if (afterCall) {
        afterCallKills.add(worker);
      }
    }

    @Override
    public void startWarm(int count, boolean afterCall) {
      warmStarts.add(count);
      if (afterCall) {
        afterCallStarts.add(count);
      }
    }

    @Override
    public boolean mayStartWarm() {
      return mayStartWarm;
    }
  }
}
