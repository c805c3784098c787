package dev.airlock.internal.backend;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class GuestTextTest {

  @Test
  void shortPlainTextIsKeptAsItIs() {
    String text = "worker 42 exited with status 3";

    assertThat(GuestText.clipped(text, 64)).isSameAs(text);
  }

  @Test
  void clippedTextIsEscapedAndAtMostItsLimitAndAnEllipsis() {
    String forged = "ok\r\n2026-12-04 INFO dev.airlock.Guard - call approved\u001b[8m\u202e" + "x".repeat(10_000_000);

    String kept = GuestText.clipped(forged, 100);

    assertThat(kept).startsWith("ok\\r\\n2026-12-04 INFO").endsWith("…").hasSizeLessThanOrEqualTo(101)
        .doesNotContain("\r", "\n", "\u001b", "\u202e");
  }

  @Test
  void theCutNeverSplitsAnEscapeOrASurrogatePair() {
    assertThat(GuestText.clipped("abcd\u0007efgh", 7)).isEqualTo("abcd…");
    assertThat(GuestText.clipped("abcdef\uD83D\uDE00gh", 7)).isEqualTo("abcdef…");
    assertThat(GuestText.clipped("abcde\uD83D\uDE00gh", 7)).isEqualTo("abcde\uD83D\uDE00…");
  }

  @Test
  void textThatFitsOnceEscapedIsWhole() {
    assertThat(GuestText.clipped("a\nb", 4)).isEqualTo("a\\nb");
  }
}
