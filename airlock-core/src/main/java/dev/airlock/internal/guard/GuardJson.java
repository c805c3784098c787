package dev.airlock.internal.guard;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The guard's JSON (audit records, blocked-call messages for a model), always written by Jackson: a value holding
 * quotes, backslashes, newlines or control characters stays inside its string and cannot start another record.
 */
public final class GuardJson {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private GuardJson() {
  }

  public static ObjectNode object() {
    return MAPPER.createObjectNode();
  }

  /** One line: Jackson escapes CR, LF and every other control character. */
  public static String write(ObjectNode json) {
    try {
      return MAPPER.writeValueAsString(json);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a JSON tree of strings and numbers always serializes", e);
    }
  }
}
