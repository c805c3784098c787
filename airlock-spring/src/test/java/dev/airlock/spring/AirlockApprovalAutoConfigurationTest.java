package dev.airlock.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.airlock.AirlockApprovalRequiredException;
import dev.airlock.AirlockApprovals;
import dev.airlock.AirlockBlockedException;
import dev.airlock.ApprovalDecision;
import dev.airlock.ApprovalHandler;
import dev.airlock.ApprovalRequest;
import dev.airlock.annotation.Airlock;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** Issue 18: an {@link ApprovalHandler} bean makes approval blocking; without one calls are suspended. */
class AirlockApprovalAutoConfigurationTest {
  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(AirlockAutoConfiguration.class,
          AirlockActuatorAutoConfiguration.class))
      .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
      .withBean(Mailer.class);

  public static class Mailer {
    @Airlock(approval = true)
    public String send(String to) {
      return "sent to " + to;
    }

    @Airlock(policy = "ops")
    public String wipe(String what) {
      return "wiped " + what;
    }
  }

  @Test
  void aHandlerBeanIsAskedAndItsDecisionIsCounted() {
    List<ApprovalRequest> asked = new CopyOnWriteArrayList<>();
    ApprovalHandler handler = request -> {
      asked.add(request);
      return CompletableFuture.completedFuture(request.arguments().containsValue("[REDACTED]")
          ? ApprovalDecision.approve("bean") : ApprovalDecision.deny("bean", "not masked"));
    };
    runner.withBean(ApprovalHandler.class, () -> handler).run(context -> {
      assertThat(context).hasNotFailed();
      assertThat(context.getBean(AirlockApprovals.class).blocking()).isTrue();
      assertThat(context.getBean(Mailer.class).send("bob@example.com")).isEqualTo("sent to bob@example.com");
      assertThat(asked).singleElement().satisfies(r -> assertThat(r.tool()).isEqualTo("send"));
      MeterRegistry registry = context.getBean(MeterRegistry.class);
      assertThat(registry.get("airlock.approvals").tag("outcome", "approved").functionCounter().count())
          .isEqualTo(1.0);
    });
  }

  @Test
  void withoutAHandlerCallsAreSuspendedBoundedAndResumedThroughTheBean() {
    runner.withPropertyValues("airlock.approval.max-pending=1", "airlock.approval.expire-after-seconds=600",
        "airlock.policy.ops.require-approval=wipe*").run(context -> {
          assertThat(context).hasNotFailed();
          AirlockApprovals approvals = context.getBean(AirlockApprovals.class);
          Mailer mailer = context.getBean(Mailer.class);
          AirlockApprovalRequiredException pending = (AirlockApprovalRequiredException) org.assertj.core.api
              .Assertions.catchThrowable(() -> mailer.wipe("cache"));
          assertThat(pending.tool()).isEqualTo("wipe");
          assertThatThrownBy(() -> mailer.send("bob")).as("the store holds one call")
              .isInstanceOf(AirlockBlockedException.class).hasMessageContaining("store full");
          assertThat(approvals.resume(pending.callId(), ApprovalDecision.approve("ops"))).isEqualTo("wiped cache");
          MeterRegistry registry = context.getBean(MeterRegistry.class);
          assertThat(registry.get("airlock.approvals").tag("outcome", "full").functionCounter().count())
              .isEqualTo(1.0);
          assertThat(registry.get("airlock.guard.calls").tag("outcome", "pending").functionCounter().count())
              .isEqualTo(1.0);
        });
  }
}
