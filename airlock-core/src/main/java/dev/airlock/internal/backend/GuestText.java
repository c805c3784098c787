package dev.airlock.internal.backend;

/**
 * Text a worker sent, made safe to put into one host log line. A guest chooses every character, so anything that
 * could end the line or change how it reads is written as an escape: CR, LF and every other control character, the
 * Unicode line and paragraph separators, format characters (bidi overrides and isolates, zero-width joiners), lone
 * surrogates and unassigned code points. The backslash is escaped too, so an escape in the output is always ours.
 */
public final class GuestText {
  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  private GuestText() {
  }

  /** {@code text} as one inert log line; the same string when nothing needed escaping (the common case). */
  public static String escape(String text) {
    int first = firstUnsafe(text);
    if (first < 0) {
      return text;
    }
    StringBuilder out = new StringBuilder(text.length() + 16).append(text, 0, first);
    for (int i = first; i < text.length(); ) {
      int cp = text.codePointAt(i);
      i += Character.charCount(cp);
      append(out, cp);
    }
    return out.toString();
  }

  /**
   * {@code text} as {@link #escape(String)} makes it, clipped to at most {@code max} characters and an ellipsis when
   * there was more: what the host keeps or quotes of a guest's text. It stops at the bound, so it costs about
   * {@code max} whatever the text's length (escaping all of a guest's text and clipping it afterwards cost the host up
   * to ten times the text's length to keep a few kilobytes of it), and a cut never splits an escape or a surrogate
   * pair.
   */
  public static String escape(String text, int max) {
    if (text.length() <= max && firstUnsafe(text) < 0) {
      return text;
    }
    StringBuilder out = new StringBuilder(Math.min(text.length(), max) + 1);
    for (int i = 0; i < text.length(); ) {
      int cp = text.codePointAt(i);
      i += Character.charCount(cp);
      int mark = out.length();
      append(out, cp);
      if (out.length() > max) {
        return out.delete(mark, out.length()).append('…').toString();
      }
    }
    return out.toString();
  }

  private static void append(StringBuilder out, int cp) {
    if (!unsafe(cp)) {
      out.appendCodePoint(cp);
    } else if (cp == '\n') {
      out.append("\\n");
    } else if (cp == '\r') {
      out.append("\\r");
    } else if (cp == '\t') {
      out.append("\\t");
    } else if (cp == '\\') {
      out.append("\\\\");
    } else if (cp > 0xFFFF) {
      hex(out.append("\\U"), cp, 8);
    } else {
      hex(out.append("\\u"), cp, 4);
    }
  }

  /**
   * {@code digits} upper-case hex digits of {@code value}. Not {@code String.format}: a guest chooses how many
   * characters need it, and a million format calls cost the host a second or more for a megabyte of its output.
   */
  private static void hex(StringBuilder out, int value, int digits) {
    for (int shift = 4 * (digits - 1); shift >= 0; shift -= 4) {
      out.append(HEX[(value >>> shift) & 0xF]);
    }
  }

  private static int firstUnsafe(String text) {
    for (int i = 0; i < text.length(); ) {
      int cp = text.codePointAt(i);
      if (unsafe(cp)) {
        return i;
      }
      i += Character.charCount(cp);
    }
    return -1;
  }

  private static boolean unsafe(int cp) {
    if (cp >= 0x20 && cp < 0x7F) {
      return cp == '\\';
    }
    switch (Character.getType(cp)) {
      case Character.CONTROL, Character.FORMAT, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR,
          Character.SURROGATE, Character.UNASSIGNED, Character.PRIVATE_USE:
        return true;
      default:
        return false;
    }
  }
}
