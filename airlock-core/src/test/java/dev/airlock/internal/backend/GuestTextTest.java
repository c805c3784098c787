package dev.airlock.internal.backend;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class GuestTextTest {

  @Test
  void escapingWithinABoundKeepsWhatTheWholeEscapeStartsWith() {
    String text = "ok\r\n\u202e" + "x".repeat(50) + "\u0001".repeat(50) + "\uD83D\uDE00";
    for (int max = 0; max < 400; max++) {
      String whole = GuestText.escape(text);
      String bounded = GuestText.escape(text, max);
      if (whole.length() <= max) {
        assertThat(bounded).isEqualTo(whole);
      } else {
        assertThat(bounded).endsWith("…");
        assertThat(whole).startsWith(bounded.substring(0, bounded.length() - 1));
        assertThat(bounded.length()).isLessThanOrEqualTo(max + 1);
      }
    }
  }

  @Test
  void textWithNothingToEscapeIsOnlyClipped() {
    assertThat(GuestText.escape("abc", 3)).isEqualTo("abc");
    assertThat(GuestText.escape("abcd", 3)).isEqualTo("abc…");
    assertThat(GuestText.escape("ab\uD83D\uDE00", 3)).isEqualTo("ab…");
  }

  @Test
  void escapingWithinABoundCostsAboutTheBound() {
    var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    String text = "\u0001".repeat(8 * 1024 * 1024);
    GuestText.escape(text.substring(0, 100), 16);
    long before = threads.getCurrentThreadAllocatedBytes();
    String escaped = GuestText.escape(text, 16 * 1024);
    long allocated = threads.getCurrentThreadAllocatedBytes() - before;
    assertThat(escaped).hasSizeBetween(16 * 1024 - 5, 16 * 1024 + 1).startsWith("\\u0001\\u0001").endsWith("1…");
    assertThat(allocated).as("bytes allocated to keep 16 Ki chars of 8 Mi").isLessThan(1024 * 1024);
  }

  @Test
  void shortPlainTextIsKeptAsItIs() {
    String text = "worker 42 exited with status 3";

    assertThat(GuestText.escape(text, 64)).isSameAs(text);
  }

  @Test
  void aForgedLineIsEscapedAndClipped() {
    String forged = "ok\r\n2026-12-04 INFO dev.airlock.Guard - call approved\u001b[8m\u202e" + "x".repeat(10_000_000);

    String kept = GuestText.escape(forged, 100);

    assertThat(kept).startsWith("ok\\r\\n2026-12-04 INFO").endsWith("…").hasSizeLessThanOrEqualTo(101)
        .doesNotContain("\r", "\n", "\u001b", "\u202e");
  }

  @Test
  void theCutNeverSplitsAnEscapeOrASurrogatePair() {
    assertThat(GuestText.escape("abcd\u0007efgh", 7)).isEqualTo("abcd…");
    assertThat(GuestText.escape("abcdef\uD83D\uDE00gh", 7)).isEqualTo("abcdef…");
    assertThat(GuestText.escape("abcde\uD83D\uDE00gh", 7)).isEqualTo("abcde\uD83D\uDE00…");
    assertThat(GuestText.escape("a\nb", 4)).isEqualTo("a\\nb");
  }
}
