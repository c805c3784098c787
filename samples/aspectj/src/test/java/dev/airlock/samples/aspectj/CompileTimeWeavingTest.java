package dev.airlock.samples.aspectj;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.airlock.AirlockConfig;
import dev.airlock.AirlockRuntime;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The woven build, called as plain Java: the calls run in sandbox workers. */
@Timeout(120)
class CompileTimeWeavingTest {

  @BeforeAll
  static void configure() {
    AirlockRuntime.configure(AirlockConfig.builder().poolMinSize(0).poolMaxSize(1).build());
  }

  @AfterAll
  static void close() {
    AirlockRuntime.closePools();
  }

  @Test
  void aWovenMethodRunsInTheSandbox() {
    assertThat(new WovenTools().where()).startsWith("sandbox pid ");
  }

  @Test
  void aWovenClassInsideTheWorkerProceedsWithoutALoop() {
    long before = AirlockRuntime.pool().stats().totalExecutions();
    assertThat(new WovenTools().nested()).startsWith("outer in sandbox pid ");
    assertThat(AirlockRuntime.pool().stats().totalExecutions()).as("one shipped call, not two")
        .isEqualTo(before + 1);
  }

  @Test
  void exceptionsKeepTheirType() {
    assertThatThrownBy(() -> new WovenTools().divide(1, 0)).isInstanceOf(ArithmeticException.class);
  }
}
