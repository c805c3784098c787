package dev.airlock.internal.mcp.serve;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The session bound's bookkeeping: opens in progress count, deletes and unknown ids free a place, idle ones expire. */
class SessionLimitTest {
  private final AtomicLong now = new AtomicLong();
  private final SessionLimit limit = new SessionLimit(2, Duration.ofMinutes(2), now::get);

  @Test
  void opensInProgressCountAndAFailedOpenFreesItsPlace() {
    assertThat(limit.tryOpen()).isTrue();
    assertThat(limit.tryOpen()).isTrue();
    assertThat(limit.tryOpen()).as("two opens in progress fill a bound of two").isFalse();
    limit.opened(null); // that initialize made no session
    assertThat(limit.tryOpen()).isTrue();
  }

  @Test
  void aDeletedOrUnknownSessionFreesItsPlace() {
    open("a");
    open("b");
    assertThat(limit.tryOpen()).isFalse();
    limit.used("a", true);
    assertThat(limit.tryOpen()).isTrue();
    limit.opened("c");
    assertThat(limit.tryOpen()).isFalse();
  }

  @Test
  void onlySessionsIdlePastTheSweepExpire() {
    open("a");
    now.addAndGet(Duration.ofSeconds(90).toNanos());
    open("b");
    now.addAndGet(Duration.ofSeconds(60).toNanos());
    limit.used("b", false);
    assertThat(limit.tryOpen()).as("a idle 150 s expired, b in use").isTrue();
    limit.opened("c");
    assertThat(limit.tryOpen()).isFalse();
  }

  private void open(String id) {
    assertThat(limit.tryOpen()).isTrue();
    limit.opened(id);
  }
}
