package dev.airlock.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.esotericsoftware.kryo.kryo5.Kryo;
import com.esotericsoftware.kryo.kryo5.Serializer;
import com.esotericsoftware.kryo.kryo5.io.Input;
import com.esotericsoftware.kryo.kryo5.io.Output;
import com.esotericsoftware.kryo.kryo5.objenesis.strategy.StdInstantiatorStrategy;
import com.esotericsoftware.kryo.kryo5.util.DefaultInstantiatorStrategy;
import dev.airlock.SandboxProtocolException;
import dev.airlock.internal.codec.ClassAllowlist;
import dev.airlock.internal.codec.Codec;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Attack review 14: an {@code EnumMap} holds an array as long as its key type has constants, whatever entries it has.
 * The size check counted only the entries, so a worker returning many EnumMaps of an admitted enum with many constants
 * (a method returning {@code List<EnumMap<Country, Integer>>}, say) made the host allocate a few hundred bytes for
 * each four bytes it sent: a 10 MiB result, the default limit, was gigabytes of host heap.
 */
class EnumMapUniverseTest {
  /** An admitted enum with many constants: the JDK's has 150-odd, an application's list of countries 250. */
  private static final Class<Character.UnicodeScript> BIG_ENUM = Character.UnicodeScript.class;
  private static final ClassAllowlist ALLOWLIST = ClassAllowlist.of(List.of(BIG_ENUM.getName()));
  /** What a result's bytes may cost the host at most, per byte: far more than any other collection's. */
  private static final long BYTES_PER_BYTE = 40;

  @Test
  void manyEnumMapsOfABigEnumCostTheHostNoMoreThanTheirBytesAllow() {
    // Under 64 KiB, so it is decoded on this thread, whose allocations are counted.
    byte[] hostile = emptyEnumMaps(12_000);

    long before = HostMemory.allocatedByThisThread();
    Throwable thrown = catchThrowable(() -> Codec.decodeResult(hostile, ALLOWLIST));
    long allocated = HostMemory.allocatedByThisThread() - before;

    assertThat(allocated).as("decoding %s bytes cost %s", hostile.length, HostMemory.mib(allocated))
        .isLessThan(BYTES_PER_BYTE * hostile.length + 4L * 1024 * 1024);
    assertThat(thrown).isInstanceOf(SandboxProtocolException.class);
  }

  @Test
  void aFewEnumMapsOfABigEnumStillDecode() {
    List<EnumMap<Character.UnicodeScript, Integer>> maps = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      EnumMap<Character.UnicodeScript, Integer> map = new EnumMap<>(BIG_ENUM);
      map.put(Character.UnicodeScript.LATIN, i);
      maps.add(map);
    }

    Object decoded = Codec.decodeResult(Codec.encodeResult(maps, 1024 * 1024), ALLOWLIST);

    assertThat(decoded).isEqualTo(maps);
  }

  /** A list of {@code count} EnumMaps of {@link #BIG_ENUM}, each written as its key type and no entries. */
  private static byte[] emptyEnumMaps(int count) {
    Kryo kryo = new Kryo();
    kryo.setRegistrationRequired(false);
    kryo.setReferences(false);
    kryo.setInstantiatorStrategy(new DefaultInstantiatorStrategy(new StdInstantiatorStrategy()));
    kryo.register(Object[].class);
    kryo.register(Class.class);
    kryo.addDefaultSerializer(EnumMap.class, new Serializer<EnumMap<?, ?>>() {
      @Override
      public void write(Kryo k, Output output, EnumMap<?, ?> map) {
        k.writeClass(output, BIG_ENUM);
        k.writeClassAndObject(output, new HashMap<>());
      }

      @Override
      public EnumMap<?, ?> read(Kryo k, Input input, Class<? extends EnumMap<?, ?>> type) {
        throw new UnsupportedOperationException();
      }
    });
    List<Map<?, ?>> maps = new ArrayList<>();
    EnumMap<Character.UnicodeScript, Integer> one = new EnumMap<>(BIG_ENUM);
    for (int i = 0; i < count; i++) {
      maps.add(one);
    }
    Output out = new Output(4096, -1);
    kryo.writeClassAndObject(out, maps);
    return out.toBytes();
  }
}
