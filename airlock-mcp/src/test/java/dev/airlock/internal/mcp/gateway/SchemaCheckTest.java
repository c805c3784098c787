package dev.airlock.internal.mcp.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The JSON Schema subset the gateway checks arguments with, and its bound. */
class SchemaCheckTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static JsonNode json(String text) throws Exception {
    return JSON.readTree(text);
  }

  @Test
  void checksTheKeywordsToolSchemasUse() throws Exception {
    JsonNode schema = json("{\"type\":\"object\",\"required\":[\"mode\"],\"properties\":{"
        + "\"mode\":{\"enum\":[\"fast\",\"safe\"]},"
        + "\"count\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":10},"
        + "\"tags\":{\"type\":\"array\",\"maxItems\":2,\"items\":{\"type\":\"string\",\"minLength\":2}},"
        + "\"target\":{\"oneOf\":[{\"type\":\"string\"},{\"type\":\"integer\"}]},"
        + "\"ratio\":{\"type\":\"number\",\"exclusiveMaximum\":1}}}");
    assertThat(SchemaCheck.problems(schema, json("{\"mode\":\"fast\",\"count\":3,\"tags\":[\"ab\"],\"target\":7,"
        + "\"ratio\":0.5}"))).isEmpty();
    assertThat(SchemaCheck.problems(schema, json("{\"mode\":\"slow\",\"count\":11,\"tags\":[\"a\",\"bb\",\"cc\"],"
        + "\"target\":true,\"ratio\":1}"))).containsExactlyInAnyOrder(
        "arguments.mode must be one of [\"fast\",\"safe\"]",
        "arguments.count is greater than maximum 10",
        "arguments.tags is more items than maxItems 2",
        "arguments.tags[0] is shorter than minLength 2",
        "arguments.target must match exactly one of the 2 alternatives of its schema",
        "arguments.ratio is at least exclusiveMaximum 1");
    assertThat(SchemaCheck.problems(schema, json("{\"count\":2.5}"))).contains("arguments.mode is required",
        "arguments.count must be of type \"integer\", not number");
  }

  @Test
  void aHugeArgumentCostsABoundedNumberOfSteps() throws Exception {
    JsonNode schema = json("{\"type\":\"array\",\"items\":{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"array\","
        + "\"items\":{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"integer\"}]}}]}}");
    StringBuilder value = new StringBuilder("[");
    for (int i = 0; i < 200_000; i++) {
      value.append(i == 0 ? "" : ",").append("[1,2,3]");
    }
    JsonNode big = json(value.append("]").toString());
    long start = System.nanoTime();
    assertThat(SchemaCheck.problems(schema, big)).anyMatch(p -> p.contains("too large to validate"));
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
  }
}
