package dev.airlock.internal.guard;

import java.lang.reflect.Array;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.temporal.TemporalAccessor;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The text of call arguments (for the approver's view, for the audit record's hash), built within its bound rather
 * than printed and then cut: {@code String.valueOf} of a 1 MB {@code BitSet} allocated 1.3 GB on the caller's thread
 * (every set bit's index), and the 10 MB a payload may hold would exhaust the heap. Collections, maps, arrays,
 * optionals and records are walked element by element; a JDK type whose text may outgrow its data is named, not
 * printed; the host's own classes print themselves (their {@code toString} is the application's code).
 */
public final class BoundedText {
  private static final int MAX_DEPTH = 32;

  /** Thrown when the text reached its bound. */
  private static final class Full extends RuntimeException {
    Full() {
      super(null, null, false, false);
    }
  }

  private final StringBuilder out = new StringBuilder();
  private final int max;

  private BoundedText(int max) {
    this.max = max;
  }

  /**
   * The text of {@code value}, at most {@code max} characters and a note of the cut. A text inside a collection, map,
   * array, optional or record is written in quotes, its quotes and backslashes escaped; control and format characters
   * (line breaks, right-to-left overrides, zero-width characters) are written as a backslash, {@code u} and four hex
   * digits everywhere. Printed plain, a text the model wrote could read as more of its value's structure: a payment's
   * memo {@code "rent, account=ALICE-1, cents=100]"} made the approver's view of a payment to another account open
   * with {@code Payment[memo=rent, account=ALICE-1, cents=100]}, {@code ["a, b"]} read as {@code ["a", "b"]}, and
   * arguments that printed alike had the same audit hash (attack review 26).
   */
  public static String of(Object value, int max) {
    BoundedText text = new BoundedText(max);
    try {
      text.append(value, 0);
    } catch (Full full) {
      return text.out + "…[truncated]";
    }
    return text.out.toString();
  }

  private void append(Object value, int depth) {
    if (depth > MAX_DEPTH) {
      put("…");
    } else if (value instanceof CharSequence || value instanceof Character) {
      putText(String.valueOf(value), depth > 0);
    } else if (value instanceof char[] chars) {
      putText(new String(chars), depth > 0);
    } else if (value instanceof byte[] bytes) {
      putText(new String(bytes, StandardCharsets.ISO_8859_1), depth > 0);
    } else if (value == null || value instanceof Number || value instanceof Boolean || value instanceof Enum<?>
        || value instanceof TemporalAccessor || value instanceof Duration || value instanceof UUID) {
      put(String.valueOf(value));
    } else if (value.getClass().isArray()) {
      put("[");
      for (int i = 0; i < Array.getLength(value); i++) {
        put(i == 0 ? "" : ", ");
        append(Array.get(value, i), depth + 1);
      }
      put("]");
    } else if (value instanceof Map<?, ?> map) {
      put("{");
      String separator = "";
      for (Map.Entry<?, ?> entry : map.entrySet()) {
        put(separator);
        append(entry.getKey(), depth + 1);
        put("=");
        append(entry.getValue(), depth + 1);
        separator = ", ";
      }
      put("}");
    } else if (value instanceof Iterable<?> iterable) {
      put("[");
      String separator = "";
      for (Object element : iterable) {
        put(separator);
        append(element, depth + 1);
        separator = ", ";
      }
      put("]");
    } else if (value instanceof Optional<?> optional) {
      put("Optional[");
      append(optional.orElse(null), depth + 1);
      put("]");
    } else if (value instanceof Record record) {
      appendRecord(record, depth);
    } else if (value.getClass().getModule().isNamed() && value.getClass().getModule().getName().startsWith("java.")
        && !(value instanceof java.net.URI || value instanceof java.nio.file.Path || value instanceof java.io.File
        || value instanceof java.util.Locale)) {
      put("(a " + value.getClass().getSimpleName() + ")");
    } else {
      put(String.valueOf(value));
    }
  }

  private void appendRecord(Record record, int depth) {
    put(record.getClass().getSimpleName() + "[");
    String separator = "";
    for (RecordComponent component : record.getClass().getRecordComponents()) {
      put(separator + component.getName() + "=");
      try {
        component.getAccessor().setAccessible(true);
        append(component.getAccessor().invoke(record), depth + 1);
      } catch (ReflectiveOperationException | RuntimeException e) {
        if (e instanceof Full full) {
          throw full;
        }
        put("?");
      }
      separator = ", ";
    }
    put("]");
  }

  private void putText(String text, boolean quoted) {
    if (quoted) {
      put("\"");
    }
    // Escaped a piece at a time, so a long text is not copied whole before the bound cuts it.
    for (int start = 0; start < text.length(); start += 4096) {
      put(escaped(text, start, Math.min(text.length(), start + 4096), quoted));
    }
    if (quoted) {
      put("\"");
    }
  }

  private static String escaped(String text, int start, int end, boolean quoted) {
    StringBuilder piece = new StringBuilder(end - start);
    for (int i = start; i < end; i++) {
      char c = text.charAt(i);
      if (quoted && (c == '"' || c == '\\')) {
        piece.append('\\').append(c);
      } else if (Character.isISOControl(c) || hidden(c)) {
        piece.append("\\u").append(HexFormat.of().toHexDigits(c));
      } else {
        piece.append(c);
      }
    }
    return piece.toString();
  }

  /** Characters that change how the text around them shows, or show as nothing. */
  private static boolean hidden(char c) {
    int type = Character.getType(c);
    return type == Character.FORMAT || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR;
  }

  private void put(String text) {
    int room = max - out.length();
    if (text.length() > room) {
      out.append(text, 0, Math.max(0, room));
      throw new Full();
    }
    out.append(text);
  }
}
