package dev.airlock.internal.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.esotericsoftware.kryo.kryo5.Kryo;
import com.esotericsoftware.kryo.kryo5.io.Output;
import dev.airlock.ClassLoadLog;
import dev.airlock.SandboxProtocolException;
import dev.airlock.UnshippableInvocationException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collection;
import java.util.Collections;
import java.util.Currency;
import java.util.Date;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * The JDK value types a result may name ({@link ClassAllowlist}) cross both ways: as an argument the host encodes,
 * and as a result a worker encodes and the host decodes against the JDK-only allowlist. UUID, URI and the
 * unmodifiable views did not: Kryo's field serializer cannot open a {@code java.base} class, and its collection
 * serializers add to a view, which refuses.
 */
class JdkValueTypesTest {

  private static List<Object> samples() {
    return List.of("text", 3, 4L, 2.5d, 'c', true, BigInteger.TEN, new BigDecimal("1.50"), UUID.randomUUID(),
        URI.create("https://api.example/v1/items?q=a%20b#top"), new Date(5), Locale.CANADA_FRENCH,
        Currency.getInstance("EUR"), BitSet.valueOf(new long[] {5}), Optional.of("x"), OptionalInt.of(1),
        Duration.ofSeconds(3), Instant.ofEpochSecond(7), LocalDate.of(2026, 12, 3),
        ZonedDateTime.of(2026, 12, 3, 10, 0, 0, 0, ZoneId.of("Europe/Paris")), Arrays.asList(1, 2),
        new LinkedList<>(List.of(1, 2)), new TreeSet<>(Set.of("b", "a")), new ConcurrentHashMap<>(Map.of(1, 2)),
        new CopyOnWriteArrayList<>(List.of(1)), List.of(1, 2, 3), Set.of(1), Map.of("k", "v"),
        Collections.unmodifiableList(new ArrayList<>(List.of("a", "b"))),
        Collections.unmodifiableList(new LinkedList<>(List.of("a"))),
        Collections.unmodifiableSet(new java.util.LinkedHashSet<>(List.of("z", "a"))),
        Collections.unmodifiableMap(new LinkedHashMap<>(Map.of("k", List.of(1)))),
        Collections.unmodifiableCollection(new ArrayList<>(List.of(1))),
        Collections.unmodifiableSortedSet(new TreeSet<>(Set.of(2, 1))),
        Collections.unmodifiableSortedMap(new TreeMap<>(Map.of("b", 2, "a", 1))),
        Collections.unmodifiableNavigableSet(new TreeSet<>(Set.of(2, 1))),
        Collections.unmodifiableNavigableMap(new TreeMap<>(Map.of("b", 2, "a", 1))),
        new EnumMap<>(Map.of(DayOfWeek.MONDAY, "m", DayOfWeek.FRIDAY, "f")));
  }

  @Test
  void everyJdkValueTypeCrossesAsAnArgumentAndAsAResult() {
    for (Object sample : samples()) {
      Object asArgument = Codec.decodeArguments(Codec.encodeArguments(new Object[] {sample}, 1 << 16))[0];
      Object asResult = Codec.decodeResult(Codec.encodeResult(sample, 1 << 16), ClassAllowlist.jdkOnly());
      for (Object crossed : List.of(asArgument, asResult)) {
        assertThat(contents(crossed)).as(sample.getClass().getName()).isEqualTo(contents(sample));
        assertThat(ClassAllowlist.jdkOnly().allows(crossed.getClass().getName())).as(crossed.getClass().getName())
            .isTrue();
      }
    }
  }

  @Test
  @SuppressWarnings("unchecked")
  void anUnmodifiableViewStaysUnmodifiableAndKeepsItsOrder() {
    Object crossed = Codec.decodeResult(Codec.encodeResult(Collections.unmodifiableSortedMap(
        new TreeMap<>(Map.of("b", 2, "a", 1, "c", 3))), 1 << 16), ClassAllowlist.jdkOnly());
    assertThat(crossed).isInstanceOf(java.util.SortedMap.class);
    assertThat(new ArrayList<Object>(((Map<?, ?>) crossed).keySet())).containsExactly("a", "b", "c");
    assertThatThrownBy(() -> ((Map<Object, Object>) crossed).put("d", 4))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  /** A worker that names a list view and sends a map as what it shows gets a protocol error, not a cast. */
  @Test
  void aViewShowingTheWrongKindOfCollectionIsRefused() {
    Class<?> listView = Collections.unmodifiableList(new ArrayList<>()).getClass();
    Class<?> mapView = Collections.unmodifiableMap(new LinkedHashMap<>()).getClass();
    byte[] listClass = classBytes(listView);
    byte[] mapResult = Codec.encodeResult(Collections.unmodifiableMap(new LinkedHashMap<>(Map.of(1, 2))), 1 << 16);
    byte[] forged = concat(listClass, Arrays.copyOfRange(mapResult, classBytes(mapView).length, mapResult.length));
    assertThatThrownBy(() -> Codec.decodeResult(forged, ClassAllowlist.jdkOnly()))
        .isInstanceOf(SandboxProtocolException.class)
        .hasMessageContaining(listView.getName());
  }

  @Test
  void anEmptyEnumMapIsRefusedWithTheFix() {
    assertThatThrownBy(() -> Codec.encodeArguments(new Object[] {new EnumMap<>(DayOfWeek.class)}, 1 << 16))
        .isInstanceOf(UnshippableInvocationException.class)
        .hasMessageContaining("send null or a HashMap instead");
  }

  /** A worker that names a key type that is no enum gets a protocol error before a map is built. */
  @Test
  void anEnumMapOfAKeyTypeThatIsNoEnumIsRefused() {
    byte[] entries = Codec.encodeResult(new LinkedHashMap<>(Map.of("a", "b")), 1 << 16);
    byte[] forged = concat(concat(classBytes(EnumMap.class), classBytes(String.class)), entries);
    assertThatThrownBy(() -> Codec.decodeResult(forged, ClassAllowlist.jdkOnly()))
        .isInstanceOf(SandboxProtocolException.class)
        .hasMessageContaining("must be an enum");
  }

  /** A JDK class without a serializer of its own is refused with the cause and the fix, not an internal error. */
  @Test
  void aJdkClassWhoseFieldsAreClosedIsRefusedWithTheFix() {
    assertThatThrownBy(() -> Codec.encodeArguments(new Object[] {InetSocketAddress.createUnresolved("h", 1)},
        1 << 16))
        .isInstanceOf(UnshippableInvocationException.class)
        .hasMessageContaining("java.net")
        .hasMessageContaining("pass what it holds instead");
  }

  /**
   * Listing the JDK's available locales costs a fresh JVM 100-150 ms, and the host builds its result reader at start:
   * a result with an ISO locale does not list them; one with a locale only the JDK's list holds does (the control).
   */
  @Test
  void aResultWithAnIsoLocaleDoesNotListTheJdksLocales() throws Exception {
    String listed = "sun.util.locale.provider.LocaleServiceProviderPool$AllAvailableLocales";
    assertThat(classesLoadedDecoding("de_CH")).contains(Kryos.KnownLocaleSerializer.class.getName())
        .doesNotContain(listed);
    assertThat(classesLoadedDecoding("ja_JP_JP")).contains(listed);
  }

  private static List<String> classesLoadedDecoding(String locale) throws Exception {
    return ClassLoadLog.classes(ClassLoadLog.run(DecodeLocale.class, System.getProperty("java.class.path"), locale));
  }

  /** A fresh JVM that decodes one locale as a worker's result would carry it. */
  static final class DecodeLocale {
    public static void main(String[] args) {
      String[] parts = (args[0] + "__").split("_", -1);
      Locale locale = new Locale(parts[0], parts[1], parts[2]);
      Object crossed = Codec.decodeResult(Codec.encodeResult(locale, 1 << 16), ClassAllowlist.jdkOnly());
      if (!locale.equals(crossed)) {
        throw new AssertionError(crossed + " is not " + locale);
      }
    }
  }

  private static Object contents(Object value) {
    if (value instanceof Collection<?> collection && !(value instanceof Set<?>) && !(value instanceof List<?>)) {
      return new ArrayList<>(collection);
    }
    return value;
  }

  private static byte[] classBytes(Class<?> type) {
    Kryo kryo = Kryos.forResultWriting(JdkValueTypesTest.class.getClassLoader());
    Output output = new Output(256);
    kryo.writeClass(output, type);
    return output.toBytes();
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  /**
   * Attack review 41: lists, sets and maps of JDK classes the host does not read, which ordinary code returns, were
   * refused by name. The worker writes each as the plain class the host reads, with its contents in their order.
   */
  @Test
  void aJdkCollectionOfAnUnreadClassCrossesAsAPlainCopy() {
    Map<String, Integer> scores = new LinkedHashMap<>(Map.of("b", 2));
    scores.put("a", 1);
    List<Object> ordinary = List.of(new ArrayList<>(List.of(3, 1, 2)).subList(0, 2), Collections.nCopies(2, "x"),
        java.util.concurrent.ConcurrentHashMap.newKeySet(), new EnumMap<>(Map.of(DayOfWeek.MONDAY, 1)).keySet(),
        Collections.synchronizedList(new ArrayList<>(List.of(1))), Collections.checkedList(new ArrayList<>(
        List.of("c")), String.class), scores.values(), scores.keySet(),
        java.util.stream.Stream.of(1, 2, 3).collect(java.util.stream.Collectors.partitioningBy(n -> n > 1)));
    for (Object value : ordinary) {
      Object crossed = Codec.decodeResult(Codec.encodeResult(value, 1 << 16), ClassAllowlist.jdkOnly());
      if (value instanceof Map<?, ?> map) {
        assertThat(crossed).isInstanceOf(LinkedHashMap.class).isEqualTo(map);
      } else if (value instanceof Set<?> set) {
        assertThat(crossed).isInstanceOf(java.util.LinkedHashSet.class);
        assertThat(new ArrayList<Object>((Set<?>) crossed)).isEqualTo(new ArrayList<Object>(set));
      } else {
        assertThat(crossed).isInstanceOf(ArrayList.class).isEqualTo(new ArrayList<Object>((Collection<?>)
            value));
      }
    }
    // A public class, a sorted one and a set whose keys are equal by identity keep their class and their refusal by
    // name, rather than crossing as what the caller did not declare, without their comparator, or with keys lost.
    java.util.IdentityHashMap<String, Integer> identity = new java.util.IdentityHashMap<>();
    identity.put(new String("k"), 1);
    identity.put(new String("k"), 2);
    Set<String> identitySet = Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    identitySet.addAll(identity.keySet());
    for (Object kept : List.of(new java.util.Vector<>(List.of(1)), identity, identity.keySet(),
        Collections.synchronizedSet(identitySet))) {
      assertThatThrownBy(() -> Codec.decodeResult(Codec.encodeResult(kept, 1 << 16), ClassAllowlist.jdkOnly()))
          .isInstanceOf(SandboxProtocolException.class).hasMessageContaining("not on the allowlist");
    }
    assertThatThrownBy(() -> Codec.decodeResult(Codec.encodeResult(new TreeMap<>(Map.of("a", 1, "b", 2))
        .headMap("b"), 1 << 16), ClassAllowlist.jdkOnly())).isInstanceOf(SandboxProtocolException.class);
  }
}
