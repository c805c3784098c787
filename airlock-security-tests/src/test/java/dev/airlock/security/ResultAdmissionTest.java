package dev.airlock.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.airlock.AirlockConfig;
import dev.airlock.SandboxProtocolException;
import dev.airlock.security.hostile.CanaryComparator;
import dev.airlock.security.hostile.Gadgets;
import dev.airlock.security.hostile.Lie;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.commons.collections4.Bag;
import org.apache.commons.collections4.bag.HashBag;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 14 item 1: what a result may contain is decided by exact class from the method's signature, so a worker
 * never chooses which code the host runs while decoding, not even through a comparator of an admitted class.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ResultAdmissionTest {

  /** A tool declared to return a third-party interface: that library's package must not come with it. */
  public static final class Tally {
    public Bag<String> tally() {
      return new HashBag<>(List.of("a", "b", "a"));
    }
  }

  @BeforeEach
  @AfterEach
  void noCanaryRan() {
    assertThat(System.getProperty(Gadgets.CC4_RAN)).as("the commons-collections4 chain ran on the host").isNull();
    assertThat(System.getProperty(CanaryComparator.RAN)).as("a foreign comparator ran on the host").isNull();
  }

  @Test
  void aCommonsCollections4ChainInAResultOfADeclaredBagIsRefusedBeforeAnyOfItsClassesLoad() throws Exception {
    try (HostilePool hostile = new HostilePool()) {
      hostile.backend.thenLie(Lie.CC4_TRANSFORMING_COMPARATOR);

      Throwable thrown = catchThrowable(() -> hostile.invoke(new Tally(), "tally"));

      assertThat(thrown).isExactlyInstanceOf(SandboxProtocolException.class)
          .hasMessageContaining("org.apache.commons.collections4.comparators.TransformingComparator")
          .hasMessageContaining("declare a concrete return type")
          .hasMessageContaining("airlock.allowed-classes")
          .hasMessageNotContaining("add its package");
      assertThat(System.getProperty(Gadgets.CC4_RAN)).isNull();
      assertThat(loadedOnHost("org.apache.commons.collections4.comparators.TransformingComparator")).isFalse();
      assertThat(loadedOnHost("org.apache.commons.collections4.functors.InvokerTransformer")).isFalse();
    }
  }

  @Test
  void aComparatorFromOutsideTheJdkIsRefusedEvenWhenItsClassIsNamedExactly() throws Exception {
    AirlockConfig.Builder config = AirlockConfig.builder().allowedClasses(List.of(CanaryComparator.class.getName()));
    try (HostilePool hostile = new HostilePool(config)) {
      hostile.backend.thenLie(Lie.FOREIGN_COMPARATOR_IN_TREEMAP);

      Throwable thrown = catchThrowable(() -> hostile.pool.call(() -> 42));

      assertThat(thrown).isExactlyInstanceOf(SandboxProtocolException.class)
          .hasMessageContaining(CanaryComparator.class.getName()).hasMessageContaining("Comparator");
      assertThat(System.getProperty(CanaryComparator.RAN)).isNull();
      assertThat(hostile.pool.call(() -> 7)).as("the next call, on a fresh worker").isEqualTo(7);
    }
  }

  @Test
  void aLambdaResultMayNotNameTheCallersOwnPackage() throws Exception {
    try (HostilePool hostile = new HostilePool()) {
      hostile.backend.thenLie(Lie.FOREIGN_COMPARATOR_IN_TREEMAP);

      Throwable thrown = catchThrowable(() -> hostile.pool.call(() -> 42));

      assertThat(thrown).isExactlyInstanceOf(SandboxProtocolException.class)
          .hasMessageContaining(CanaryComparator.class.getName());
      assertThat(System.getProperty(CanaryComparator.RAN)).isNull();
    }
  }

  private static boolean loadedOnHost(String name) throws Exception {
    java.lang.reflect.Method find = ClassLoader.class.getDeclaredMethod("findLoadedClass", String.class);
    find.setAccessible(true);
    return find.invoke(ResultAdmissionTest.class.getClassLoader(), name) != null;
  }
}
