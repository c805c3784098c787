package dev.airlock.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.esotericsoftware.kryo.kryo5.Kryo;
import com.esotericsoftware.kryo.kryo5.io.Output;
import dev.airlock.SandboxProtocolException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Both ways a record travels, by reflection at first and by method handles once its type has been shipped often,
 * write the same bytes and read back the same values, strings of every kind included; a lying string length is
 * refused.
 */
class RecordSerializerTest {
  private static final ClassAllowlist OWN_CLASSES = ClassAllowlist.of(List.of("dev.airlock.codec."));
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
    assertThat(reflection.usesHandles()).as("a few objects do not build handles").isFalse();

    Pair handles = new Pair();
    handles.shipUntilHandles();
    for (int i = 0; i < STRINGS.size(); i++) {
      String value = STRINGS.get(i);
      Text text = new Text(value, value == null ? -1 : value.length(), 0.5, Arrays.asList(value, "tag"));
      byte[] bytes = handles.encode(text);
      assertThat(bytes).as("the same bytes for %s", text).isEqualTo(byReflection.get(i));
      assertThat(handles.decode(bytes)).isEqualTo(text);
      assertThat(reflection.decode(bytes)).isEqualTo(text);
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
    handles.shipUntilHandles();
    for (Pair pair : List.of(new Pair(), handles)) {
      byte[] bytes = pair.encodeRefused();
      assertThatThrownBy(() -> pair.decode(bytes))
          .hasMessageContaining("constructing " + Text.class.getName())
          .hasMessageContaining("value must not be 'refused'");
    }
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
    private final Kryo writer = Kryos.forInvocations(RecordSerializerTest.class.getClassLoader());
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

    boolean usesHandles() {
      return ((RecordSerializer) writer.getSerializer(Text.class)).usesHandles()
          && ((RecordSerializer) reader.getSerializer(Text.class)).usesHandles();
    }

    void shipUntilHandles() throws InterruptedException {
      List<Text> many = new ArrayList<>();
      for (int i = 0; i < RecordSerializer.HANDLES_AFTER; i++) {
        many.add(new Text("t" + i, i, i, List.of()));
      }
      assertThat(decode(encode(many))).isEqualTo(many);
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (!usesHandles() && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertThat(usesHandles()).as("handles built after %d objects", RecordSerializer.HANDLES_AFTER).isTrue();
    }
  }
}
