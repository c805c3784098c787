package dev.airlock.internal.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.airlock.AirlockConfig;
import dev.airlock.SandboxCall;
import dev.airlock.SandboxPool;
import dev.airlock.SandboxProtocolException;
import java.time.LocalDate;
import java.util.ArrayList;
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

    assertThat(jdk.allows(brackets + "Ljava.lang.String;")).isFalse();
    assertThat(jdk.allows("[[Ljava.lang.String;")).isTrue();
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

  public Object anything() {
    return null;
  }

  public LocalDate[][][] calendar() {
    return null;
  }

  record Tensor(double[][][] cells) {
  }

  public Tensor tensor() {
    return null;
  }

  /**
   * Attack review 41: every array class of an admitted class was admitted at any depth, and the JVM keeps each array
   * class it makes, with the arrays of its supertypes: 37 KB naming 130 classes at every depth up to 255 loaded 155 MiB
   * of classes into the host for good. Two dimensions are admitted where nothing declares more.
   */
  @Test
  void anArrayDeeperThanWhatTheDeclaredTypeNamesIsRefusedNamingTheFix() throws Exception {
    ClassAllowlist anything = ClassAllowlist.forCall(this, getClass().getMethod("anything"), List.of());
    assertThat((String[][]) Codec.decodeResult(Codec.encodeResult(new String[][] {{"a"}}, 4096), anything))
        .isDeepEqualTo(new String[][] {{"a"}});
    // Refused before as well, for another reason: Kryo writes an array of arrays without a null flag per element.
    assertThat((Integer[][]) Codec.decodeResult(Codec.encodeResult(new Integer[][] {{1}}, 4096), anything))
        .isDeepEqualTo(new Integer[][] {{1}});
    assertThat(anything.allows("[[[Ljava.time.LocalDate;")).isFalse();
    assertThat(anything.allows("[[[[[[[[[[[[[[[[I")).isFalse();
    byte[] deep = Codec.encodeResult(new LocalDate[][][] {{{LocalDate.EPOCH}}}, 4096);
    assertThatThrownBy(() -> Codec.decodeResult(deep, anything)).isInstanceOf(SandboxProtocolException.class)
        .hasMessageContaining("an array of 3 dimensions, deeper than the 2 the method's declared return type reaches")
        .hasMessageContaining("declare that array type");

    ClassAllowlist calendar = ClassAllowlist.forCall(this, getClass().getMethod("calendar"), List.of());
    assertThat((LocalDate[][][]) Codec.decodeResult(deep, calendar)).isDeepEqualTo(
        new LocalDate[][][] {{{LocalDate.EPOCH}}});
    assertThat(calendar.allows("[[[[Ljava.time.LocalDate;")).isFalse();
    ClassAllowlist tensor = ClassAllowlist.forCall(this, getClass().getMethod("tensor"), List.of());
    Tensor cells = (Tensor) Codec.decodeResult(Codec.encodeResult(new Tensor(new double[][][] {{{1.5}}}), 4096),
        tensor);
    assertThat(cells.cells()[0][0][0]).isEqualTo(1.5);
  }

  record User(String name) {
  }

  /** A tool base class written once for every entity, as CRUD tools are. */
  public static class CrudTool<T> {
    public List<T> list() {
      return null;
    }

    public T one() {
      return null;
    }
  }

  public static class EntityTool<E> extends CrudTool<E> {
  }

  public static final class UserTool extends EntityTool<User> {
  }

  /**
   * Attack review 41: a method declared by a generic class returns what the receiver's class binds its variables to.
   * Read through the variable's bound instead, a {@code List<User>} was refused (no {@code User} admitted) and, with
   * {@code User} configured, a list of strings reached a caller that reads users.
   */
  @Test
  void aMethodOfAGenericClassReturnsWhatTheReceiversClassBindsItsTypeVariablesTo() throws Exception {
    ClassAllowlist list = ClassAllowlist.forCall(new UserTool(), CrudTool.class.getMethod("list"), List.of());
    assertThat(list.allows(User.class.getName())).isTrue();
    assertThat(Codec.decodeResult(Codec.encodeResult(new ArrayList<>(List.of(new User("ada"))), 4096), list))
        .isEqualTo(List.of(new User("ada")));
    assertThatThrownBy(() -> Codec.decodeResult(Codec.encodeResult(new ArrayList<>(List.of("ada")), 4096), list))
        .isInstanceOf(SandboxProtocolException.class).hasMessageContaining(User.class.getSimpleName());
    ClassAllowlist one = ClassAllowlist.forCall(new UserTool(), CrudTool.class.getMethod("one"), List.of());
    assertThat(Codec.decodeResult(Codec.encodeResult(new User("ada"), 4096), one)).isEqualTo(new User("ada"));
    assertThatThrownBy(() -> Codec.decodeResult(Codec.encodeResult("ada", 4096), one))
        .isInstanceOf(SandboxProtocolException.class).hasMessageContaining(User.class.getSimpleName());

    // A receiver whose class leaves the variable open may return anything the variable's bound admits.
    ClassAllowlist open = ClassAllowlist.forCall(new EntityTool<User>(), CrudTool.class.getMethod("list"), List.of());
    assertThat(Codec.decodeResult(Codec.encodeResult(new ArrayList<>(List.of("ada")), 4096), open))
        .isEqualTo(List.of("ada"));
  }

  public Number[] numbers() {
    return null;
  }

  public CharSequence[] texts() {
    return null;
  }

  public List<String>[] lists() {
    return null;
  }

  /**
   * Attack review 41: an array of a JDK interface or abstract class was refused even where the method declares it,
   * since only its elements' classes were admitted, never the array's own.
   */
  @Test
  void anArrayOfAJdkInterfaceOrAbstractClassIsAdmittedWhereDeclared() throws Exception {
    ClassAllowlist numbers = ClassAllowlist.forCall(this, getClass().getMethod("numbers"), List.of());
    assertThat((Number[]) Codec.decodeResult(Codec.encodeResult(new Number[] {1, 2.5}, 4096), numbers))
        .containsExactly(1, 2.5);
    ClassAllowlist texts = ClassAllowlist.forCall(this, getClass().getMethod("texts"), List.of());
    assertThat((CharSequence[]) Codec.decodeResult(Codec.encodeResult(new CharSequence[] {"a"}, 4096), texts))
        .containsExactly("a");
    ClassAllowlist lists = ClassAllowlist.forCall(this, getClass().getMethod("lists"), List.of());
    assertThat((List<?>[]) Codec.decodeResult(Codec.encodeResult(new List<?>[] {List.of("a")}, 4096), lists))
        .containsExactly(List.of("a"));
    // The array's class, not its element's: nothing else is admitted by it.
    assertThat(numbers.allows("java.util.PriorityQueue")).isFalse();
    assertThat(ClassAllowlist.forCall(this, getClass().getMethod("anything"), List.of()).allows("[Ljava.lang.Number;"))
        .isFalse();
  }

  /** A generic outer class whose inner class's methods return its variable. */
  public static class Outer<T> {
    public class Inner {
      public T get() {
        return null;
      }
    }

    public class StringInner extends Outer<String>.Inner {
      public StringInner(Outer<String> outer) {
        outer.super();
      }
    }
  }

  /** Attack review 42: the receiver's class binds an enclosing class's variable too. */
  @Test
  void anInnerClassesMethodReturnsWhatTheReceiversClassBindsItsEnclosingClassesVariableTo() throws Exception {
    Outer<String> outer = new Outer<>();
    Object receiver = outer.new StringInner(outer);
    ClassAllowlist get = ClassAllowlist.forCall(receiver, Outer.Inner.class.getMethod("get"), List.of());
    assertThat(Codec.decodeResult(Codec.encodeResult("a", 4096), get)).isEqualTo("a");
    assertThatThrownBy(() -> Codec.decodeResult(Codec.encodeResult(7, 4096), get))
        .isInstanceOf(SandboxProtocolException.class).hasMessageContaining("java.lang.String");
  }

  /** A binary heap as textbooks write it: its array is made of the variable's erasure. */
  public static final class MinHeap<T extends Comparable<T>> {
    @SuppressWarnings("unchecked")
    T[] items = (T[]) new Comparable[1];
  }

  public MinHeap<Integer> heap() {
    return null;
  }

  record Batch<T>(T[] items) {
  }

  public Batch<float[][]> batch() {
    return null;
  }

  /**
   * Attack review 42: an array whose element is a type variable admitted neither the class generic code makes it of
   * ({@code (T[]) new Comparable[n]}) nor the depth of what the variable stands for ({@code T[]} of a
   * {@code Batch<float[][]>} is a {@code float[][][]}).
   */
  @Test
  void anArrayOfATypeVariableIsAdmittedAsItsErasureAndAsDeepAsItsArgument() throws Exception {
    ClassAllowlist heap = ClassAllowlist.forCall(this, getClass().getMethod("heap"), List.of());
    MinHeap<Integer> sent = new MinHeap<>();
    ((Object[]) sent.items)[0] = 3;
    assertThat((Object[]) ((MinHeap<?>) Codec.decodeResult(Codec.encodeResult(sent, 4096), heap)).items)
        .containsExactly(3);
    ClassAllowlist batch = ClassAllowlist.forCall(this, getClass().getMethod("batch"), List.of());
    Batch<?> floats = (Batch<?>) Codec.decodeResult(Codec.encodeResult(new Batch<>(new float[][][] {{{1.5f}}}),
        4096), batch);
    assertThat(((float[][][]) floats.items())[0][0][0]).isEqualTo(1.5f);
    assertThat(batch.allows("[[[[F")).isFalse();
  }
}
