package dev.airlock.internal.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.esotericsoftware.kryo.kryo5.Serializer;
import com.esotericsoftware.kryo.kryo5.io.Output;
import com.esotericsoftware.kryo.kryo5.serializers.ClosureSerializer;
import dev.airlock.PayloadTooLargeException;
import dev.airlock.SandboxProtocolException;
import dev.airlock.UnshippableInvocationException;
import dev.airlock.canary.Decoys;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class CodecTest {

  /** A ClosureSerializer's construction throws and logs two exceptions; each new codec paid it. */
  @Test
  void everyCodecSharesOneClosureSerializer() {
    ClassLoader loader = CodecTest.class.getClassLoader();
    Serializer<?> invocations = Kryos.forInvocations(loader).getRegistration(ClosureSerializer.Closure.class)
        .getSerializer();
    assertThat(Kryos.forInvocations(loader).getRegistration(ClosureSerializer.Closure.class).getSerializer())
        .isSameAs(invocations);
    assertThat(Kryos.forResultWriting(loader).getRegistration(ClosureSerializer.Closure.class).getSerializer())
        .isSameAs(invocations);
  }
  private static final ClassAllowlist JDK_ONLY = ClassAllowlist.of(List.of());
  private static final ClassAllowlist OWN_CLASSES = ClassAllowlist.of(List.of("dev.airlock.internal.codec.*"));

  @Test
  void roundTripsJdkValuesUnderTheJdkAllowlist() {
    Map<String, Object> value = new HashMap<>();
    value.put("list", List.of(1, 2, 3));
    value.put("nested", new ArrayList<>(List.of(Map.of("k", "v"))));
    value.put("array", new String[] {"a", null});
    value.put("time", java.time.Instant.ofEpochSecond(42));
    Object decoded = Codec.decodeResult(Codec.encodeResult(value, 1 << 20), JDK_ONLY);
    assertThat(decoded).isInstanceOf(HashMap.class);
    assertThat(((Map<?, ?>) decoded).get("list")).isEqualTo(List.of(1, 2, 3));
    assertThat(((Map<?, ?>) decoded).get("time")).isEqualTo(java.time.Instant.ofEpochSecond(42));
  }

  /**
   * Issue 15: an invocation is written field by field by its own serializer, registered by id, instead of by Kryo's
   * {@code FieldSerializer} under its class name: what names no class is not looked up per call, on either side. The
   * receiver and the arguments keep their references (one shared list arrives as one list).
   */
  @Test
  void writesAnInvocationByIdWithItsReceiverAndArgumentsAsKryoObjects() {
    List<String> shared = new ArrayList<>(List.of("x"));
    ShippedInvocation sent = new ShippedInvocation(Map.of("k", 1), "tools.Weather", "forecast",
        new String[] {"java.lang.String", "int", "java.util.List", "java.util.List"},
        new Object[] {"Oslo", 3, shared, shared});
    byte[] bytes = Codec.encodeInvocation(sent, 1 << 16);

    // Kryo marks an ASCII string's end in its last byte: the names without their last character.
    String text = new String(bytes, StandardCharsets.ISO_8859_1);
    assertThat(text).doesNotContain("codec.ShippedInvocatio").doesNotContain("[Ljava.lang.Strin");
    ShippedInvocation read = Codec.decodeInvocation(bytes);
    assertThat(read.receiver).isEqualTo(Map.of("k", 1));
    assertThat(read.declaringClass).isEqualTo("tools.Weather");
    assertThat(read.methodName).isEqualTo("forecast");
    assertThat(read.parameterTypes).containsExactly(sent.parameterTypes);
    assertThat(read.args).containsExactly("Oslo", 3, List.of("x"), List.of("x"));
    assertThat(read.args[2]).isSameAs(read.args[3]);
  }

  @Test
  void refusesAClassOutsideTheAllowlistWithoutLoadingIt() {
    byte[] decoy = Codec.encodeResult(new Decoys(), 1 << 20);
    byte[] gadget = rename(decoy, Decoys.class.getName(), "dev.airlock.canary.Canary");
    assertThatThrownBy(() -> Codec.decodeResult(gadget, JDK_ONLY))
        .isInstanceOf(SandboxProtocolException.class)
        .hasMessageContaining("dev.airlock.canary.Canary")
        .hasMessageContaining("airlock.allowed-classes");
    assertThat(System.getProperty("airlock.canary.loaded")).isNull();
  }

  /**
   * Kryo's closure serializer rebuilds a lambda through {@code SerializedLambda.readResolve}, Java serialization's
   * hook into the capturing class. Only the host's invocation and the worker's result writer register it: a worker
   * that sends a lambda as a result is refused by the host, even under a wildcard of the capturing package, and no
   * capturing class code runs.
   */
  @Test
  void refusesALambdaInAResultSoNoJavaDeserializationHookRunsOnTheHost() {
    Runnable lambda = (Runnable & java.io.Serializable) () -> System.setProperty("airlock.lambda.ran", "yes");
    byte[] bytes = Codec.encodeResult(lambda, 1 << 20);
    assertThatThrownBy(() -> Codec.decodeResult(bytes, OWN_CLASSES)).isInstanceOf(SandboxProtocolException.class);
    assertThatThrownBy(() -> Codec.decodeResult(bytes, JDK_ONLY)).isInstanceOf(SandboxProtocolException.class);
    assertThat(System.getProperty("airlock.lambda.ran")).isNull();
  }

  @Test
  void refusesJdkGadgetsByName() {
    byte[] decoy = Codec.encodeResult(new Decoys(), 1 << 20);
    assertThat(JDK_ONLY.allows("com.sun.org.apache.xalan.internal.xsltc.trax.TemplatesImpl")).isFalse();
    assertThat(JDK_ONLY.allows("org.apache.commons.collections.functors.InvokerTransformer")).isFalse();
    assertThat(JDK_ONLY.allows("java.net.URL")).as("URL.hashCode resolves hosts").isFalse();
    assertThat(JDK_ONLY.allows("[Ljava.lang.String;")).isTrue();
    assertThat(JDK_ONLY.allows("[[I")).isTrue();
    assertThatThrownBy(() -> Codec.decodeResult(decoy, JDK_ONLY)).isInstanceOf(SandboxProtocolException.class);
  }

  @Test
  void refusesLambdasInResults() {
    Supplier<String> lambda = (Supplier<String> & java.io.Serializable) () -> "code on the host";
    byte[] bytes = Codec.encodeResult(lambda, 1 << 20);
    assertThatThrownBy(() -> Codec.decodeResult(bytes, ClassAllowlist.of(List.of("dev.airlock.*"))))
        .isInstanceOf(SandboxProtocolException.class);
  }

  @Test
  void refusesLyingSizesWithoutAllocating() {
    for (byte[] lie : List.of(
        withVarIntAfterClass(Codec.encodeResult(new ArrayList<>(List.of(1)), 1 << 10), Integer.MAX_VALUE - 8),
        withVarIntAfterClass(Codec.encodeResult(new int[] {1}, 1 << 10), Integer.MAX_VALUE - 8),
        withVarIntAfterClass(Codec.encodeResult(new String[] {"a"}, 1 << 10), Integer.MAX_VALUE - 8))) {
      long before = usedHeap();
      assertThatThrownBy(() -> Codec.decodeResult(lie, JDK_ONLY)).isInstanceOf(SandboxProtocolException.class)
          .hasMessageContaining("declared");
      assertThat(usedHeap() - before).isLessThan(256L * 1024 * 1024);
    }
  }

  @Test
  void refusesNestingBeyondTheDepthBound() {
    Object[] root = new Object[1];
    Object[] current = root;
    for (int i = 0; i < 2_000; i++) {
      Object[] next = new Object[1];
      current[0] = next;
      current = next;
    }
    assertThatThrownBy(() -> Codec.encodeResult(root, 1 << 20)).hasMessageContaining("deeper than");
    // A lying worker writes past the bound anyway.
    com.esotericsoftware.kryo.kryo5.Kryo unbounded = Kryos.forResultWriting(CodecTest.class.getClassLoader());
    unbounded.setMaxDepth(Integer.MAX_VALUE);
    Output out = new Output(1 << 16);
    unbounded.writeClassAndObject(out, root);
    byte[] deep = out.toBytes();
    assertThatThrownBy(() -> Codec.decodeResult(deep, JDK_ONLY))
        .isInstanceOf(SandboxProtocolException.class)
        .hasMessageContaining("depth");
  }

  @Test
  void aCycleIsRefusedWhereItIsWrittenWithAClearError() {
    List<Object> cycle = new ArrayList<>();
    cycle.add(cycle);
    assertThatThrownBy(() -> Codec.encodeResult(cycle, 1 << 20))
        .isInstanceOf(UnshippableInvocationException.class).hasMessageContaining("cycle");
  }

  @Test
  void aSharedObjectArrivesAsCopiesAndItsWorkIsBoundedByTheBytes() {
    List<Object> shared = new ArrayList<>(List.of("x"));
    List<Object> root = new ArrayList<>(List.of(shared, shared));
    List<?> decoded = (List<?>) Codec.decodeResult(Codec.encodeResult(root, 1 << 10), JDK_ONLY);
    assertThat(decoded).isEqualTo(root);
    assertThat(decoded.get(0)).isNotSameAs(decoded.get(1));
  }

  @Test
  void decodingStopsWhenItsDeadlinePasses() {
    List<Object> many = new ArrayList<>();
    for (int i = 0; i < 5_000; i++) {
      many.add(i);
    }
    byte[] bytes = Codec.encodeResult(many, 1 << 20);
    assertThatThrownBy(() -> Codec.decodeResult(bytes, JDK_ONLY, () -> true))
        .isInstanceOf(SandboxProtocolException.class).hasMessageContaining("deadline");
    assertThat(Codec.decodeResult(bytes, JDK_ONLY, () -> false)).isEqualTo(many);
  }

  @Test
  void aSetOfManyElementsWithOneHashCodeIsRefused() {
    java.util.Set<Object> flood = new java.util.HashSet<>();
    List<List<Object>> lists = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      List<Object> list = new ArrayList<>(List.of(i));
      flood.add(list);
      lists.add(list);
    }
    lists.forEach(l -> l.add(-31 * (Integer) l.get(0)));
    byte[] bytes = Codec.encodeResult(flood, 1 << 20);
    assertThatThrownBy(() -> Codec.decodeResult(bytes, JDK_ONLY)).isInstanceOf(SandboxProtocolException.class)
        .hasMessageContaining("hash code");
    java.util.Set<String> strings = new java.util.HashSet<>(List.of("Aa", "BB", "AaAa", "BBBB", "AaBB", "BBAa"));
    assertThat(Codec.decodeResult(Codec.encodeResult(strings, 1 << 10), JDK_ONLY)).isEqualTo(strings);
  }

  @Test
  void allTheListsOfAResultShareOneBudgetNullsIncluded() {
    List<Object> nulls = new ArrayList<>(java.util.Collections.nCopies(10_000, null));
    List<Object> lists = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      lists.add(nulls);
    }
    lists.add(new byte[10_000]);
    byte[] bytes = Codec.encodeResult(lists, 1 << 20);
    assertThatThrownBy(() -> Codec.decodeResult(bytes, JDK_ONLY)).isInstanceOf(SandboxProtocolException.class)
        .hasMessageContaining("more elements and objects than its");
    // Real data of one-byte elements costs two units per byte and round-trips, in lists and in maps.
    List<Object> flags = new ArrayList<>(java.util.Collections.nCopies(100_000, Boolean.TRUE));
    assertThat(Codec.decodeResult(Codec.encodeResult(flags, 1 << 20), JDK_ONLY)).isEqualTo(flags);
    Map<Object, Object> map = new HashMap<>(Map.of(true, false, false, true));
    assertThat(Codec.decodeResult(Codec.encodeResult(List.of(map, flags), 1 << 20), JDK_ONLY))
        .isEqualTo(List.of(map, flags));
  }

  @Test
  void aHashCodeSharedByTwoClassesIsAFloodEvenWhenEachIsComparable() {
    java.util.Set<Object> sameClass = new java.util.HashSet<>();
    for (int i = 0; i < 64; i++) {
      StringBuilder text = new StringBuilder();
      for (int bit = 0; bit < 6; bit++) {
        text.append(((i >> bit) & 1) == 0 ? "Aa" : "BB");
      }
      sameClass.add(text.toString());
    }
    assertThat(sameClass.stream().map(Object::hashCode).distinct()).hasSize(1);
    assertThat(Codec.decodeResult(Codec.encodeResult(sameClass, 1 << 20), JDK_ONLY)).isEqualTo(sameClass);
    int shared = sameClass.iterator().next().hashCode();
    java.util.Set<Object> mixed = new java.util.HashSet<>(sameClass);
    mixed.add(((long) 1 << 32) | ((1 ^ shared) & 0xffffffffL));
    assertThat(mixed.stream().map(Object::hashCode).distinct()).hasSize(1);
    assertThatThrownBy(() -> Codec.decodeResult(Codec.encodeResult(mixed, 1 << 20), JDK_ONLY))
        .isInstanceOf(SandboxProtocolException.class).hasMessageContaining("hash flooding");
  }

  @Test
  void bigNumbersAreBoundedInMagnitudeAndScale() {
    byte[] magnitude = new byte[Kryos.BoundedNumberSerializer.MAX_NUMBER_BYTES - 1];
    java.util.Arrays.fill(magnitude, (byte) 0x5a);
    java.math.BigInteger largest = new java.math.BigInteger(1, magnitude);
    java.math.BigDecimal decimal = new java.math.BigDecimal(largest, Kryos.BoundedNumberSerializer.MAX_SCALE);
    assertThat(Codec.decodeResult(Codec.encodeResult(List.of(largest, decimal), 1 << 20), JDK_ONLY))
        .isEqualTo(List.of(largest, decimal));
    java.math.BigInteger tooLarge = largest.shiftLeft(16);
    assertThatThrownBy(() -> Codec.decodeResult(Codec.encodeResult(tooLarge, 1 << 20), JDK_ONLY))
        .isInstanceOf(SandboxProtocolException.class).hasMessageContaining("a result's number");
    java.math.BigDecimal tooFine = java.math.BigDecimal.valueOf(1, Kryos.BoundedNumberSerializer.MAX_SCALE + 1);
    assertThatThrownBy(() -> Codec.decodeResult(Codec.encodeResult(tooFine, 1 << 20), JDK_ONLY))
        .isInstanceOf(SandboxProtocolException.class).hasMessageContaining("scale");
  }

  @Test
  void aLargeResultIsDecodedOffTheCallingThreadAndAbandonedAtTheDeadline() {
    List<Object> large = new ArrayList<>();
    for (int i = 0; i < Codec.INLINE_DECODE_BYTES; i++) {
      large.add(i);
    }
    byte[] bytes = Codec.encodeResult(large, 1 << 20);
    assertThat(bytes.length).isGreaterThan(Codec.INLINE_DECODE_BYTES);
    assertThat(Codec.decodeResult(bytes, JDK_ONLY, () -> false)).isEqualTo(large);
    assertThatThrownBy(() -> Codec.decodeResult(bytes, JDK_ONLY, () -> true))
        .isInstanceOf(SandboxProtocolException.class).hasMessageContaining("deadline");
  }

  record Cell(String text, int i, long l, double d, float f, short s, byte b, char c, boolean z, Cell next,
      Object any, List<Object> items) {
  }

  record Holder(List<Object> items) {
  }

  @Test
  void roundTripsRecordsWithEveryKindOfComponentAndNulls() {
    Cell inner = new Cell(null, -1, Long.MIN_VALUE, Double.NaN, 1.5f, (short) 7, (byte) -3, '\u00e9', true, null,
        null, null);
    Cell outer = new Cell("outer", Integer.MAX_VALUE, 2, 3.25, 4, (short) 5, (byte) 6, 'x', false, inner,
        List.of("a"), new ArrayList<>(List.of(inner, "text")));
    assertThat(Codec.decodeResult(Codec.encodeResult(outer, 1 << 16), OWN_CLASSES)).isEqualTo(outer);
  }

  @Test
  void aCycleThroughARecordIsRefusedWhereItIsWritten() {
    List<Object> items = new ArrayList<>();
    Holder holder = new Holder(items);
    items.add(holder);
    assertThatThrownBy(() -> Codec.encodeResult(holder, 1 << 20))
        .isInstanceOf(UnshippableInvocationException.class).hasMessageContaining("cycle");
  }

  @Test
  void roundTripsStringArraysWithNullsAndRefusesALyingLength() {
    byte[] encoded = Codec.encodeResult(new String[] {"a", null, ""}, 1 << 10);
    assertThat((String[]) Codec.decodeResult(encoded, JDK_ONLY)).containsExactly("a", null, "");

    byte[] one = Codec.encodeResult(new String[] {"ab"}, 1 << 10);
    int at = indexOf(one, new byte[] {2, 'a', (byte) ('b' | 0x80)});
    byte[] lying = new byte[one.length + 4];
    System.arraycopy(one, 0, lying, 0, at);
    System.arraycopy(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x07}, 0, lying, at, 5);
    System.arraycopy(one, at + 1, lying, at + 5, one.length - at - 1);
    assertThatThrownBy(() -> Codec.decodeResult(lying, JDK_ONLY)).isInstanceOf(SandboxProtocolException.class)
        .hasMessageContaining("array length");
  }

  private static int indexOf(byte[] bytes, byte[] pattern) {
    for (int i = 0; i + pattern.length <= bytes.length; i++) {
      if (java.util.Arrays.equals(bytes, i, i + pattern.length, pattern, 0, pattern.length)) {
        return i;
      }
    }
    throw new AssertionError("pattern not found in the encoded bytes");
  }

  @Test
  void refusesTrailingBytesAndGarbage() {
    byte[] ok = Codec.encodeResult("fine", 1 << 10);
    byte[] trailing = java.util.Arrays.copyOf(ok, ok.length + 3);
    assertThatThrownBy(() -> Codec.decodeResult(trailing, JDK_ONLY)).isInstanceOf(SandboxProtocolException.class);
    byte[] garbage = "\u00ff\u00fe garbage that is not kryo".getBytes(StandardCharsets.ISO_8859_1);
    assertThatThrownBy(() -> Codec.decodeResult(garbage, JDK_ONLY)).isInstanceOf(SandboxProtocolException.class);
  }

  @Test
  void encodingStopsAtTheLimit() {
    assertThatThrownBy(() -> Codec.encodeResult(new byte[2048], 1024))
        .isInstanceOf(PayloadTooLargeException.class)
        .hasMessageContaining("1024 bytes");
  }

  /** Rewrites an ASCII class name Kryo wrote (last char flagged with the high bit) to another of equal length. */
  private static byte[] rename(byte[] bytes, String from, String to) {
    assertThat(to).hasSameSizeAs(from);
    byte[] pattern = kryoAscii(from);
    byte[] replacement = kryoAscii(to);
    byte[] out = bytes.clone();
    for (int i = 0; i + pattern.length <= out.length; i++) {
      if (java.util.Arrays.equals(out, i, i + pattern.length, pattern, 0, pattern.length)) {
        System.arraycopy(replacement, 0, out, i, replacement.length);
        return out;
      }
    }
    throw new AssertionError("class name not found in the encoded bytes");
  }

  private static byte[] kryoAscii(String s) {
    byte[] b = s.getBytes(StandardCharsets.US_ASCII);
    b[b.length - 1] |= (byte) 0x80;
    return b;
  }

  /** Replaces the varint that follows the class name (a collection's or array's size) with {@code value}. */
  private static byte[] withVarIntAfterClass(byte[] encoded, int value) {
    int i = 0;
    while ((encoded[i] & 0x80) == 0 || i < 2) {
      i++;
    }
    Output size = new Output(8);
    size.writeVarInt(value, true);
    // Results carry no reference markers: the size follows the name at once.
    byte[] head = java.util.Arrays.copyOf(encoded, i + 1);
    byte[] tail = java.util.Arrays.copyOfRange(encoded, i + 2, encoded.length);
    byte[] out = new byte[head.length + size.position() + tail.length];
    System.arraycopy(head, 0, out, 0, head.length);
    System.arraycopy(size.getBuffer(), 0, out, head.length, size.position());
    System.arraycopy(tail, 0, out, head.length + size.position(), tail.length);
    return out;
  }

  private static long usedHeap() {
    Runtime rt = Runtime.getRuntime();
    return rt.totalMemory() - rt.freeMemory();
  }

  /** A plain class with an array field left null, as most are. */
  static final class Doc {
    String title = "t";
    String[] tags;
    String[][] rows = {{"a"}, null};
  }

  /**
   * Attack review 41: a {@code String[]} field left null was refused as an array of -1 elements (Kryo's serializer of
   * that class reads a null itself, from a 0 where the length plus one stands).
   */
  @Test
  void aNullStringArrayFieldOrRowCrosses() {
    Doc doc = (Doc) Codec.decodeResult(Codec.encodeResult(new Doc(), 4096), OWN_CLASSES);
    assertThat(doc.tags).isNull();
    assertThat(doc.rows).isDeepEqualTo(new String[][] {{"a"}, null});
  }
}
