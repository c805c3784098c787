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
   * The first {@code max} characters of {@code text} as {@link #escape(String)} makes it, and an ellipsis when there
   * was more. Costs about {@code max}, whatever the text's length: escaping all of a guest's text and clipping it
   * afterwards cost the host up to ten times the text's length to keep a few kilobytes of it.
   */
  public static String escape(String text, int max) {
    int first = firstUnsafe(text, Math.min(text.length(), max));
    if (first < 0 || first >= max) {
      return text.length() <= max ? text : clip(text, max);
    }
    StringBuilder out = new StringBuilder(Math.min(text.length(), max) + 16).append(text, 0, first);
    for (int i = first; i < text.length(); ) {
      if (out.length() >= max) {
        return clip(out.toString(), max);
      }
      int cp = text.codePointAt(i);
      i += Character.charCount(cp);
      append(out, cp);
    }
    return out.length() <= max ? out.toString() : clip(out.toString(), max);
  }

  /** The first {@code max} characters and an ellipsis, never half of a surrogate pair. */
  private static String clip(String text, int max) {
    int end = max > 0 && Character.isHighSurrogate(text.charAt(max - 1)) ? max - 1 : max;
    return text.substring(0, end) + "…";
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
    return firstUnsafe(text, text.length());
  }

  /** The index of the first character to escape before {@code end}, or -1. */
  private static int firstUnsafe(String text, int end) {
    for (int i = 0; i < end; ) {
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
