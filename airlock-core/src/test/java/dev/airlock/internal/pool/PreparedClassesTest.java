package dev.airlock.internal.pool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.AirlockConfig;
import dev.airlock.SandboxPool;
import dev.airlock.internal.pool.prepared.PreparedCall;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A worker started after a call loads that call's classes before its own first call (a PREPARE frame), and only
 * loads them: no static initializer runs until a call needs the class.
 */
@Timeout(60)
class PreparedClassesTest {
  @Test
  void aWorkerStartedAfterACallHasLoadedItsClassesWithoutInitializingThem() {
    AirlockConfig config = AirlockConfig.builder().sandboxRequired(true).poolMinSize(1).poolMaxSize(2)
        .poolReuse(false).build();
    try (SandboxPool pool = SandboxPool.builder(config).build()) {
      LoadedProbe probe = new LoadedProbe(PreparedCall.class.getPackageName(), PreparedCall.INITIALIZED);
      assertThat(pool.call(probe)).as("a worker started before any call knows nothing of the class")
          .containsExactly(false, false);

      assertThat(pool.call(new PreparedCall(41))).isEqualTo(42);

      assertThat(pool.call(probe)).as("the replacement loaded the class and did not initialize it")
          .containsExactly(true, false);
    }
  }
}
