package dev.airlock.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.airlock.SandboxProtocolException;
import dev.airlock.internal.codec.ClassAllowlist;
import dev.airlock.internal.codec.Codec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Attack review 14: hashing a set walks each element's subtree, and a set inside a set's element is walked again for
 * every set above it. The element budget counts each object once, so sets nested 380 deep around one list of 30,000
 * small values (42 KB) made the host hash 11 million elements, 20 ms of the calling thread for a result small enough
 * to be decoded there; a larger result keeps a decoder thread hashing up to the call's deadline.
 */
class NestedHashWorkTest {
  /** Hash codes taken of {@link Counted} values: the host's hashing work, counted exactly. */
  static final AtomicLong HASHED = new AtomicLong();

  /** An admitted value that counts how often the host hashes it. */
  public record Counted(int value) {
    @Override
    public int hashCode() {
      HASHED.incrementAndGet();
      return value;
    }
  }

  private static final ClassAllowlist ALLOWLIST = ClassAllowlist.of(List.of(Counted.class.getName()));

  @Test
  void setsNestedInSetsCostHashingBoundedByTheirBytes() {
    List<Counted> leaf = new ArrayList<>();
    for (int i = 0; i < 10_000; i++) {
      leaf.add(new Counted(i % 100));
    }
    Object value = leaf;
    for (int depth = 0; depth < 380; depth++) {
      Set<Object> set = new HashSet<>();
      set.add(value);
      value = set;
    }
    byte[] bytes = Codec.encodeResult(value, 1 << 20);
    HASHED.set(0);

    Throwable thrown = catchThrowable(() -> Codec.decodeResult(bytes, ALLOWLIST));

    assertThat(HASHED.get()).as("hash codes taken for %s bytes (%s)", bytes.length, String.valueOf(thrown))
        .isLessThan(16L * bytes.length);
    assertThat(thrown).isInstanceOf(SandboxProtocolException.class).hasMessageContaining("hash");
  }

  /** Parsed JSON as nested maps, a few levels deep: values beneath map entries, hashed only for their keys. */
  @Test
  void mapsNestedAFewLevelsDeepStillDecode() {
    Map<String, Object> value = new HashMap<>();
    value.put("leaf", new ArrayList<>(List.of(1, 2, 3)));
    for (int depth = 0; depth < 8; depth++) {
      Map<String, Object> outer = new HashMap<>();
      for (int i = 0; i < 4; i++) {
        outer.put("k" + i, i == 0 ? value : "v" + i);
      }
      value = outer;
    }
    Set<Object> sets = new HashSet<>(Set.of(new HashSet<>(Set.of(List.of(1, 2), List.of(3))), Set.of(4)));

    assertThat(Codec.decodeResult(Codec.encodeResult(value, 1 << 20), ALLOWLIST)).isEqualTo(value);
    assertThat(Codec.decodeResult(Codec.encodeResult(sets, 1 << 20), ALLOWLIST)).isEqualTo(sets);
  }
}
