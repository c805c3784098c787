package dev.airlock.internal.mcp.serve;

import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

/**
 * Bean Validation constraints (jakarta or javax) as JSON Schema keywords, read by name so that no validation API is
 * needed on the classpath. Only constraints with a faithful keyword are translated; the others (custom constraints,
 * {@code @Future}, ...) are still checked by the guard's validation on the host.
 */
final class Constraints {
  private Constraints() {
  }

  static void apply(Map<String, Object> schema, List<Annotation> annotations) {
    Object type = schema.get("type");
    for (Annotation annotation : annotations) {
      String name = annotation.annotationType().getName();
      if (!name.startsWith("jakarta.validation.constraints.") && !name.startsWith("javax.validation.constraints.")) {
        continue;
      }
      switch (annotation.annotationType().getSimpleName()) {
        case "NotBlank" -> {
          schema.put("minLength", 1);
          schema.put("pattern", "\\S");
        }
        case "NotEmpty" -> size(schema, type, 1, Integer.MAX_VALUE);
        case "Size" -> size(schema, type, (Integer) value(annotation, "min"), (Integer) value(annotation, "max"));
        case "Min" -> schema.put("minimum", value(annotation, "value"));
        case "Max" -> schema.put("maximum", value(annotation, "value"));
        case "DecimalMin" -> schema.put(Boolean.TRUE.equals(value(annotation, "inclusive")) ? "minimum"
            : "exclusiveMinimum", new BigDecimal((String) value(annotation, "value")));
        case "DecimalMax" -> schema.put(Boolean.TRUE.equals(value(annotation, "inclusive")) ? "maximum"
            : "exclusiveMaximum", new BigDecimal((String) value(annotation, "value")));
        case "Positive" -> schema.put("exclusiveMinimum", 0);
        case "PositiveOrZero" -> schema.put("minimum", 0);
        case "Negative" -> schema.put("exclusiveMaximum", 0);
        case "NegativeOrZero" -> schema.put("maximum", 0);
        case "Pattern" -> schema.put("pattern", value(annotation, "regexp"));
        case "Email" -> schema.put("format", "email");
        default -> {
          // no JSON Schema keyword says the same thing
        }
      }
    }
  }

  private static void size(Map<String, Object> schema, Object type, int min, int max) {
    String unit = "array".equals(type) ? "Items" : "object".equals(type) ? "Properties" : "Length";
    if (min > 0) {
      schema.put("min" + unit, min);
    }
    if (max < Integer.MAX_VALUE) {
      schema.put("max" + unit, max);
    }
  }

  private static Object value(Annotation annotation, String attribute) {
    try {
      Method method = annotation.annotationType().getMethod(attribute);
      return method.invoke(annotation);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot read " + attribute + " of " + annotation, e);
    }
  }
}
