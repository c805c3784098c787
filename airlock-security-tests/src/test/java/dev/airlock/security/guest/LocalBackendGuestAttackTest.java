package dev.airlock.security.guest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.AirlockConfig;
import dev.airlock.security.WorkerProcesses;
import org.junit.jupiter.api.Test;

/** The guest attacks on the embedded backend, with namespaces (bubblewrap is installed by .ci/run). */
class LocalBackendGuestAttackTest extends GuestAttackSuite {

  @Override
  protected AirlockConfig backendConfig() {
    return AirlockConfig.builder().backend("local").localIsolation(AirlockConfig.LocalIsolation.STRICT).build();
  }

  /**
   * The sandbox's user is the host user's in the kernel's books, so an inotify instance the guest opens counts against
   * the host user's limit (128 by default, host-wide): a guest holding them made the host application's own
   * {@code WatchService} fail with "User limit of inotify instances reached" while its call ran.
   */
  @Test
  void theGuestCannotTakeTheHostUsersFileWatchers() {
    String watchers = pool().call(() -> GuestAttacks.openFileWatchers(64));
    assertThat(watchers).startsWith("0 opened;").contains("Operation not permitted");
  }

  /**
   * The kernel counts a guest's POSIX timers and queued signals against {@code RLIMIT_SIGPENDING} of the host user,
   * root included ({@code GuestSignalQueueTest} shows the host losing its budget, as a user of its own): a worker has
   * a limit of its own, set inside its user namespace so that it counts the worker's only.
   */
  @Test
  void theGuestHasAPendingSignalLimitOfItsOwn() {
    String limit = pool().call(() -> GuestAttacks.ownLimit("Max pending signals"));
    assertThat(limit.split("\\s+")).as(limit).containsSequence("1024", "1024", "signals");
  }

  @Override
  protected boolean provesIdleness() {
    return true;
  }

  @Override
  protected void assertNothingLeftBehind() {
    assertThat(WorkerProcesses.descendants()).as("processes left behind by the local backend").isEmpty();
  }
}
