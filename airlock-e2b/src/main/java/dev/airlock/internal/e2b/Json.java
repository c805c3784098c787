package dev.airlock.internal.e2b;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** Jackson set up for E2B: absent fields are defaults (proto3 JSON omits them), unknown fields are ignored. */
final class Json {
  static final ObjectMapper MAPPER = new ObjectMapper()
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
      .setSerializationInclusion(JsonInclude.Include.NON_NULL);

  private Json() {
  }

  static String text(JsonNode node, String field, String otherwise) {
    JsonNode value = node == null ? null : node.get(field);
    return value == null || value.isNull() ? otherwise : value.asText();
  }
}
