package dev.airlock.internal.mcp.serve;

import java.lang.annotation.Annotation;
import java.lang.reflect.AnnotatedArrayType;
import java.lang.reflect.AnnotatedParameterizedType;
import java.lang.reflect.AnnotatedType;
import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * The JSON Schema of a tool's arguments, derived from its method: one property per parameter (by its compiled name),
 * the parameter's type (primitives, strings, enums, arrays and collections, maps with string keys, records, java.time
 * values, {@code Optional}), its description where LangChain4j's {@code @P} or Spring AI's {@code @ToolParam} gives
 * one, and the Bean Validation constraints that have a JSON Schema keyword. Every parameter is required unless it is
 * an {@code Optional}, annotated {@code @Nullable}, or marked not required by {@code @P}/{@code @ToolParam}. The
 * schema tells a model what to send; the guard's Bean Validation still checks the converted arguments on the host.
 */
final class InputSchema {
  /** Records nested deeper than this are described as plain objects (the arguments' depth is bounded anyway). */
  private static final int MAX_TYPE_DEPTH = 8;

  private InputSchema() {
  }

  /**
   * The schema of {@code method}'s arguments.
   *
   * @throws IllegalArgumentException when the parameter names were not compiled in (javac without -parameters)
   */
  static Map<String, Object> of(Method method) {
    Map<String, Object> properties = new LinkedHashMap<>();
    List<String> required = new ArrayList<>();
    for (Parameter parameter : method.getParameters()) {
      if (!parameter.isNamePresent()) {
        throw new IllegalArgumentException("Airlock MCP: " + method + " has no parameter names in its class file, so "
            + "its tool arguments cannot be named. Compile with -parameters (maven-compiler-plugin "
            + "<parameters>true</parameters>, Gradle options.compilerArgs << '-parameters')");
      }
      List<Annotation> annotations = annotations(parameter.getAnnotations(), parameter.getAnnotatedType());
      Map<String, Object> schema = schema(parameter.getAnnotatedType(), annotations, 0, new HashSet<>());
      ToolText.parameterDescription(parameter).ifPresent(d -> schema.put("description", d));
      properties.put(parameter.getName(), schema);
      if (isRequired(parameter.getType(), annotations) && ToolText.parameterRequired(parameter)) {
        required.add(parameter.getName());
      }
    }
    return object(properties, required);
  }

  private static Map<String, Object> object(Map<String, Object> properties, List<String> required) {
    Map<String, Object> schema = new LinkedHashMap<>();
    schema.put("type", "object");
    schema.put("properties", properties);
    if (!required.isEmpty()) {
      schema.put("required", required);
    }
    schema.put("additionalProperties", false);
    return schema;
  }

  private static boolean isRequired(Class<?> type, List<Annotation> annotations) {
    return type.isPrimitive() || (type != Optional.class && !has(annotations, "Nullable"));
  }

  private static Map<String, Object> schema(AnnotatedType annotated, List<Annotation> constraints, int depth,
      Set<Class<?>> visiting) {
    Type type = annotated.getType();
    Class<?> raw = raw(type);
    Map<String, Object> schema = new LinkedHashMap<>();
    if (raw == String.class || raw == CharSequence.class) {
      schema.put("type", "string");
    } else if (raw == char.class || raw == Character.class) {
      schema.put("type", "string");
      schema.put("minLength", 1);
      schema.put("maxLength", 1);
    } else if (raw == boolean.class || raw == Boolean.class) {
      schema.put("type", "boolean");
    } else if (raw == int.class || raw == Integer.class) {
      integer(schema, Integer.MIN_VALUE, Integer.MAX_VALUE);
    } else if (raw == long.class || raw == Long.class) {
      integer(schema, Long.MIN_VALUE, Long.MAX_VALUE);
    } else if (raw == short.class || raw == Short.class) {
      integer(schema, Short.MIN_VALUE, Short.MAX_VALUE);
    } else if (raw == byte.class || raw == Byte.class) {
      integer(schema, Byte.MIN_VALUE, Byte.MAX_VALUE);
    } else if (raw == BigInteger.class) {
      schema.put("type", "integer");
    } else if (raw == float.class || raw == Float.class || raw == double.class || raw == Double.class
        || raw == BigDecimal.class) {
      schema.put("type", "number");
    } else if (raw.isEnum()) {
      schema.put("type", "string");
      schema.put("enum", Arrays.stream(raw.getEnumConstants()).map(c -> ((Enum<?>) c).name()).toList());
    } else if (raw == UUID.class) {
      format(schema, "uuid");
    } else if (raw == LocalDate.class) {
      format(schema, "date");
    } else if (raw == LocalTime.class) {
      format(schema, "time");
    } else if (raw == Instant.class || raw == OffsetDateTime.class || raw == ZonedDateTime.class
        || raw == LocalDateTime.class) {
      format(schema, "date-time");
    } else if (raw == Duration.class) {
      format(schema, "duration");
    } else if (raw == Optional.class && argument(annotated, 0) != null) {
      return schema(argument(annotated, 0), merged(constraints, argument(annotated, 0)), depth, visiting);
    } else if (raw.isArray() || Collection.class.isAssignableFrom(raw)) {
      schema.put("type", "array");
      AnnotatedType item = raw.isArray() ? element(annotated) : argument(annotated, 0);
      if (item != null) {
        schema.put("items", schema(item, annotations(new Annotation[0], item), depth + 1, visiting));
      }
      if (Set.class.isAssignableFrom(raw)) {
        schema.put("uniqueItems", true);
      }
    } else if (Map.class.isAssignableFrom(raw)) {
      schema.put("type", "object");
      AnnotatedType value = argument(annotated, 1);
      if (value != null) {
        schema.put("additionalProperties", schema(value, annotations(new Annotation[0], value), depth + 1, visiting));
      }
    } else if (raw.isRecord() && depth < MAX_TYPE_DEPTH && visiting.add(raw)) {
      Map<String, Object> properties = new LinkedHashMap<>();
      List<String> required = new ArrayList<>();
      for (RecordComponent component : raw.getRecordComponents()) {
        List<Annotation> own = annotations(component.getAnnotations(), component.getAnnotatedType());
        properties.put(component.getName(), schema(component.getAnnotatedType(), own, depth + 1, visiting));
        if (isRequired(component.getType(), own)) {
          required.add(component.getName());
        }
      }
      visiting.remove(raw);
      schema.putAll(object(properties, required));
    } else if (raw != Object.class) {
      schema.put("type", "object");
    }
    Constraints.apply(schema, constraints);
    return schema;
  }

  private static void integer(Map<String, Object> schema, long min, long max) {
    schema.put("type", "integer");
    schema.put("minimum", min);
    schema.put("maximum", max);
  }

  private static void format(Map<String, Object> schema, String format) {
    schema.put("type", "string");
    schema.put("format", format);
  }

  /** The declaration's annotations and the type's own (type-use), without repeating one that is both. */
  static List<Annotation> annotations(Annotation[] declared, AnnotatedType type) {
    List<Annotation> all = new ArrayList<>(Arrays.asList(declared));
    for (Annotation typeUse : type.getAnnotations()) {
      if (!all.contains(typeUse)) {
        all.add(typeUse);
      }
    }
    return all;
  }

  private static List<Annotation> merged(List<Annotation> outer, AnnotatedType inner) {
    return annotations(outer.toArray(Annotation[]::new), inner);
  }

  static boolean has(List<Annotation> annotations, String simpleName) {
    return annotations.stream().anyMatch(a -> a.annotationType().getSimpleName().equals(simpleName));
  }

  private static Class<?> raw(Type type) {
    if (type instanceof Class<?> c) {
      return c;
    }
    if (type instanceof ParameterizedType p) {
      return (Class<?>) p.getRawType();
    }
    if (type instanceof java.lang.reflect.GenericArrayType g) {
      return java.lang.reflect.Array.newInstance(raw(g.getGenericComponentType()), 0).getClass();
    }
    return Object.class;
  }

  private static AnnotatedType argument(AnnotatedType type, int index) {
    if (type instanceof AnnotatedParameterizedType p && p.getAnnotatedActualTypeArguments().length > index) {
      return p.getAnnotatedActualTypeArguments()[index];
    }
    return null;
  }

  private static AnnotatedType element(AnnotatedType type) {
    if (type instanceof AnnotatedArrayType array) {
      return array.getAnnotatedGenericComponentType();
    }
    return null;
  }
}
