package dev.airlock.internal.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.airlock.AirlockConfig;
import dev.airlock.SandboxCall;
import dev.airlock.SandboxPool;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ClassAllowlistTest {
  private static final java.lang.reflect.Method CALL;

  static {
    try {
      CALL = SandboxCall.class.getMethod("call");
    } catch (NoSuchMethodException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  record Line(String sku, Money price) {
  }

  record Money(long cents) {
  }

  static final class Order {
    List<Line> lines;
    Map<String, Optional<Status>> notes;
    transient Secretive skipped;
  }

  enum Status { OPEN }

  static final class Secretive {
  }

  sealed interface Shape permits Circle, Square {
  }

  record Circle(double r) implements Shape {
  }

  record Square(double side) implements Shape {
  }

  static final class Neighbour {
  }

  public Order order() {
    return null;
  }

  public Shape shape() {
    return null;
  }

  public Comparable<String> someInterface() {
    return null;
  }

  @Test
  void admitsExactlyTheClassesTheDeclaredReturnTypeReaches() throws Exception {
    ClassAllowlist allowlist = ClassAllowlist.forCall(this, getClass().getMethod("order"), List.of());

    assertThat(allowlist.allows(Order.class.getName())).isTrue();
    assertThat(allowlist.allows(Line.class.getName())).as("field type argument").isTrue();
    assertThat(allowlist.allows(Money.class.getName())).as("record component").isTrue();
    assertThat(allowlist.allows(Status.class.getName())).as("nested type argument").isTrue();
    assertThat(allowlist.allows(Secretive.class.getName())).as("transient: never shipped").isFalse();
    assertThat(allowlist.allows(Neighbour.class.getName())).as("same package, not reached").isFalse();
    assertThat(allowlist.allows(getClass().getName())).as("the receiver's class").isFalse();
  }

  @Test
  void aSealedInterfaceAdmitsItsPermittedSubclassesAndAnOpenOneNothing() throws Exception {
    ClassAllowlist sealed = ClassAllowlist.forCall(this, getClass().getMethod("shape"), List.of());
    assertThat(sealed.allows(Circle.class.getName())).isTrue();
    assertThat(sealed.allows(Square.class.getName())).isTrue();
    ClassAllowlist open = ClassAllowlist.forCall(this, getClass().getMethod("someInterface"), List.of());
    assertThat(open.allows(Neighbour.class.getName())).isFalse();
  }

  @Test
  void aLambdaAdmitsWhatItsImplementationDeclaresToReturn() {
    SandboxCall<Money> call = () -> new Money(5);
    ClassAllowlist allowlist = ClassAllowlist.forCall(call, CALL, List.of());
    assertThat(allowlist.allows(Money.class.getName())).isTrue();
    assertThat(allowlist.allows(Line.class.getName())).isFalse();
    assertThat(allowlist.allows("dev.airlock.SandboxPool")).as("nothing of dev.airlock comes with it").isFalse();
    SandboxCall<Secretive> constructor = Secretive::new;
    assertThat(ClassAllowlist.forCall(constructor, CALL, List.of()).allows(Secretive.class.getName())).isTrue();
  }

  @Test
  void configuredEntriesAreExactNamesOrExplicitPackageWildcards() {
    ClassAllowlist allowlist = ClassAllowlist.of(List.of("com.acme.Order", "com.acme.billing.*"));
    assertThat(allowlist.allows("com.acme.Order")).isTrue();
    assertThat(allowlist.allows("com.acme.OrderLine")).isFalse();
    assertThat(allowlist.allows("com.acme.billing.Invoice")).isTrue();
    assertThat(allowlist.allows("com.acme.billing.Invoice$Line")).isTrue();
    assertThat(allowlist.allows("com.acme.billing.internal.Hook")).as("no subpackages").isFalse();
    assertThatThrownBy(() -> ClassAllowlist.of(List.of("com.acme."))).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("com.acme.*").hasMessageContaining("exactly");
  }

  /**
   * Read when the pool is built, not per call: a call's allowlist is built while its worker runs it, after the
   * invocation has shipped, so a misconfigured entry must stop the pool before any call ships.
   */
  @Test
  void aPoolWithAnEntryThatIsNoClassNameIsNotBuilt() {
    AirlockConfig config = AirlockConfig.builder().poolMinSize(0).allowedClasses(List.of("com.acme.")).build();
    assertThatThrownBy(() -> SandboxPool.builder(config).build()).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'com.acme.'").hasMessageContaining("com.acme.*");
  }

  /** A name is the worker's: one of a million brackets is judged in time linear in its length, not quadratic. */
  @Test
  void aNameOfAMillionBracketsIsJudgedInLinearTime() {
    String brackets = "[".repeat(1_000_000);
    ClassAllowlist jdk = ClassAllowlist.jdkOnly();
    long start = System.nanoTime();

    assertThat(jdk.allows(brackets + "Ljava.lang.String;")).isTrue();
    assertThat(jdk.allows(brackets + "Lcom.acme.Order;")).isFalse();
    assertThat(jdk.allows(brackets)).isFalse();
    assertThat(ClassAllowlist.elementName("[[Lcom.acme.Order;")).isEqualTo("com.acme.Order");
    assertThat(ClassAllowlist.elementName("[[I")).isEqualTo("I");
    assertThat(ClassAllowlist.elementName("com.acme.Order")).isEqualTo("com.acme.Order");

    assertThat(java.time.Duration.ofNanos(System.nanoTime() - start)).as("about half a trillion bytes copied before")
        .isLessThan(java.time.Duration.ofSeconds(5));
  }

  @Test
  void knownGadgetsAreRefusedEvenWhenAdmitted() {
    ClassAllowlist careless = ClassAllowlist.of(List.of("org.apache.commons.collections4.functors.*",
        "org.apache.commons.collections4.functors.InvokerTransformer", "org.codehaus.groovy.runtime.MethodClosure",
        "java.util.PriorityQueue", "com.mchange.v2.c3p0.PoolBackedDataSource"));
    assertThat(careless.allows("org.apache.commons.collections4.functors.InvokerTransformer")).isFalse();
    assertThat(careless.allows("org.apache.commons.collections4.functors.ChainedTransformer")).isFalse();
    assertThat(careless.allows("org.codehaus.groovy.runtime.MethodClosure")).isFalse();
    assertThat(careless.allows("java.util.PriorityQueue")).isFalse();
    assertThat(careless.allows("com.mchange.v2.c3p0.PoolBackedDataSource")).isFalse();
  }
}
