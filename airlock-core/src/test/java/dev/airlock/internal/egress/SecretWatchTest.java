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
  void findsAnyPieceOfTwelveBytesAnywhereEvenAcrossReads() {
    for (int from = 0; from + SecretWatch.PIECE <= SECRET.length(); from++) {
      SecretWatch watch = watch(SECRET);
      String piece = SECRET.substring(from, from + SecretWatch.PIECE);
      assertThat(seen(watch, "x".repeat(100) + piece.substring(0, 5))).isFalse();
      assertThat(seen(watch, piece.substring(5) + "\r\n")).as("piece from %d", from).isTrue();
    }
  }

  /**
   * Attack review 15: the guest pads its request so the echo's chunk framing splits the value after its first
   * pieces; what comes before the split reaches the guest before the rest is seen. With pieces of half the value,
   * "Bearer " and 21 characters of a key went through; now the first read that holds 12 bytes of it is cut.
   */
  @Test
  void anEchoSplitByChunkFramingGivesAwayLessThanOnePiece() {
    String token = "Bearer sk-live-4f9a1c7e2b8d6f0a3c5e7b9d1f2a4c6e8a0b2c4d6e8f";
    for (int split = SecretWatch.PIECE; split < token.length(); split++) {
      SecretWatch watch = watch(token);
      assertThat(seen(watch, "HTTP/1.1 200 OK\r\n\r\n40\r\n{\"authorization\": \"" + token.substring(0, split)))
          .as("the first %d bytes of the value, before the framing", split).isTrue();
    }
  }

  @Test
  void lessThanAPieceOrOtherTextIsNotAnEcho() {
    SecretWatch watch = watch(SECRET);
    String lessThanAPiece = SECRET.substring(0, SecretWatch.PIECE - 1);

    assertThat(seen(watch, lessThanAPiece + "\r\n" + "Bearer sk-other-token-of-someone-else")).isFalse();
    assertThat(seen(watch, SECRET.substring(SECRET.length() - lessThanAPiece.length()))).isFalse();
  }

  @Test
  void aShortValueIsFoundOnlyWhole() {
    SecretWatch watch = watch("Basic dXNlcj");

    assertThat(seen(watch, "Basic dXNl")).isFalse();
    assertThat(seen(watch, "cj")).isTrue();
  }

  /**
   * Attack review 29: in a chunked body the framing the guest's padding places between the halves of a short value
   * hid it from the bytes as sent; the decoded body shows it whole.
   */
  @Test
  void aValueSplitByChunkFramingIsFoundInTheDecodedBody() {
    String value = "k3y-0a1b2c3d4e5f6789";
    // Splits where neither half holds a piece of 12 bytes.
    for (int split = value.length() - SecretWatch.PIECE + 1; split < SecretWatch.PIECE; split++) {
      SecretWatch watch = watch(value);
      watch.chunkedBody();
      assertThat(seen(watch, Integer.toHexString(100 + split) + ";ext=1\r\n" + "p".repeat(100) + value.substring(0, split))).isFalse();
      assertThat(seen(watch, "\r\n" + Integer.toHexString(value.length() - split) + "\r\n"
          + value.substring(split) + "\r\n0\r\n\r\n")).as("split after %d", split).isTrue();
      assertThat(watch.malformed()).isFalse();
    }
  }

  @Test
  void aChunkedBodyIsPassedAsItsClientReadsItOrCutWhenItsFramingIsMalformed() {
    SecretWatch watch = watch(SECRET);
    watch.chunkedBody();
    assertThat(seen(watch, "5\r\nhello\n3\r\nabc\r\n0\r\nTrailer: x\r\n\r\n")).isFalse();
    SecretWatch bad = watch(SECRET);
    bad.chunkedBody();
    assertThat(seen(bad, "5\r\nhelloXX\r\n")).isTrue();
    assertThat(bad.malformed()).isTrue();
    SecretWatch huge = watch(SECRET);
    huge.chunkedBody();
    assertThat(seen(huge, "1" + "0".repeat(15) + "\r\n")).isTrue();
  }
}
