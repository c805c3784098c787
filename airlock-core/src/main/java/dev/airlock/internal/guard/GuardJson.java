package dev.airlock.internal.guard;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The guard's JSON (audit records, blocked-call messages for a model), always written by Jackson: a value holding
 * quotes, backslashes, newlines or control characters stays inside its string and cannot start another record.
 */
public final class GuardJson {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  static {
    MAPPER.getFactory().setCharacterEscapes(new LineSafeEscapes());
  }

  /**
   * Jackson's escapes plus the characters a log viewer or terminal takes for a line break or a reordering, which
   * Jackson writes raw: NEL and the other C1 controls, U+2028/9, and the bidi controls. A record carries names of an
   * MCP upstream's choosing (tool names), and one such character in them moved or hid the rest of the host's line.
   */
  static final class LineSafeEscapes extends CharacterEscapes {
    private static final int[] ASCII = standardAsciiEscapesForJSON();

    @Override
    public int[] getEscapeCodesForAscii() {
      return ASCII;
    }

    @Override
    public SerializableString getEscapeSequence(int ch) {
      boolean unsafe = ch >= 0x80 && ch <= 0x9F || ch == 0x2028 || ch == 0x2029 || ch == 0x200E || ch == 0x200F
          || ch >= 0x202A && ch <= 0x202E || ch >= 0x2066 && ch <= 0x2069 || ch == 0x061C;
      return unsafe ? new SerializedString(String.format("\\u%04X", ch)) : null;
    }
  }

  private GuardJson() {
  }

  public static ObjectNode object() {
    return MAPPER.createObjectNode();
  }

  /** One line: CR, LF, every other control character, U+2028/9 and the bidi controls are escaped. */
  public static String write(ObjectNode json) {
    try {
      return MAPPER.writeValueAsString(json);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a JSON tree of strings and numbers always serializes", e);
    }
  }
}
