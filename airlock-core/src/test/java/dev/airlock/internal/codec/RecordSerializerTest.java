package dev.airlock.internal.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.esotericsoftware.kryo.kryo5.Kryo;
import com.esotericsoftware.kryo.kryo5.io.Output;
import dev.airlock.SandboxProtocolException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

/**
 * Both ways a record travels, by reflection at first and by method handles once its type has been shipped often,
 * write the same bytes and read back the same values, strings of every kind included; a lying string length is
 * refused.
 */
class RecordSerializerTest {
  private static final ClassAllowlist OWN_CLASSES = ClassAllowlist.of(List.of("dev.airlock.internal.codec.*"));
  private static final List<String> STRINGS = Arrays.asList(null, "", "a", "plain ascii text",
      "Latin-1: café, naïve, ÿ", "\u0100 just above Latin-1", "日本語", "emoji \uD83D\uDE00", "lone surrogate \uD800",
      "x".repeat(70_000));

  record Text(String value, long n, double score, List<String> tags) {
    Text {
      if ("refused".equals(value)) {
        throw new IllegalArgumentException("value must not be 'refused'");
      }
    }
  }

  @Test
  void stringsOfEveryKindTravelTheSameByReflectionAndByMethodHandles() throws Exception {
    Pair reflection = new Pair();
    List<byte[]> byReflection = new ArrayList<>();
    for (String value : STRINGS) {
      Text text = new Text(value, value == null ? -1 : value.length(), 0.5, Arrays.asList(value, "tag"));
      byte[] bytes = reflection.encode(text);
      assertThat(reflection.decode(bytes)).isEqualTo(text);
      byReflection.add(bytes);
    }
    assertThat(reflection.usesHandles(Text.class)).as("a few objects do not build handles").isFalse();

    Pair handles = new Pair();
    handles.shipUntilHandles(Text.class, RecordSerializerTest::text);
    for (int i = 0; i < STRINGS.size(); i++) {
      String value = STRINGS.get(i);
      Text text = new Text(value, value == null ? -1 : value.length(), 0.5, Arrays.asList(value, "tag"));
      byte[] bytes = handles.encode(text);
      assertThat(bytes).as("the same bytes for %s", text).isEqualTo(byReflection.get(i));
      assertThat(handles.decode(bytes)).isEqualTo(text);
      assertThat(reflection.decode(bytes)).isEqualTo(text);
    }
  }

  record EveryKind(int i, long l, double d, boolean b, float f, short s, byte y, char c, String t, Integer boxed) {
  }

  @Test
  void everyPrimitiveKindTravelsTheSameByReflectionAndByMethodHandles() throws Exception {
    List<EveryKind> values = List.of(
        new EveryKind(0, 0, 0, false, 0, (short) 0, (byte) 0, '\0', null, null),
        new EveryKind(Integer.MIN_VALUE, Long.MAX_VALUE, -1.5, true, Float.NaN, Short.MIN_VALUE, Byte.MAX_VALUE,
            '\u20AC', "é", 42),
        new EveryKind(-1, Long.MIN_VALUE, Double.MAX_VALUE, true, -0.0f, (short) -1, (byte) -1, '\uFFFF', "", -7));
    Pair reflection = new Pair();
    Pair handles = new Pair();
    handles.shipUntilHandles(EveryKind.class,
        i -> new EveryKind(i, i, i, i % 2 == 0, i, (short) i, (byte) i, (char) i, "t" + i, i));
    assertThat(reflection.usesHandles(EveryKind.class)).isFalse();
    for (EveryKind value : values) {
      byte[] bytes = reflection.encode(value);
      assertThat(handles.encode(value)).as("the same bytes for %s", value).isEqualTo(bytes);
      assertThat(handles.decode(bytes)).isEqualTo(value);
      assertThat(reflection.decode(bytes)).isEqualTo(value);
    }
  }

  @Test
  void aStringLongerThanTheBytesLeftIsRefused() {
    byte[] bytes = Codec.encodeResult(new Text("abc", 1, 1, List.of()), 1 << 20);
    int at = indexOf(bytes, "abc".getBytes());
    assertThat(bytes[at - 1]).as("the length ahead of the bytes: 3 + 2").isEqualTo((byte) 5);
    bytes[at - 1] = 0x7F;
    assertThatThrownBy(() -> Codec.decodeResult(bytes, OWN_CLASSES))
        .isInstanceOf(SandboxProtocolException.class)
        .hasMessageContaining("a string of 125 characters runs past the end");
  }

  @Test
  void aConstructorThatRefusesItsValuesFailsTheDecodeOnBothPaths() throws Exception {
    Pair handles = new Pair();
    handles.shipUntilHandles(Text.class, RecordSerializerTest::text);
    for (Pair pair : List.of(new Pair(), handles)) {
      byte[] bytes = pair.encodeRefused();
      assertThatThrownBy(() -> pair.decode(bytes))
          .hasMessageContaining("constructing " + Text.class.getName())
          .hasMessageContaining("value must not be 'refused'");
    }
  }

  private static Text text(int i) {
    return new Text("t" + i, i, i, List.of());
  }

  private static int indexOf(byte[] bytes, byte[] part) {
    outer:
    for (int i = 0; i <= bytes.length - part.length; i++) {
      for (int j = 0; j < part.length; j++) {
        if (bytes[i + j] != part[j]) {
          continue outer;
        }
      }
      return i;
    }
    throw new AssertionError("not found");
  }

  /** A writing and a reading Kryo as the two sides of the wire set them up, each with its own serializers. */
  private static final class Pair {
    private final Kryo writer = Kryos.forResultWriting(RecordSerializerTest.class.getClassLoader());
    private final Kryos.AllowlistClassResolver resolver =
        new Kryos.AllowlistClassResolver(RecordSerializerTest.class.getClassLoader());
    private final Kryo reader = Kryos.forResults(resolver);

    Pair() {
      resolver.allowlist(OWN_CLASSES);
    }

    byte[] encode(Object value) {
      Output output = new Output(1024, 1 << 20);
      writer.writeClassAndObject(output, value);
      writer.reset();
      return output.toBytes();
    }

    /** A Text whose value its constructor refuses, written around the constructor as a lying worker could. */
    byte[] encodeRefused() {
      byte[] bytes = encode(new Text("refuse", 1, 1, List.of()));
      int at = indexOf(bytes, "refuse".getBytes());
      byte[] lying = new byte[bytes.length + 1];
      System.arraycopy(bytes, 0, lying, 0, at - 1);
      lying[at - 1] = 7 + 2;
      System.arraycopy("refused".getBytes(), 0, lying, at, 7);
      System.arraycopy(bytes, at + 6, lying, at + 7, bytes.length - at - 6);
      return lying;
    }

    Object decode(byte[] bytes) {
      try {
        return reader.readClassAndObject(new BoundedInput(bytes));
      } finally {
        reader.reset();
      }
    }

    boolean usesHandles(Class<?> type) {
      return ((RecordSerializer) writer.getSerializer(type)).usesHandles()
          && ((RecordSerializer) reader.getSerializer(type)).usesHandles();
    }

    /** Ships enough objects of {@code type} that both sides build its method handles, and waits until they have. */
    void shipUntilHandles(Class<?> type, IntFunction<? extends Record> make) throws InterruptedException {
      List<Record> many = new ArrayList<>();
      for (int i = 0; i < RecordSerializer.HANDLES_AFTER; i++) {
        many.add(make.apply(i));
      }
      assertThat(decode(encode(many))).isEqualTo(many);
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (!usesHandles(type) && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertThat(usesHandles(type)).as("handles of %s built after %d objects", type.getSimpleName(),
          RecordSerializer.HANDLES_AFTER).isTrue();
    }
  }
}
