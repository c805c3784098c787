package dev.airlock.internal.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.AirlockConfig;
import dev.airlock.SandboxCall;
import dev.airlock.SandboxPool;
import dev.airlock.internal.backend.WorkerEgress;
import dev.airlock.internal.intercept.CallEgress;
import dev.airlock.internal.intercept.Invocation;
import dev.airlock.internal.intercept.PoolAccess;
import dev.airlock.internal.worker.WorkerClasspath;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A local worker without namespaces has the host's network, so its pool's egress rules are not enforced (the posture
 * says so): a call's report then says nothing was measured, rather than zeros that would read as "reached nothing".
 */
@Timeout(60)
class UnenforcedEgressTest {

  @Test
  void aCallOnAWorkerWithoutNamespacesIsReportedUnmeasured() throws Throwable {
    AirlockConfig config = AirlockConfig.builder().localIsolation(AirlockConfig.LocalIsolation.NONE)
        .timeoutSeconds(30).set(AirlockConfig.EGRESS_ENABLED, "true").build();
    try (SandboxPool pool = SandboxPool.builder(config).minSize(0).maxSize(1).reuse(false)
        .backend("local", () -> new LocalBackend(config, WorkerClasspath.ofThisJvm())).build()) {
      SandboxCall<Integer> call = () -> 7;
      CallEgress egress = CallEgress.of(new String[] {"docs.test"}, List.of());
      assertThat(PoolAccess.invoke(pool, new Invocation(call, SandboxCall.class.getMethod("call"), new Object[0],
          Duration.ofSeconds(30), false, call::call, egress))).isEqualTo(7);
      assertThat(egress.unmeasured()).contains(WorkerEgress.UNENFORCED);
    }
  }
}
