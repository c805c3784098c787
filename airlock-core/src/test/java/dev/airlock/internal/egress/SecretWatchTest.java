package dev.airlock.internal.egress;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class SecretWatchTest {
  private static final String SECRET = "Bearer sk-\u00e9\u00ff4f9a1c7e2b8d6f0a3c5e7b9d1f2a4c6e";

  private static SecretWatch watch(String value) {
    return new SecretWatch(List.of(new SecretInjection("api.test", "Authorization", value)));
  }

  private static boolean seen(SecretWatch watch, String text) {
    byte[] bytes = text.getBytes(StandardCharsets.ISO_8859_1);
    return watch.seen(bytes, 0, bytes.length);
  }

  @Test
  void findsHalfOfTheValueAnywhereEvenAcrossReads() {
    int half = (SECRET.length() + 1) / 2;
    for (int from = 0; from + half <= SECRET.length(); from++) {
      SecretWatch watch = watch(SECRET);
      String piece = SECRET.substring(from, from + half);
      assertThat(seen(watch, "x".repeat(100) + piece.substring(0, 5))).isFalse();
      assertThat(seen(watch, piece.substring(5) + "\r\n")).as("piece from %d", from).isTrue();
    }
  }

  @Test
  void lessThanHalfOrOtherTextIsNotAnEcho() {
    SecretWatch watch = watch(SECRET);
    String lessThanHalf = SECRET.substring(0, (SECRET.length() + 1) / 2 - 1);

    assertThat(seen(watch, lessThanHalf + "\r\n" + "Bearer sk-other-token-of-someone-else")).isFalse();
    assertThat(seen(watch, SECRET.substring(SECRET.length() - lessThanHalf.length()))).isFalse();
  }

  @Test
  void aShortValueIsFoundOnlyWhole() {
    SecretWatch watch = watch("Basic dXNlcjpw");

    assertThat(seen(watch, "Basic dXNlcj")).isFalse();
    assertThat(seen(watch, "pw")).isTrue();
  }
}
