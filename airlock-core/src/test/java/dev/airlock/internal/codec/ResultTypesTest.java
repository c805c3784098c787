package dev.airlock.internal.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.airlock.SandboxProtocolException;
import java.lang.ref.WeakReference;
import java.lang.reflect.Type;
import java.net.URL;
import java.net.URLClassLoader;
import java.time.Duration;
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

  /** Holds strings by its own declaration, whatever the method declares. */
  public static class Tags extends ArrayList<String> {
  }

  public static class Counts extends HashMap<String, Integer> {
  }

  /** A list with a field of its own. */
  public static class Weighted extends ArrayList<String> {
    List<Integer> weights = new ArrayList<>();
  }

  public static class Outer<T> {
    public class Inner {
      T value;
    }
  }

  public Outer<String>.Inner inner() {
    return null;
  }

  /**
   * An application's collection or map class says what it holds itself: a caller's checked cast to {@code Tags}
   * hands it strings, so an integer in one is refused even where the method declares {@code Object}. Its own fields
   * are checked, and an inner class's fields of its enclosing class's variables by the enclosing type's arguments.
   */
  @Test
  void anApplicationsCollectionIsHeldToItsOwnClassesDeclarationAndFields() throws Exception {
    Tags tags = new Tags();
    tags.add("a");
    smuggle(tags, 1);
    Counts counts = new Counts();
    counts.put("a", 1);
    smuggle(counts, "not a count");
    Weighted weighted = new Weighted();
    weighted.add("a");
    smuggle(weighted.weights, "heavy");
    Outer<String>.Inner inner = new Outer<String>().new Inner();
    setUnchecked(inner);

    assertThat(misfit(tags, "anything")).hasValue("the result[1] is a java.lang.Integer, but its declared type is "
        + "java.lang.String");
    assertThat(misfit(tags, "names")).hasValue("the result[1] is a java.lang.Integer, but its declared type is "
        + "java.lang.String");
    assertThat(misfit(counts, "anything")).hasValue("the result's value 1 is a java.lang.String, but its declared "
        + "type is java.lang.Integer");
    assertThat(misfit(weighted, "names")).hasValue("the result.weights[0] is a java.lang.String, but its declared "
        + "type is java.lang.Integer");
    assertThat(misfit(inner, "inner")).hasValue("the result.value is a java.lang.Integer, but its declared type is "
        + "java.lang.String");
    Tags fine = new Tags();
    fine.add("a");
    assertThat(misfit(fine, "anything")).isEmpty();
    assertThat(misfit(new Weighted(), "anything")).isEmpty();
  }

  public static class Nest<T> extends ArrayList<Nest<T>> {
  }

  public Nest<String> nest() {
    return null;
  }

  /**
   * An application's collection is checked against its declared type and its own class's at once, not walked once
   * for each: walked twice at every level, 60 levels of one element each were 2^60 visits. Fewer than 4,096 visits
   * never look at the deadline, so one that has passed already stops only a walk that does more.
   */
  @Test
  void nestedApplicationCollectionsAreWalkedOnceEach() throws Exception {
    Nest<String> root = new Nest<>();
    Nest<String> at = root;
    for (int i = 0; i < 60; i++) {
      Nest<String> next = new Nest<>();
      at.add(next);
      at = next;
    }

    assertThat(ResultTypes.misfit(root, declared("nest"), () -> true)).isEmpty();
    assertThat(ResultTypes.misfit(root, declared("anything"), () -> true)).isEmpty();
    smuggle(at, "deep");
    assertThat(misfit(root, "nest")).hasValueSatisfying(why -> assertThat(why).startsWith("the result[0][0][0]")
        .endsWith(" is a java.lang.String, but its declared type is " + Nest.class.getName() + "<java.lang.String>"));
  }

  public static class Mid<X> extends ArrayList<List<X>> {
  }

  /** Fixes its element type through a generic class between it and {@code List}. */
  public static class Leaf extends Mid<String> {
  }

  public static class Holders<T> {
    public class Holder {
      T value;
    }

    public class SubHolder extends Holder {
    }
  }

  public Holders<String>.Holder holder() {
    return null;
  }

  public record Items<T>(T[] items) {
  }

  public Items<String> items() {
    return null;
  }

  /** Refers to its own variable inside a type argument of itself. */
  public static class Grouped<T> {
    T value;
    Grouped<List<T>> grouped;
  }

  public Grouped<String> grouped() {
    return null;
  }

  /**
   * Type arguments are followed all the way: through a generic class between a class and the collection interface, to
   * an enclosing class's arguments when the object is of a subclass, into the elements of an array of a variable, and
   * through a class that names its own variable inside an argument of itself.
   */
  @Test
  void typeArgumentsAreFollowedThroughEveryLevelOfADeclaration() throws Exception {
    Leaf leaf = new Leaf();
    leaf.add(unchecked(List.of(42)));
    Holders<String>.SubHolder sub = new Holders<String>().new SubHolder();
    setUnchecked(sub, 7);
    Items<String> objects = itemsOf(new Object[] {"a"});
    Grouped<String> grouped = new Grouped<>();
    grouped.value = "a";
    grouped.grouped = new Grouped<>();
    grouped.grouped.value = List.of("b");

    assertThat(misfit(leaf, "anything")).hasValue("the result[0][0] is a java.lang.Integer, but its declared type is "
        + "java.lang.String");
    assertThat(misfit(sub, "holder")).hasValue("the result.value is a java.lang.Integer, but its declared type is "
        + "java.lang.String");
    assertThat(misfit(objects, "items")).as("generic code makes its T[] as (T[]) new Object[n]").isEmpty();
    assertThat(misfit(itemsOf(new Object[] {"a", 1}), "items")).hasValue("the result.items[1] is a "
        + "java.lang.Integer, but its declared type is java.lang.String");
    assertThat(misfit(grouped, "grouped")).as("a correct result").isEmpty();
    grouped.grouped.value = unchecked(List.of(3));
    assertThat(misfit(grouped, "grouped")).hasValue("the result.grouped.value[0] is a java.lang.Integer, but its "
        + "declared type is java.lang.String");
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static void setUnchecked(Holders<String>.Holder holder, Object value) {
    ((Holders.Holder) holder).value = value;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static Items<String> itemsOf(Object[] array) {
    return new Items(array);
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static void setUnchecked(Outer<String>.Inner inner) {
    ((Outer.Inner) inner).value = 5;
  }

  /** Holds anything by its own declaration. */
  public static class Loose extends ArrayList<Object> {
  }

  public List<List<String>> nestedNames() {
    return null;
  }

  public Iterable<String> iterable() {
    return null;
  }

  /** A raw field of its own class, and a variable only its bound says anything of. */
  public static class Node<T> {
    T value;
    @SuppressWarnings("rawtypes")
    Node next;
  }

  public Node<String> node() {
    return null;
  }

  public static class ListBox<T extends List<String>> {
    T value;
  }

  public ListBox<?> someBox() {
    return null;
  }

  /**
   * An object whose class says less than the declared type is refused ({@code Loose} holds {@code Object}s, declared a
   * list of lists of strings); a type argument of {@code Iterable} holds a list's elements; a raw field binds none of
   * its class's variables; a wildcard leaves a variable to its bound.
   */
  @Test
  void theDeclaredTypeAndTheObjectsOwnClassAreBothHeldTo() throws Exception {
    Loose loose = new Loose();
    loose.add(new ArrayList<>(List.of(1)));
    Node<String> node = new Node<>();
    node.value = "a";
    Node<Integer> other = new Node<>();
    other.value = 1;
    node.next = other;
    ListBox<List<String>> box = new ListBox<>();
    box.value = unchecked(List.of(2));

    assertThat(misfit(loose, "nestedNames")).hasValue("the result is a " + Loose.class.getName() + ", whose class "
        + "makes List's E java.lang.Object, but its declared type is java.util.List<java.util.List<java.lang.String>>");
    assertThat(misfit(new ArrayList<>(List.of(3)), "iterable")).hasValue("the result[0] is a java.lang.Integer, but "
        + "its declared type is java.lang.String");
    assertThat(misfit(node, "node")).as("a raw Node holds anything").isEmpty();
    assertThat(misfit(box, "someBox")).hasValue("the result.value[0] is a java.lang.Integer, but its declared type "
        + "is java.lang.String");
  }

  /** Names its variable twice in an argument of itself. */
  public static class Doubling<T> {
    Doubling<Map<T, T>> next;
    T value;
  }

  public Doubling<String> doubling() {
    return null;
  }

  /**
   * A type that doubles in size at each level costs the walk the same at each: {@code Doubling<String>} 300 levels
   * down is a {@code Map} nested 2^300 times when written out, and a misfit's message names it within a few hundred
   * characters.
   */
  @Test
  void aTypeThatDoublesAtEachLevelCostsTheSameAtEach() throws Exception {
    Doubling<String> root = new Doubling<>();
    Doubling<?> at = root;
    for (int i = 0; i < 300; i++) {
      at.next = unchecked(new Doubling<>());
      at = at.next;
    }
    at.value = unchecked(new HashMap<>(Map.of("k", "v")));

    long started = System.nanoTime();
    Optional<String> why = misfit(root, "doubling");

    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
    assertThat(why).hasValueSatisfying(message -> {
      assertThat(message).startsWith("the result" + ".next".repeat(300) + ".value's key 0 is a java.lang.String, but "
          + "its declared type is java.util.Map<java.util.Map<");
      assertThat(message.substring(message.indexOf("its declared type is "))).endsWith("...")
          .hasSizeLessThan(500);
    });
  }

  public static class Base<T> {
    T value;
  }

  /** Fixes its superclass's variable to {@code String}. */
  public static class StrBase extends Base<String> {
  }

  public Base<Integer> base() {
    return null;
  }

  public List<Base<Integer>> bases() {
    return null;
  }

  public Base<?> someBase() {
    return null;
  }

  /** A map of its own through a raw supertype, as JSON libraries have them. */
  @SuppressWarnings("rawtypes")
  public static class Json extends LinkedHashMap {
  }

  public Map<String, Object> json() {
    return null;
  }

  /**
   * An object whose class fixes a type argument of the declared class to one that does not imply the declared one is
   * refused, whatever it holds: no code hands a {@code StrBase} out as a {@code Base<Integer>} but through an unchecked
   * cast, and its {@code value} would be checked as a {@code String}. A class that fixes nothing, through a raw
   * supertype, or one declared with a wildcard, is not.
   */
  @Test
  void aClassThatFixesADeclaredTypeArgumentOtherwiseIsRefused() throws Exception {
    StrBase text = new StrBase();
    text.value = "s";
    @SuppressWarnings("unchecked")
    Json json = new Json();
    json.put("a", 1);

    assertThat(misfit(text, "base")).hasValue("the result is a " + StrBase.class.getName() + ", whose class makes "
        + "Base's T java.lang.String, but its declared type is " + Base.class.getName() + "<java.lang.Integer>");
    assertThat(misfit(List.of(text), "bases")).hasValueSatisfying(why -> assertThat(why).startsWith("the result[0] is "
        + "a " + StrBase.class.getName() + ", whose class makes Base's T java.lang.String"));
    assertThat(misfit(text, "someBase")).isEmpty();
    assertThat(misfit(json, "json")).isEmpty();
  }

  /** Holds rows by its own declaration. */
  public static class Rows extends ArrayList<List<String>> {
  }

  public <T extends List<String> & java.util.RandomAccess> List<T> randomAccessRows() {
    return null;
  }

  /**
   * Where the object's class and the method say different things and neither is known to imply the other (here a
   * variable of several bounds), each element is held to both, and the walk of a second type is bounded: a result
   * built to double the walk at every level is refused once the second walks pass
   * {@link ResultTypes#SECOND_TYPE_VISITS} visits.
   */
  @Test
  void whereNeitherTypeImpliesTheOtherBothAreCheckedWithinABound() throws Exception {
    Rows rows = new Rows();
    rows.add(new ArrayList<>(List.of("a")));
    assertThat(misfit(rows, "randomAccessRows")).isEmpty();
    smuggle(rows.get(0), 1);
    assertThat(misfit(rows, "randomAccessRows")).hasValue("the result[0][1] is a java.lang.Integer, but its declared "
        + "type is java.lang.String");
    Rows linked = new Rows();
    linked.add(new java.util.LinkedList<>(List.of("a")));
    assertThat(misfit(linked, "randomAccessRows")).as("not RandomAccess").hasValueSatisfying(why ->
        assertThat(why).startsWith("the result[0] is a java.util.LinkedList, but its declared type is T extends "));

    Rows many = new Rows();
    for (int i = 0; i <= ResultTypes.SECOND_TYPE_VISITS / 2; i++) {
      many.add(new ArrayList<>(List.of("a")));
    }
    assertThatThrownBy(() -> misfit(many, "randomAccessRows")).isInstanceOf(SandboxProtocolException.class)
        .hasMessageContaining("checking it against both would take more than " + ResultTypes.SECOND_TYPE_VISITS);
  }

  public static class Enclosing<T> {
    T top;

    public class Enclosed {
      T top() {
        return top;
      }
    }

    public class Members extends ArrayList<Enclosed> {
    }
  }

  public Enclosing<String>.Enclosed enclosed() {
    return null;
  }

  public List<Enclosing<String>.Enclosed> members() {
    return null;
  }

  public static class Holding<T extends java.io.Serializable & List<String>> {
    T rows;
  }

  public Holding<?> holding() {
    return null;
  }

  /**
   * An inner class's enclosing object is held to the enclosing class with the variables the declared type binds; a
   * variable of several bounds holds what its bound with type arguments says, wherever that bound stands; and an
   * application's list of inner-class objects, declared as such, is walked once.
   */
  @Test
  void enclosingObjectsAndBoundsThatAreNotFirstAreCheckedToo() throws Exception {
    Enclosing<String> outer = new Enclosing<>();
    outer.top = "a";
    Enclosing<String>.Enclosed inner = outer.new Enclosed();
    Holding<ArrayList<String>> holding = unchecked(new Holding<>());
    ((Holding<?>) holding).rows = unchecked(new ArrayList<>(List.of(1)));
    Enclosing<String>.Members members = outer.new Members();
    for (int i = 0; i < 600_000; i++) {
      members.add(inner);
    }

    assertThat(misfit(inner, "enclosed")).isEmpty();
    assertThat(misfit(members, "members")).as("600,000 elements, each walked once").isEmpty();
    ((Enclosing<?>) outer).top = unchecked(5);
    assertThat(misfit(inner, "enclosed")).hasValue("the result.this$0.top is a java.lang.Integer, but its declared "
        + "type is java.lang.String");
    assertThat(misfit(holding, "holding")).hasValue("the result.rows[0] is a java.lang.Integer, but its declared type "
        + "is java.lang.String");
  }

  public enum Colour { RED }

  public java.util.TreeSet<Integer> sortedNumbers() {
    return null;
  }

  public java.util.SortedSet<Object> sortedObjects() {
    return null;
  }

  public java.util.SortedMap<Integer, String> sortedTable() {
    return null;
  }

  public java.util.Set<Colour> colours() {
    return null;
  }

  public Map<Colour, String> colourNames() {
    return null;
  }

  public Class<? extends Number> numberClass() {
    return null;
  }

  public java.util.Comparator<Integer> numberOrder() {
    return null;
  }

  public record Typed<T>(Class<T> type, T value) {
  }

  public Typed<? extends Number> someNumber() {
    return null;
  }

  /**
   * A type the JDK keeps inside an object, where no value of the walk holds it, is checked too: a sorted collection's
   * comparator, an enum set's or enum map's enum class (empty, each holds nothing to check, and the caller's first
   * insertion would throw), a {@code Class} and a comparator declared with a type argument.
   */
  @Test
  void aTypeTheJdkKeepsInsideAnObjectIsCheckedToo() throws Exception {
    assertThat(misfit(new java.util.TreeSet<>(String.CASE_INSENSITIVE_ORDER), "sortedNumbers")).hasValue("the result "
        + "is a java.util.TreeSet, whose comparator, a java.lang.String$CaseInsensitiveComparator, compares "
        + "java.lang.String, but its declared type is java.util.TreeSet<java.lang.Integer>");
    assertThat(misfit(new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER), "sortedTable")).isPresent();
    assertThat(misfit(new java.util.TreeSet<>(java.util.Comparator.reverseOrder()), "sortedNumbers")).isEmpty();
    assertThat(misfit(new java.util.TreeSet<>(java.util.Collections.reverseOrder()), "sortedObjects"))
        .as("a natural order, whatever its class says").isEmpty();
    assertThat(misfit(java.util.EnumSet.noneOf(java.time.DayOfWeek.class), "colours")).hasValue("the result is a "
        + "java.util.RegularEnumSet, whose elements are of java.time.DayOfWeek, but its declared type is "
        + "java.util.Set<" + Colour.class.getName() + ">");
    assertThat(misfit(java.util.EnumSet.noneOf(Colour.class), "colours")).isEmpty();
    assertThat(misfit(new java.util.EnumMap<>(java.time.DayOfWeek.class), "colourNames")).hasValueSatisfying(why ->
        assertThat(why).startsWith("the result is a java.util.EnumMap, whose keys are of another enum class than "));
    assertThat(misfit(new java.util.EnumMap<>(Colour.class), "colourNames")).isEmpty();
    assertThat(misfit(String.class, "numberClass")).hasValue("the result is the class java.lang.String, but its "
        + "declared type is java.lang.Class<? extends java.lang.Number>");
    assertThat(misfit(int.class, "numberClass")).isEmpty();
    assertThat(misfit(String.CASE_INSENSITIVE_ORDER, "numberOrder")).hasValue("the result is a "
        + "java.lang.String$CaseInsensitiveComparator, which compares java.lang.String, but its declared type is "
        + "java.util.Comparator<java.lang.Integer>");
    assertThat(misfit(java.util.Comparator.<Integer>naturalOrder(), "numberOrder")).isEmpty();
    assertThat(misfit(new Typed<>(Integer.class, 1), "someNumber")).as("a wildcard stays one").isEmpty();
    assertThat(misfit(new Typed<>(unchecked(String.class), 1), "someNumber")).hasValue("the result.type is the class "
        + "java.lang.String, but its declared type is java.lang.Class<? extends java.lang.Number>");
  }

  public interface Labelled {
  }

  public enum Label implements Labelled { TODO }

  public java.util.Set<Labelled> labelled() {
    return null;
  }

  public java.util.Set<? extends Labelled> someLabelled() {
    return null;
  }

  /** An application's sorted set. */
  public static class Sorted<T> extends java.util.TreeSet<T> {
    public Sorted(java.util.Comparator<? super T> order) {
      super(order);
    }
  }

  public java.util.SortedSet<? extends Number> someSortedNumbers() {
    return null;
  }

  public static class IntegerOrder implements java.util.Comparator<Integer> {
    @Override
    public int compare(Integer a, Integer b) {
      return Integer.compare(a, b);
    }
  }

  /** Holds arrays of its variable. */
  public static class Matrix<T> extends ArrayList<T[]> {
  }

  public List<String[]> matrix() {
    return null;
  }

  public Class<? super Integer> integerSuper() {
    return null;
  }

  public record ArraySpec<T>(Class<T[]> arrays) {
  }

  public ArraySpec<String> arraySpec() {
    return null;
  }

  public interface Source<T> {
  }

  public static class RawMiddle<X> implements Source<String> {
  }

  /** Extends a generic class raw: every supertype above is erased, as the language has it. */
  @SuppressWarnings("rawtypes")
  public static class Legacy extends RawMiddle {
  }

  public Source<Integer> source() {
    return null;
  }

  /**
   * What correct code returns is accepted wherever a class's own type meets the declaration: a comparator where the
   * declaration fixes no element type (an {@code Object}, a {@code ? extends} wildcard), a class of arrays of its
   * variable, {@code int.class} as a {@code Class<? super Integer>}, a {@code Class<T[]>}, a class above a raw
   * supertype. An application's sorted set is held to its comparator as the JDK's are, and an enum set to its very
   * enum where the declaration fixes the element type.
   */
  @Test
  void whatCorrectCodeReturnsIsAcceptedWhereAClassesOwnTypeMeetsTheDeclaration() throws Exception {
    Matrix<String> matrix = new Matrix<>();
    matrix.add(new String[] {"a"});
    java.util.TreeSet<Integer> integers = new java.util.TreeSet<>(new IntegerOrder());

    assertThat(misfit(new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER), "anything")).isEmpty();
    assertThat(misfit(integers, "someSortedNumbers")).isEmpty();
    assertThat(misfit(matrix, "matrix")).isEmpty();
    assertThat(misfit(int.class, "integerSuper")).isEmpty();
    assertThat(misfit(new ArraySpec<>(String[].class), "arraySpec")).isEmpty();
    assertThat(misfit(new Legacy(), "source")).isEmpty();
    assertThat(misfit(java.util.EnumSet.of(Label.TODO), "someLabelled")).isEmpty();

    assertThat(misfit(new Sorted<>(String.CASE_INSENSITIVE_ORDER), "anything")).isEmpty();
    assertThat(misfit(new Sorted<>(String.CASE_INSENSITIVE_ORDER), "sortedNumbers")).isPresent();
    assertThat(misfit(java.util.EnumSet.of(Label.TODO), "labelled")).hasValue("the result is a "
        + "java.util.RegularEnumSet, whose elements are of " + Label.class.getName() + ", but its declared type is "
        + "java.util.Set<" + Labelled.class.getName() + ">");
  }

  public Comparable<Integer> threshold() {
    return null;
  }

  public record Bound(Comparable<Integer> lower) {
  }

  public Bound bound() {
    return null;
  }

  public Enum<Colour> colour() {
    return null;
  }

  public java.time.chrono.ChronoLocalDateTime<java.time.chrono.HijrahDate> hijrahDateTime() {
    return null;
  }

  /** A strategy enum per type argument, as applications write them. */
  public sealed interface Parser<T> permits IntParser, DateParser {
  }

  public enum IntParser implements Parser<Integer> {
    DECIMAL,
    HEX {
      @Override
      public String toString() {
        return "hex";
      }
    }
  }

  public enum DateParser implements Parser<java.time.LocalDate> { ISO }

  public Parser<Integer> integerParser() {
    return null;
  }

  public Comparable<String> comparableText() {
    return null;
  }

  public Comparable<?> someComparable() {
    return null;
  }

  public CharSequence characters() {
    return null;
  }

  public java.io.Serializable serializable() {
    return null;
  }

  public java.time.chrono.ChronoLocalDate chronoDate() {
    return null;
  }

  public Comparable<java.time.chrono.ChronoLocalDate> comparableDate() {
    return null;
  }

  public java.time.temporal.Temporal temporal() {
    return null;
  }

  public Enum<IntParser> intParserEnum() {
    return null;
  }

  public Comparable<IntParser> comparableIntParser() {
    return null;
  }

  public Parser<?> someParser() {
    return null;
  }

  public Number aNumber() {
    return null;
  }

  public <T extends Comparable<T>> T greatest() {
    return null;
  }

  public List<Comparable<Integer>> thresholds() {
    return null;
  }

  /**
   * A JDK value class or an enum holds nothing to walk, but its class fixes the declared type's arguments as any
   * class does: a string is no {@code Comparable<Integer>} (the caller's {@code compareTo(5)} threw
   * {@code ClassCastException}), nor {@code DayOfWeek} an {@code Enum<Colour>}, nor a {@code DateParser} constant a
   * {@code Parser<Integer>}. What correct code returns as such types is accepted.
   */
  @Test
  void aValueClassOrAnEnumIsHeldToTheDeclaredTypesArguments() throws Exception {
    assertThat(misfit("text", "threshold")).hasValue("the result is a java.lang.String, whose class makes "
        + "Comparable's T java.lang.String, but its declared type is java.lang.Comparable<java.lang.Integer>");
    assertThat(misfit(java.time.LocalDate.of(2020, 1, 1), "threshold")).isPresent();
    assertThat(misfit(new Bound(unchecked("text")), "bound")).hasValueSatisfying(why -> assertThat(why)
        .startsWith("the result.lower is a java.lang.String, whose class makes Comparable's T java.lang.String"));
    assertThat(misfit(List.of(1, "text"), "thresholds")).hasValueSatisfying(why -> assertThat(why)
        .startsWith("the result[1] is a java.lang.String, whose class makes"));
    assertThat(misfit(java.time.DayOfWeek.MONDAY, "colour")).hasValueSatisfying(why -> assertThat(why)
        .startsWith("the result is a java.time.DayOfWeek, whose class makes Enum's E java.time.DayOfWeek"));
    assertThat(misfit(java.time.LocalDateTime.of(2020, 1, 1, 0, 0), "hijrahDateTime")).isPresent();
    assertThat(misfit(DateParser.ISO, "integerParser")).hasValue("the result is a " + DateParser.class.getName()
        + ", whose class makes Parser's T java.time.LocalDate, but its declared type is " + Parser.class.getName()
        + "<java.lang.Integer>");

    assertThat(misfit("text", "comparableText")).isEmpty();
    assertThat(misfit("text", "someComparable")).isEmpty();
    assertThat(misfit("text", "characters")).isEmpty();
    assertThat(misfit("text", "serializable")).isEmpty();
    assertThat(misfit("text", "greatest")).isEmpty();
    assertThat(misfit(java.time.LocalDate.of(2020, 1, 1), "chronoDate")).isEmpty();
    assertThat(misfit(java.time.LocalDate.of(2020, 1, 1), "comparableDate")).isEmpty();
    assertThat(misfit(java.time.LocalDate.of(2020, 1, 1), "temporal")).isEmpty();
    assertThat(misfit(IntParser.DECIMAL, "intParserEnum")).isEmpty();
    assertThat(misfit(IntParser.HEX, "intParserEnum")).as("a constant with a body of its own").isEmpty();
    assertThat(misfit(IntParser.DECIMAL, "comparableIntParser")).isEmpty();
    assertThat(misfit(IntParser.HEX, "integerParser")).isEmpty();
    assertThat(misfit(DateParser.ISO, "someParser")).isEmpty();
    assertThat(misfit(Colour.RED, "colour")).isEmpty();
    assertThat(misfit(5, "threshold")).isEmpty();
    assertThat(misfit(5, "aNumber")).isEmpty();
    assertThat(misfit(new Bound(5), "bound")).isEmpty();
    assertThat(misfit(List.of(1, 2), "thresholds")).isEmpty();
  }

  public java.util.SortedSet<? super Integer> integerSink() {
    return null;
  }

  public java.util.Collection<? super Integer> collectionSink() {
    return null;
  }

  public Map<? super Integer, String> integerKeySink() {
    return null;
  }

  public java.util.Set<? super Colour> colourSink() {
    return null;
  }

  public Map<? super Colour, String> colourKeySink() {
    return null;
  }

  public Base<? super Integer> baseSink() {
    return null;
  }

  public List<? super Integer> listSink() {
    return null;
  }

  public Comparable<? super Integer> comparableSink() {
    return null;
  }

  public Comparable<? super String> comparableTextSink() {
    return null;
  }

  public static class NumberOrder implements java.util.Comparator<Number> {
    @Override
    public int compare(Number a, Number b) {
      return Double.compare(a.doubleValue(), b.doubleValue());
    }
  }

  /** Fixes its superclass's variable to a supertype of {@code Integer}. */
  public static class NumBase extends Base<Number> {
  }

  /** Holds numbers by its own declaration. */
  public static class Numbers extends ArrayList<Number> {
  }

  /**
   * A {@code ? super L} declaration is how a caller inserts an L, so what the object's class or the type the JDK keeps
   * inside it fixes must take one: a string comparator, an enum set or empty enum map of another enum, a
   * {@code Base<String>} or a list of strings by its class, a string as a {@code Comparable<? super Integer>} were all
   * accepted (the caller's {@code add}, {@code put}, {@code accept} or {@code compareTo} threw). What the caller reads
   * back is an {@code Object}: elements of any class stay accepted where the object's class allows them.
   */
  @Test
  void whatASuperWildcardLetsACallerInsertIsCheckedToo() throws Exception {
    java.util.TreeSet<String> text = new java.util.TreeSet<>(String.CASE_INSENSITIVE_ORDER);
    StrBase strBase = new StrBase();
    strBase.value = "s";
    Tags tags = new Tags();
    tags.add("a");

    assertThat(misfit(text, "integerSink")).hasValue("the result is a java.util.TreeSet, whose comparator, a "
        + "java.lang.String$CaseInsensitiveComparator, compares java.lang.String, but its declared type is "
        + "java.util.SortedSet<? super java.lang.Integer>");
    assertThat(misfit(text, "collectionSink")).isPresent();
    assertThat(misfit(new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER), "integerKeySink")).isPresent();
    assertThat(misfit(java.util.EnumSet.of(java.time.DayOfWeek.MONDAY), "colourSink")).hasValueSatisfying(why ->
        assertThat(why).startsWith("the result is a java.util.RegularEnumSet, whose elements are of "
            + "java.time.DayOfWeek"));
    assertThat(misfit(new java.util.EnumMap<>(java.time.DayOfWeek.class), "colourKeySink")).hasValueSatisfying(why ->
        assertThat(why).startsWith("the result is a java.util.EnumMap, whose keys are of another enum class than "));
    assertThat(misfit(strBase, "baseSink")).hasValue("the result is a " + StrBase.class.getName() + ", whose class "
        + "makes Base's T java.lang.String, but its declared type is " + Base.class.getName()
        + "<? super java.lang.Integer>");
    assertThat(misfit(tags, "listSink")).hasValueSatisfying(why -> assertThat(why).startsWith("the result is a "
        + Tags.class.getName() + ", whose class makes List's E java.lang.String"));
    assertThat(misfit("text", "comparableSink")).isPresent();

    assertThat(misfit(new java.util.TreeSet<>(), "integerSink")).isEmpty();
    assertThat(misfit(new java.util.TreeSet<>(new IntegerOrder()), "integerSink")).isEmpty();
    assertThat(misfit(new java.util.TreeSet<>(new NumberOrder()), "collectionSink")).isEmpty();
    assertThat(misfit(new java.util.TreeSet<>(java.util.Comparator.reverseOrder()), "integerSink")).isEmpty();
    assertThat(misfit(new java.util.TreeMap<>(new NumberOrder()), "integerKeySink")).isEmpty();
    assertThat(misfit(java.util.EnumSet.of(Colour.RED), "colourSink")).isEmpty();
    assertThat(misfit(new java.util.HashSet<>(List.of("a", 1)), "colourSink")).isEmpty();
    assertThat(misfit(new java.util.EnumMap<>(Colour.class), "colourKeySink")).isEmpty();
    assertThat(misfit(new NumBase(), "baseSink")).isEmpty();
    assertThat(misfit(new Base<>(), "baseSink")).isEmpty();
    assertThat(misfit(new ArrayList<>(List.of(1, "a", 2.0)), "listSink")).isEmpty();
    assertThat(misfit(new Loose(), "listSink")).isEmpty();
    Numbers numbers = new Numbers();
    numbers.add(1.5);
    assertThat(misfit(numbers, "listSink")).isEmpty();
    smuggle(numbers, "not a number");
    assertThat(misfit(numbers, "listSink")).as("held to what its class declares").isPresent();
    assertThat(misfit(5, "comparableSink")).isEmpty();
    assertThat(misfit("text", "comparableTextSink")).isEmpty();
  }

  /** A result type whose cases fix its argument, one of them to a type of its own variable. */
  public sealed interface Result<T> permits Ok, Many {
  }

  public record Ok<T>(T value) implements Result<T> {
  }

  public record Many<X>(List<X> values) implements Result<List<X>> {
  }

  public Result<Integer> result() {
    return null;
  }

  public Result<List<String>> results() {
    return null;
  }

  public static class ListBase<X> extends Base<List<X>> {
  }

  public static class ArrBase<X> extends Base<X[]> {
  }

  public static class AlBase<X> extends Base<ArrayList<X>> {
  }

  /** Fixes its enclosing class's variable. */
  public static class IntInner extends Outer<Integer>.Inner {
    public IntInner(Outer<Integer> outer) {
      outer.super();
    }
  }

  public static class StrInner extends Outer<String>.Inner {
    public StrInner(Outer<String> outer) {
      outer.super();
    }
  }

  public Base<List<String>> listBase() {
    return null;
  }

  public Base<String[]> arrayBase() {
    return null;
  }

  public Base<Object> objectBase() {
    return null;
  }

  public Base<? extends List<Integer>> someIntegerListBase() {
    return null;
  }

  /** Fixes an interface's argument to a subclass of what it is declared as, of its own variable. */
  public static class AlSource<X> implements Source<ArrayList<X>> {
    ArrayList<X> values = new ArrayList<>();
  }

  public Source<? extends List<Integer>> someIntegerListSource() {
    return null;
  }

  /**
   * A class that fixes a declared type argument to a type of its own open variable is still compared with the
   * declaration by the classes: a {@code List<X>} or an {@code X[]} is no {@code Integer}, whatever X is (a
   * {@code Many} of strings as a {@code Result<Integer>} was accepted, and the caller's cast to {@code Ok} threw);
   * where the classes fit ({@code ArrayList<X>} as a {@code List<Integer>}), X is what that binds it to, and the
   * declared class's fields are held to the declaration's binding too. An enclosing class's argument counts as the
   * declared class's own do.
   */
  @Test
  void aClassThatFixesAnArgumentThroughItsOwnVariableOrAnEnclosingClassIsComparedToo() throws Exception {
    ListBase<String> listBase = new ListBase<>();
    listBase.value = new ArrayList<>(List.of("s"));
    ArrBase<String> arrBase = new ArrBase<>();
    arrBase.value = new String[] {"s"};
    AlBase<Object> alBase = new AlBase<>();
    alBase.value = new ArrayList<>(List.of("not an integer"));
    Outer<Integer> integers = new Outer<>();
    IntInner intInner = new IntInner(integers);
    intInner.value = 42;

    assertThat(misfit(new Many<>(List.of("not", "integers")), "result")).hasValue("the result is a "
        + Many.class.getName() + ", whose class makes Result's T java.util.List<X>, but its declared type is "
        + Result.class.getName() + "<java.lang.Integer>");
    assertThat(misfit(new Many<>(List.of(1)), "results")).hasValue("the result.values[0] is a java.lang.Integer, "
        + "but its declared type is java.lang.String");
    assertThat(misfit(listBase, "base")).hasValueSatisfying(why -> assertThat(why).startsWith("the result is a "
        + ListBase.class.getName() + ", whose class makes Base's T java.util.List<X>"));
    assertThat(misfit(arrBase, "base")).hasValueSatisfying(why -> assertThat(why).startsWith("the result is a "
        + ArrBase.class.getName() + ", whose class makes Base's T X[]"));
    assertThat(misfit(List.of(listBase), "bases")).hasValueSatisfying(why -> assertThat(why).startsWith("the "
        + "result[0] is a " + ListBase.class.getName()));
    assertThat(misfit(listBase, "baseSink")).isPresent();
    assertThat(misfit(alBase, "someIntegerListBase")).hasValue("the result.value[0] is a java.lang.String, but its "
        + "declared type is java.lang.Integer");
    AlSource<Object> alSource = new AlSource<>();
    alSource.values.add("not an integer");
    assertThat(misfit(alSource, "someIntegerListSource")).hasValue("the result.values[0] is a java.lang.String, but "
        + "its declared type is java.lang.Integer");
    assertThat(misfit(intInner, "inner")).hasValue("the result is a " + IntInner.class.getName() + ", whose class "
        + "makes Outer's T java.lang.Integer, but its declared type is " + Outer.class.getName()
        + "<java.lang.String>$Inner");

    assertThat(misfit(new Ok<>(1), "result")).isEmpty();
    assertThat(misfit(new Many<>(List.of("a")), "results")).isEmpty();
    assertThat(misfit(listBase, "listBase")).isEmpty();
    assertThat(misfit(arrBase, "arrayBase")).isEmpty();
    assertThat(misfit(arrBase, "objectBase")).isEmpty();
    assertThat(misfit(listBase, "someBase")).isEmpty();
    alBase.value = new ArrayList<>(List.of(1));
    assertThat(misfit(alBase, "someIntegerListBase")).isEmpty();
    alSource.values.set(0, 1);
    assertThat(misfit(alSource, "someIntegerListSource")).isEmpty();
    StrInner strInner = new StrInner(new Outer<>());
    strInner.value = "s";
    assertThat(misfit(strInner, "inner")).isEmpty();
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
    // Real bytes of an application's list class: decoded, then held to what its class declares it holds.
    ClassAllowlist anything = ClassAllowlist.forCall(this, getClass().getMethod("anything"),
        List.of(Tags.class.getName()));
    Tags tags = new Tags();
    smuggle(tags, 2);
    assertThatThrownBy(() -> Codec.decodeResult(Codec.encodeResult(tags, 4096), anything))
        .isInstanceOf(SandboxProtocolException.class)
        .hasMessageContaining("the result[0] is a java.lang.Integer, but its declared type is java.lang.String");
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
  private static <T> T unchecked(Object value) {
    return (T) value;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static void smuggle(Object collectionOrMap, Object value) {
    if (collectionOrMap instanceof List list) {
      list.add(value);
    } else {
      ((Map) collectionOrMap).put("smuggled", value);
    }
  }

  /** Fixes its value's type to a comparator of strings. */
  public static class StringOrderBase extends Base<java.util.Comparator<String>> {
  }

  /** Fixes its value's type to a comparator of anything. */
  public static class AnyOrderBase extends Base<java.util.Comparator<Object>> {
  }

  public Base<java.util.Comparator<? super Integer>> integerOrderBase() {
    return null;
  }

  public <T extends Number & Comparable<T>> Comparable<T> numericKey() {
    return null;
  }

  /**
   * Attack review 42: a {@code ? super L} inside an argument the object's class fixes was not held to L, and a class
   * fixing the argument of a variable of several bounds was not compared with it: a {@code Base<Comparator<String>>}
   * as a {@code Base<Comparator<? super Integer>>}, a {@code LocalDateTime} (a {@code Comparable} of
   * {@code ChronoLocalDateTime}) as the {@code Comparable<T>} of {@code T extends Number & Comparable<T>}; the caller's
   * {@code compare} or {@code compareTo} threw {@code ClassCastException}.
   */
  @Test
  void aNestedSuperWildcardAndAVariableOfSeveralBoundsHoldWhatAClassFixes() throws Exception {
    StringOrderBase strings = new StringOrderBase();
    strings.value = String.CASE_INSENSITIVE_ORDER;
    assertThat(misfit(strings, "integerOrderBase")).hasValueSatisfying(why -> assertThat(why)
        .contains("whose class makes Base's T java.util.Comparator<java.lang.String>"));
    assertThat(misfit(new AnyOrderBase(), "integerOrderBase")).isEmpty();
    assertThat(misfit(java.time.LocalDateTime.of(2020, 1, 1, 0, 0), "numericKey")).hasValueSatisfying(why ->
        assertThat(why).contains("whose class makes Comparable's T"));
    assertThat(misfit(7, "numericKey")).isEmpty();
    assertThat(misfit(new java.math.BigDecimal("1.5"), "numericKey")).isEmpty();
  }

  /** A class with a field its callers put values into. */
  public static class SinkBase<T> {
    java.util.SortedSet<? super T> sink;
  }

  /** Fixes the sink's variable to {@code String}. */
  public static class StringSinkBase extends SinkBase<String> {
  }

  public SinkBase<CharSequence> textSink() {
    return null;
  }

  /**
   * Attack review 43: a class whose own binding implies the declared one (a {@code String} for a declared
   * {@code CharSequence}) was trusted for its fields too, but a {@code SortedSet<? super T>} field must then take any
   * {@code CharSequence}: a case-insensitive set of strings was accepted, and the caller's {@code add} of a
   * {@code StringBuilder} threw {@code ClassCastException}. Fields are held to the declaration unless both bindings
   * imply each other.
   */
  @Test
  void aFieldACallerPutsIntoIsHeldToTheDeclarationWhereTheClassBindsANarrowerType() throws Exception {
    StringSinkBase strings = new StringSinkBase();
    strings.sink = new java.util.TreeSet<>(String.CASE_INSENSITIVE_ORDER);
    assertThat(misfit(strings, "textSink")).hasValueSatisfying(why -> assertThat(why).contains("sink"));
    strings.sink = new java.util.TreeSet<>();
    assertThat(misfit(strings, "textSink")).isEmpty();
  }
}
