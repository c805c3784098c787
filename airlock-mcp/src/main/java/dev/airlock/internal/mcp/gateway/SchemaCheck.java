package dev.airlock.internal.mcp.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Checks a tool's arguments against the input schema the upstream published, before the call leaves the gateway: the
 * JSON Schema keywords tool schemas use ({@code type}, {@code properties}, {@code required},
 * {@code additionalProperties}, {@code items}, {@code enum}, {@code const}, string and number bounds, item counts,
 * {@code allOf}/{@code anyOf}/{@code oneOf}). Other keywords are not checked: {@code pattern} on purpose (an
 * upstream's regular expression could be made to backtrack for hours), {@code $ref} and formats because the upstream
 * validates again anyway: this check stops malformed calls early and names the fix for the model.
 *
 * <p>Bounded: the schema and the arguments are already depth-limited by the parser, and a check visits at most
 * {@link #MAX_STEPS} schema-value pairs, then refuses.
 */
final class SchemaCheck {
  static final int MAX_STEPS = 100_000;
  private static final int MAX_PROBLEMS = 10;

  private final List<String> problems = new ArrayList<>();
  private int steps;

  private SchemaCheck() {
  }

  /** The problems of {@code value} under {@code schema}, at most ten; empty when it conforms. */
  static List<String> problems(JsonNode schema, JsonNode value) {
    SchemaCheck check = new SchemaCheck();
    check.check(schema, value, "arguments");
    return check.problems;
  }

  private boolean check(JsonNode schema, JsonNode value, String path) {
    if (++steps > MAX_STEPS) {
      return problem(path, "is too large to validate (over " + MAX_STEPS + " steps)");
    }
    if (schema == null || !schema.isObject() || problems.size() >= MAX_PROBLEMS) {
      return schema == null || !schema.isBoolean() || schema.asBoolean() || problem(path, "is not allowed");
    }
    JsonNode type = schema.get("type");
    if (type != null && !typeMatches(type, value)) {
      return problem(path, "must be of type " + type + ", not " + kind(value));
    }
    boolean ok = true;
    JsonNode enumeration = schema.get("enum");
    if (enumeration != null && enumeration.isArray() && !contains(enumeration, value)) {
      ok = problem(path, "must be one of " + enumeration);
    }
    JsonNode constant = schema.get("const");
    if (constant != null && !constant.equals(value)) {
      ok = problem(path, "must be " + constant);
    }
    if (value.isTextual()) {
      int length = value.asText().codePointCount(0, value.asText().length());
      ok &= bound(schema, "minLength", length >= schema.path("minLength").asLong(0), path, "shorter than")
          && bound(schema, "maxLength", length <= schema.path("maxLength").asLong(Long.MAX_VALUE), path, "longer than");
    }
    if (value.isNumber()) {
      double n = value.asDouble();
      ok &= bound(schema, "minimum", n >= schema.path("minimum").asDouble(), path, "less than")
          && bound(schema, "maximum", n <= schema.path("maximum").asDouble(), path, "greater than")
          && bound(schema, "exclusiveMinimum", n > schema.path("exclusiveMinimum").asDouble(), path, "at most")
          && bound(schema, "exclusiveMaximum", n < schema.path("exclusiveMaximum").asDouble(), path, "at least");
    }
    if (value.isObject()) {
      ok &= checkObject(schema, value, path);
    }
    if (value.isArray()) {
      ok &= bound(schema, "minItems", value.size() >= schema.path("minItems").asLong(0), path, "fewer items than")
          && bound(schema, "maxItems", value.size() <= schema.path("maxItems").asLong(Long.MAX_VALUE), path,
          "more items than");
      JsonNode items = schema.get("items");
      if (items != null && items.isObject()) {
        for (int i = 0; i < value.size(); i++) {
          ok &= check(items, value.get(i), path + "[" + i + "]");
        }
      }
    }
    return ok & combinators(schema, value, path);
  }

  private boolean checkObject(JsonNode schema, JsonNode value, String path) {
    boolean ok = true;
    for (JsonNode required : schema.path("required")) {
      if (!value.has(required.asText())) {
        ok = problem(path + "." + required.asText(), "is required");
      }
    }
    JsonNode properties = schema.path("properties");
    JsonNode additional = schema.get("additionalProperties");
    for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      String fieldPath = path + "." + field.getKey();
      JsonNode property = properties.get(field.getKey());
      if (property != null) {
        ok &= check(property, field.getValue(), fieldPath);
      } else if (additional != null && additional.isBoolean() && !additional.asBoolean()) {
        ok = problem(fieldPath, "is not a parameter of this tool (it takes " + names(properties) + ")");
      } else if (additional != null && additional.isObject()) {
        ok &= check(additional, field.getValue(), fieldPath);
      }
    }
    return ok;
  }

  private boolean combinators(JsonNode schema, JsonNode value, String path) {
    boolean ok = true;
    for (JsonNode sub : schema.path("allOf")) {
      ok &= check(sub, value, path);
    }
    for (String keyword : List.of("anyOf", "oneOf")) {
      JsonNode alternatives = schema.get(keyword);
      if (alternatives == null || !alternatives.isArray() || alternatives.isEmpty()) {
        continue;
      }
      int matches = 0;
      for (JsonNode sub : alternatives) {
        SchemaCheck trial = new SchemaCheck();
        trial.steps = steps;
        if (trial.check(sub, value, path) && trial.problems.isEmpty()) {
          matches++;
        }
        steps = trial.steps;
      }
      if (matches == 0 || (keyword.equals("oneOf") && matches > 1)) {
        ok = problem(path, "must match " + (keyword.equals("oneOf") ? "exactly one" : "at least one")
            + " of the " + alternatives.size() + " alternatives of its schema");
      }
    }
    return ok;
  }

  private boolean bound(JsonNode schema, String keyword, boolean holds, String path, String relation) {
    return !schema.has(keyword) || holds || problem(path, "is " + relation + " " + keyword + " "
        + schema.get(keyword));
  }

  private boolean problem(String path, String what) {
    if (problems.size() < MAX_PROBLEMS) {
      problems.add(path + " " + what);
    }
    return false;
  }

  private static boolean typeMatches(JsonNode type, JsonNode value) {
    if (type.isArray()) {
      for (JsonNode t : type) {
        if (typeMatches(t, value)) {
          return true;
        }
      }
      return false;
    }
    return switch (type.asText()) {
      case "string" -> value.isTextual();
      case "integer" -> value.isIntegralNumber()
          || (value.isNumber() && value.asDouble() == Math.rint(value.asDouble()));
      case "number" -> value.isNumber();
      case "boolean" -> value.isBoolean();
      case "object" -> value.isObject();
      case "array" -> value.isArray();
      case "null" -> value.isNull();
      default -> true;
    };
  }

  private static boolean contains(JsonNode array, JsonNode value) {
    for (JsonNode candidate : array) {
      if (candidate.equals(value)) {
        return true;
      }
    }
    return false;
  }

  private static String kind(JsonNode value) {
    return value.isTextual() ? "string" : value.isIntegralNumber() ? "integer" : value.isNumber() ? "number"
        : value.isBoolean() ? "boolean" : value.isObject() ? "object" : value.isArray() ? "array" : "null";
  }

  private static List<String> names(JsonNode properties) {
    List<String> names = new ArrayList<>();
    properties.fieldNames().forEachRemaining(names::add);
    return names;
  }
}
