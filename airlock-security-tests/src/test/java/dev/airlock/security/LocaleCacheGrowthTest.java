package dev.airlock.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.airlock.SandboxProtocolException;
import dev.airlock.internal.codec.ClassAllowlist;
import dev.airlock.internal.codec.Codec;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * Attack review 25: the JDK keeps every {@code Locale} it builds in a cache of its own, held after the result that
 * made it is gone. A result may hold locales (an admitted JDK value type, in any {@code List<Object>} too), and one of
 * a made-up variant cost the host about 230 bytes kept for about 12 on the wire: 300,000 of them in 3.6 MB left 65
 * MiB of the host's heap taken after the call, more with every call, until the JVM was short enough of memory to
 * clear the cache. A result's locale must be one the JDK knows, so the cache holds a bounded set.
 */
class LocaleCacheGrowthTest {
  private static final int MAX_RESULT_BYTES = 10 * 1024 * 1024;

  @Test
  void madeUpLocalesInAResultAreRefusedAndLeaveNothingInTheHostsCache() {
    byte[] result = madeUpLocales(300_000);

    long before = HostMemory.retainedHeap();
    Throwable thrown = catchThrowable(() -> Codec.decodeResult(result, ClassAllowlist.jdkOnly()));
    long kept = HostMemory.retainedHeap() - before;

    assertThat(kept).as("heap kept after decoding %s bytes of locales: %s", result.length, HostMemory.mib(kept))
        .isLessThan(8L * 1024 * 1024);
    assertThat(thrown).isInstanceOf(SandboxProtocolException.class).hasMessageContaining("Locale")
        .hasMessageContaining("en_US_v0000");
  }

  @Test
  void localesTheJdkKnowsStillDecode() {
    List<Locale> known = List.of(Locale.US, Locale.ROOT, Locale.GERMAN, new Locale("de", "CH"),
        Locale.forLanguageTag("es-419"), new Locale("ja", "JP", "JP"), new Locale("th", "TH", "TH"),
        new Locale("no", "NO", "NY"), new Locale("", "FR"));

    assertThat(Codec.decodeResult(Codec.encodeResult(known, MAX_RESULT_BYTES), ClassAllowlist.jdkOnly()))
        .isEqualTo(known);
  }

  /**
   * A list of {@code count} locales {@code en_US_v0000}, {@code en_US_v0001}, ...: one locale written that many times,
   * its variant then renamed in the bytes, so this JVM never builds (and caches) them before the host decodes them.
   */
  private static byte[] madeUpLocales(int count) {
    byte[] bytes = Codec.encodeResult(new java.util.ArrayList<>(java.util.Collections.nCopies(count, new Locale("en", "US", "vzzzz"))),
        MAX_RESULT_BYTES);
    // Kryo writes ASCII text with the last character's high bit set.
    byte[] variant = {'v', 'z', 'z', 'z', (byte) ('z' | 0x80)};
    int renamed = 0;
    for (int at = 0; at + variant.length <= bytes.length; at++) {
      if (java.util.Arrays.equals(bytes, at, at + variant.length, variant, 0, variant.length)) {
        String name = String.format("%4s", Integer.toString(renamed++, 36)).replace(' ', '0');
        for (int i = 0; i < 4; i++) {
          bytes[at + 1 + i] = (byte) name.charAt(i);
        }
        bytes[at + 4] |= (byte) 0x80;
      }
    }
    assertThat(renamed).isEqualTo(count);
    return bytes;
  }
}
