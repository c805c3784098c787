package dev.airlock.internal.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.airlock.SandboxProtocolException;
import java.lang.ref.WeakReference;
import java.lang.reflect.Type;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

class ResultTypesTest {
  public record Line(String sku, List<Integer> quantities) {
  }

  public static class Page<T> {
    List<T> items = new ArrayList<>();
    T first;
  }

  /** Binds its superclass's variable itself. */
  public static class Lines extends Page<Line> {
    Map<String, T2> extra = new HashMap<>();
  }

  public static class T2 {
  }

  public String text() {
    return null;
  }

  public int number() {
    return 0;
  }

  public void nothing() {
  }

  public List<String> names() {
    return null;
  }

  public Map<String, List<Integer>> table() {
    return null;
  }

  public Optional<String> maybe() {
    return null;
  }

  public Line line() {
    return null;
  }

  public Page<Line> page() {
    return null;
  }

  public List<? extends Number> numbers() {
    return null;
  }

  public String[] words() {
    return null;
  }

  @SuppressWarnings("rawtypes")
  public List raw() {
    return null;
  }

  public Object anything() {
    return null;
  }

  public <T extends Number & Comparable<T>> T bounded() {
    return null;
  }

  public <T extends Number & Comparable<T>> List<T> boundedList() {
    return null;
  }

  public <T extends List<String> & java.util.RandomAccess> T listed() {
    return null;
  }

  /** A value of the first bound only: no code of the method could return it without an unchecked cast. */
  @Test
  void aValueOfAVariablesFirstBoundOnlyDoesNotFit() throws Exception {
    assertThat(misfit(3, "bounded")).isEmpty();
    assertThat(misfit(List.of(1L, 2L), "boundedList")).isEmpty();
    assertThat(misfit(new java.util.concurrent.atomic.AtomicInteger(3), "bounded")).hasValue("the result is a "
        + "java.util.concurrent.atomic.AtomicInteger, but its declared type is T extends java.lang.Number & "
        + "java.lang.Comparable<T>");
    assertThat(misfit("3", "bounded")).isPresent();
    assertThat(misfit(List.of(1, new java.util.concurrent.atomic.AtomicLong()), "boundedList")).isPresent();
    assertThat(misfit(new ArrayList<>(List.of("a")), "listed")).isEmpty();
    assertThat(misfit(new java.util.LinkedList<>(List.of("a")), "listed")).as("not RandomAccess").isPresent();
    assertThat(misfit(new ArrayList<>(List.of(1)), "listed")).as("the first bound's type argument").hasValue(
        "the result[0] is a java.lang.Integer, but its declared type is java.lang.String");
  }

  public interface Box<T> {
  }

  public static class BoxImpl<T> implements Box<T> {
    T value;

    BoxImpl(T value) {
      this.value = value;
    }
  }

  /** Its own variable stands for its superclass's. */
  public static class PageOf<T> extends Page<T> {
    T extra;
  }

  public Box<String> box() {
    return null;
  }

  /**
   * The declared type fixes the variables of the class the worker chose below it, through an interface too: no code of
   * the method could put an {@code Integer} in a {@code Box<String>}'s value.
   */
  @Test
  void theDeclaredTypeBindsTheVariablesOfTheResultsOwnClass() throws Exception {
    PageOf<Line> page = new PageOf<>();
    page.extra = new Line("a", List.of());
    PageOf<Object> wrong = new PageOf<>();
    wrong.extra = "not a line";

    assertThat(misfit(new BoxImpl<>("a"), "box")).isEmpty();
    assertThat(misfit(new BoxImpl<>(1), "box")).hasValue("the result.value is a java.lang.Integer, but its declared "
        + "type is java.lang.String");
    assertThat(misfit(page, "page")).isEmpty();
    assertThat(misfit(wrong, "page")).hasValue("the result.extra is a java.lang.String, but its declared type is "
        + Line.class.getTypeName());
  }

  private static Type declared(String method) throws NoSuchMethodException {
    return ResultTypesTest.class.getMethod(method).getGenericReturnType();
  }

  private static Optional<String> misfit(Object value, String method) throws NoSuchMethodException {
    return ResultTypes.misfit(value, declared(method), () -> false);
  }

  @Test
  void whatTheMethodCouldHaveReturnedFits() throws Exception {
    Page<Line> page = new Page<>();
    page.items.add(new Line("a", List.of(1, 2)));
    page.first = new Line("b", List.of());
    Lines lines = new Lines();
    lines.items.add(new Line("c", List.of(3)));
    lines.extra.put("k", new T2());

    assertThat(misfit("x", "text")).isEmpty();
    assertThat(misfit(null, "text")).isEmpty();
    assertThat(misfit(7, "number")).isEmpty();
    assertThat(misfit(null, "nothing")).isEmpty();
    assertThat(misfit(List.of("a", "b"), "names")).isEmpty();
    assertThat(misfit(Map.of("a", List.of(1)), "table")).isEmpty();
    assertThat(misfit(Optional.of("a"), "maybe")).isEmpty();
    assertThat(misfit(Optional.empty(), "maybe")).isEmpty();
    assertThat(misfit(new Line("a", List.of(1)), "line")).isEmpty();
    assertThat(misfit(page, "page")).isEmpty();
    assertThat(misfit(lines, "page")).as("a subclass binding the variable itself").isEmpty();
    assertThat(misfit(List.of(1, 2L, 3.0), "numbers")).isEmpty();
    assertThat(misfit(new String[] {"a", null}, "words")).isEmpty();
    assertThat(misfit(List.of(1, "a", List.of()), "raw")).isEmpty();
    assertThat(misfit(new Line("a", List.of(1)), "anything")).isEmpty();
  }

  @Test
  void aValueNoCodeOfTheMethodCouldReturnIsNamedByItsPath() throws Exception {
    Page<Line> page = new Page<>();
    page.items.add(new Line("a", List.of(1)));
    smuggle(page.items, "not a line");
    Map<String, List<Integer>> table = new LinkedHashMap<>();
    table.put("a", List.of(1));
    table.put("b", new ArrayList<>(List.of(2)));
    smuggle(table.get("b"), String.class);
    Lines lines = new Lines();
    smuggle(lines.extra, List.of());

    assertThat(misfit(5, "text")).hasValue("the result is a java.lang.Integer, but its declared type is "
        + "java.lang.String");
    assertThat(misfit(null, "number")).hasValue("the result is null, but its declared type is int");
    assertThat(misfit("x", "nothing")).isPresent();
    assertThat(misfit(List.of("a", 2), "names")).hasValue("the result[1] is a java.lang.Integer, but its declared "
        + "type is java.lang.String");
    assertThat(misfit(table, "table")).hasValue("the result's value 1[1] is a java.lang.Class, but its declared "
        + "type is java.lang.Integer");
    assertThat(misfit(Optional.of(3), "maybe")).isPresent();
    assertThat(misfit(new Line("a", unchecked(List.of("1"))), "line")).hasValue("the result.quantities[0] is a "
        + "java.lang.String, but its declared type is java.lang.Integer");
    assertThat(misfit(page, "page")).hasValue("the result.items[1] is a java.lang.String, but its declared type is "
        + Line.class.getTypeName());
    assertThat(misfit(lines, "page")).hasValue("the result.extra's value 0 is a "
        + List.of().getClass().getName() + ", but its declared type is " + T2.class.getTypeName());
    assertThat(misfit(List.of("1"), "numbers")).isPresent();
    assertThat(misfit(new Object[] {"a"}, "words")).isPresent();
  }

  /**
   * The worker chose the shape: 200,000 strings at the bottom of lists nested 300 deep would have cost 60 million
   * path characters had each value's path been spelt out, and the elements of a 200,000-long list as many entries on
   * the walk's stack had they been pushed at once.
   */
  @Test
  void theWalkCostsWhatTheResultHoldsWhateverItsShape() throws Exception {
    List<Object> bottom = new ArrayList<>();
    for (int i = 0; i < 200_000; i++) {
      bottom.add("s");
    }
    Object deep = bottom;
    for (int i = 0; i < 300; i++) {
      deep = List.of(deep);
    }
    Object nested = deep;
    long allocated = allocatedBy(() -> assertThat(misfit(nested, "anything")).isEmpty());

    assertThat(allocated).as("bytes allocated by the walk").isLessThan(32L * 1024 * 1024);
  }

  public List<Line> lines() {
    return null;
  }

  /**
   * 100,000 records of one class: its fields are read once for the walk, not copied per object, and their types'
   * work is done once, not per object (which had kept a table entry per object for the walk's length).
   */
  @Test
  void manyObjectsOfOneClassCostTheirFieldsOnly() throws Exception {
    List<Line> lines = new ArrayList<>();
    for (int i = 0; i < 100_000; i++) {
      lines.add(new Line("sku", List.of(i)));
    }
    misfit(lines.subList(0, 10), "lines");
    long perObject = allocatedBy(() -> assertThat(misfit(lines, "lines")).isEmpty()) / lines.size();
    assertThat(perObject).as("bytes allocated per record (about 290 measured; 490 before a string field cost no "
        + "child)").isLessThan(400);
  }

  /** An enum constant of the host's, holding a large table: the worker can name it cheaply, many times over. */
  public enum Heavy {
    TABLE;

    final List<Integer> rows = new ArrayList<>();

    Heavy() {
      for (int i = 0; i < 100_000; i++) {
        rows.add(i);
      }
    }
  }

  public List<Heavy> heavies() {
    return null;
  }

  @Test
  void anEnumConstantIsNotWalkedThroughEachTimeItComes() throws Exception {
    List<Heavy> many = new ArrayList<>();
    for (int i = 0; i < 10_000; i++) {
      many.add(Heavy.TABLE);
    }
    long start = System.nanoTime();

    assertThat(misfit(many, "heavies")).isEmpty();

    assertThat(java.time.Duration.ofNanos(System.nanoTime() - start)).as("a billion rows would take minutes")
        .isLessThan(java.time.Duration.ofSeconds(5));
  }

  @Test
  void theWalkStopsAtTheCallsDeadline() {
    List<String> many = new ArrayList<>();
    for (int i = 0; i < 10_000; i++) {
      many.add("s");
    }

    assertThatThrownBy(() -> ResultTypes.misfit(many, declared("names"), () -> true))
        .isInstanceOf(SandboxProtocolException.class).hasMessageContaining("deadline");
  }

  /** Three fields the walk accepts where it reads them, without a child of their own. */
  public static class Leaves {
    Integer number = 1;
    String text = "s";
    Object nothing;
  }

  public List<Leaves> leaves() {
    return null;
  }

  /**
   * 1,100 objects of three fields each are 4,401 values: the deadline is looked at after 4,096 of them, fields
   * accepted on the spot included. Counted as objects only, the walk had looked at it after 4,096 objects, whatever
   * the number of fields each holds.
   */
  @Test
  void fieldsAcceptedWithoutAChildCountTowardsTheDeadline() throws Exception {
    List<Leaves> many = new ArrayList<>();
    for (int i = 0; i < 1_100; i++) {
      many.add(new Leaves());
    }

    assertThat(ResultTypes.misfit(many, declared("leaves"), () -> false)).isEmpty();
    assertThatThrownBy(() -> ResultTypes.misfit(many, declared("leaves"), () -> true))
        .isInstanceOf(SandboxProtocolException.class).hasMessageContaining("deadline");
  }

  @Test
  void decodingRefusesAResultThatDoesNotFitTheDeclaredType() throws Exception {
    ClassAllowlist names = ClassAllowlist.forCall(this, getClass().getMethod("names"), List.of());

    assertThat(Codec.decodeResult(Codec.encodeResult(List.of("a"), 4096), names)).isEqualTo(List.of("a"));
    assertThatThrownBy(() -> Codec.decodeResult(Codec.encodeResult(List.of("a", 2), 4096), names))
        .isInstanceOf(SandboxProtocolException.class)
        .hasMessageContaining("the result[1] is a java.lang.Integer, but its declared type is java.lang.String")
        .hasMessageContaining("unchecked cast");
  }

  /**
   * The walk keeps what it learns of a class on the class itself, JDK classes included, which live as long as the JVM:
   * what it keeps there must not hold this library's class loader. It did (a value of its own enum on
   * {@code ArrayList}), so an application server that dropped a redeployed application kept its Airlock classes.
   */
  @Test
  void aWalkOverJdkClassesLeavesNothingThatKeepsThisLibrarysClassLoaderAlive() throws Exception {
    WeakReference<ClassLoader> dropped = walkInADroppedLoader();
    for (int i = 0; i < 100 && dropped.get() != null; i++) {
      System.gc();
      Thread.sleep(20);
    }
    assertThat(dropped.get()).as("the class loader that loaded ResultTypes, dropped after one walk").isNull();
  }

  private static WeakReference<ClassLoader> walkInADroppedLoader() throws Exception {
    URL classes = ResultTypes.class.getProtectionDomain().getCodeSource().getLocation();
    try (URLClassLoader loader = new URLClassLoader(new URL[] {classes}, ClassLoader.getPlatformClassLoader())) {
      Class<?> walk = loader.loadClass(ResultTypes.class.getName());
      assertThat(walk.getClassLoader()).isSameAs(loader);
      Object misfit = walk.getMethod("misfit", Object.class, Type.class, BooleanSupplier.class).invoke(null,
          new ArrayList<>(List.of(1, 2L, Optional.of(3), new HashMap<>(Map.of("k", "v")), new Object[] {"a"})),
          Object.class, (BooleanSupplier) () -> false);
      assertThat(misfit).isEqualTo(Optional.empty());
      return new WeakReference<>(loader);
    }
  }

  /** The bytes this thread allocates while running {@code walk}. */
  private static long allocatedBy(ThrowingRunnable walk) throws Exception {
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    long before = threads.getCurrentThreadAllocatedBytes();
    walk.run();
    return threads.getCurrentThreadAllocatedBytes() - before;
  }

  private interface ThrowingRunnable {
    void run() throws Exception;
  }

  @SuppressWarnings("unchecked")
  private static <T> List<T> unchecked(List<?> list) {
    return (List<T>) list;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static void smuggle(Object collectionOrMap, Object value) {
    if (collectionOrMap instanceof List list) {
      list.add(value);
    } else {
      ((Map) collectionOrMap).put("smuggled", value);
    }
  }
}
