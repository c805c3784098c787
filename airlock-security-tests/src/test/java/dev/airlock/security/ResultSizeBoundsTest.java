package dev.airlock.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.airlock.SandboxProtocolException;
import dev.airlock.internal.codec.ClassAllowlist;
import dev.airlock.internal.codec.Codec;
import dev.airlock.security.hostile.KryoBytes;
import java.math.BigInteger;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every allowed collection and map type refuses a declared size its bytes cannot hold. Before the size check
 * covered all of them, twenty bytes naming a {@code LinkedList} of a billion nulls hung the host and filled its heap.
 */
class ResultSizeBoundsTest {
  private static final long ALLOCATION_BOUND = 16L * 1024 * 1024;

  @ParameterizedTest
  @ValueSource(strings = {"java.util.LinkedList", "java.util.ArrayDeque", "java.util.LinkedHashSet",
      "java.util.TreeSet", "java.util.concurrent.CopyOnWriteArrayList", "java.util.ArrayList", "java.util.HashSet",
      "java.util.ImmutableCollections$SetN", "java.util.ImmutableCollections$ListN",
      "java.util.ImmutableCollections$List12", "java.util.ImmutableCollections$Set12",
      "java.util.ImmutableCollections$SubList", "java.util.Arrays$ArrayList"})
  void aCollectionOfABillionNullsIsRefusedAtOnce(String type) {
    assertRefusedCheaply(KryoBytes.collectionOfNulls(type, 1_000_000_000));
  }

  /** An unmodifiable view is read as the collection it shows: that collection's size is checked. */
  @ParameterizedTest
  @ValueSource(strings = {"java.util.Collections$UnmodifiableList", "java.util.Collections$UnmodifiableRandomAccessList",
      "java.util.Collections$UnmodifiableSet", "java.util.Collections$UnmodifiableCollection",
      "java.util.Collections$UnmodifiableSortedSet"})
  void aViewOfABillionNullsIsRefusedAtOnce(String view) {
    assertRefusedCheaply(KryoBytes.wrappedCollectionOfNulls(1_000_000_000, view, "java.util.LinkedList"));
    assertRefusedCheaply(KryoBytes.wrappedCollectionOfNulls(1_000_000_000, view, "java.util.TreeSet"));
  }

  /**
   * Attack review 4: {@code Arrays.asList}'s class has a serializer of its own, which the size check did not know, so
   * five bytes declaring 150 million elements made the host allocate a 600 MiB array at once (up to 8 GiB for the
   * largest size), and an {@code OutOfMemoryError} on a small heap. Every collection and map serializer the reader
   * meets is now a size-checked one, or the class is refused.
   */
  @ParameterizedTest
  @ValueSource(ints = {150_000_000, 1_000_000_000})
  void anArraysAsListDeclaringMoreElementsThanItsBytesIsRefusedBeforeAnyAllocation(int size) {
    assertRefusedCheaply(KryoBytes.collectionOfNulls("java.util.Arrays$ArrayList", size));
  }

  @Test
  void aConcurrentSkipListMapNamedInTheConfigurationIsReadWithTheSameBound() {
    List<String> admitted = List.of("java.util.concurrent.ConcurrentSkipListMap");
    byte[] hostile = KryoBytes.mapDeclaring("java.util.concurrent.ConcurrentSkipListMap", 1_000_000_000);

    assertThat(catchThrowable(() -> Codec.decodeResult(hostile, ClassAllowlist.of(admitted))))
        .isInstanceOf(SandboxProtocolException.class).hasMessageContaining("size");
    ConcurrentSkipListMap<String, Integer> legitimate = new ConcurrentSkipListMap<>(Map.of("a", 1, "b", 2));
    assertThat(Codec.decodeResult(Codec.encodeResult(legitimate, 4096), ClassAllowlist.of(admitted)))
        .isEqualTo(legitimate);
  }

  @ParameterizedTest
  @ValueSource(strings = {"java.util.HashMap", "java.util.LinkedHashMap", "java.util.TreeMap",
      "java.util.concurrent.ConcurrentHashMap", "java.util.ImmutableCollections$MapN",
      "java.util.ImmutableCollections$Map1"})
  void aMapDeclaringABillionEntriesIsRefusedAtOnce(String type) {
    assertRefusedCheaply(KryoBytes.mapDeclaring(type, 1_000_000_000));
  }

  /** A map view is read as the map it shows: that map's size is checked. */
  @ParameterizedTest
  @ValueSource(strings = {"java.util.Collections$UnmodifiableMap", "java.util.Collections$UnmodifiableSortedMap"})
  void aMapViewDeclaringABillionEntriesIsRefusedAtOnce(String view) {
    assertRefusedCheaply(KryoBytes.wrappedMapDeclaring(1_000_000_000, view, "java.util.TreeMap"));
  }

  /** An {@code EnumMap} is read as its key type and a map of its entries: that map's size is checked. */
  @Test
  void anEnumMapDeclaringABillionEntriesIsRefusedAtOnce() {
    assertRefusedCheaply(KryoBytes.wrappedMapDeclaring(1_000_000_000, "java.util.EnumMap", "java.time.DayOfWeek",
        "java.util.LinkedHashMap"));
  }

  private static void assertRefusedCheaply(byte[] hostile) {
    long allocated = assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
      long before = HostMemory.allocatedByThisThread();
      Throwable thrown = catchThrowable(() -> Codec.decodeResult(hostile, ClassAllowlist.of(List.of())));
      assertThat(thrown).isInstanceOf(SandboxProtocolException.class).hasMessageContaining("size");
      return HostMemory.allocatedByThisThread() - before;
    });

    assertThat(allocated).as("decoding cost %s", HostMemory.mib(allocated)).isLessThan(ALLOCATION_BOUND);
  }

  static Stream<Object> legitimateValues() {
    return Stream.of(new LinkedList<>(List.of(1, 2)), new ArrayDeque<>(List.of("a")), new LinkedHashSet<>(List.of(3)),
        new TreeSet<>(List.of("b", "a")), new CopyOnWriteArrayList<>(List.of(4)), new ArrayList<>(List.of(5)),
        new HashSet<>(List.of(6)), Set.of(1, 2, 3), Set.of(), List.of(1, 2, 3), new HashMap<>(Map.of(1, "x")),
        new LinkedHashMap<>(Map.of("k", List.of(1))), new TreeMap<>(Map.of(2, 3)),
        new ConcurrentHashMap<>(Map.of(7, 8)), Map.of(1, 2, 3, 4), Map.of(), Map.of(9, Set.of(BigInteger.TEN)),
        List.of(LocalDate.of(2026, 11, 23)), Arrays.asList("a", null, "c"), List.of(1),
        Set.of(1));
  }

  @ParameterizedTest
  @MethodSource("legitimateValues")
  void legitimateCollectionsStillDecodeToEqualValues(Object value) {
    byte[] bytes = Codec.encodeResult(value, 1024 * 1024);

    Object decoded = Codec.decodeResult(bytes, ClassAllowlist.of(List.of()));

    assertThat(decoded).hasSameClassAs(value).hasToString(value.toString());
  }
}
