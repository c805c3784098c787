package dev.airlock.internal.approval;

import dev.airlock.AirlockBlockedException;
import dev.airlock.AirlockBlockedException.Reason;
import java.lang.reflect.Array;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Checks an approver's edited arguments against the parameters' declared types, type arguments included: the
 * erasure alone lets a {@code List<String>} parameter receive a list of numbers or maps (what a JSON edit form makes),
 * and the tool then runs with values its code and its validation never expected. Walks collections, maps, arrays and
 * optionals, to {@link #MAX_DEPTH} levels; a type variable or wildcard is checked against its bound.
 */
final class EditedTypes {
  static final int MAX_DEPTH = 32;

  private EditedTypes() {
  }

  /** Throws a {@code VALIDATION} block naming each argument that does not fit its declared type. */
  static void check(Method method, Object[] arguments) {
    Type[] types = method.getGenericParameterTypes();
    List<String> wrong = new ArrayList<>();
    for (int i = 0; i < types.length && i < arguments.length; i++) {
      String problem = problem(types[i], arguments[i], 0);
      if (problem != null) {
        wrong.add("argument " + i + " must be a " + shortName(types[i]) + ": " + problem);
      }
    }
    if (!wrong.isEmpty()) {
      throw new AirlockBlockedException(method.getName(), Reason.VALIDATION, "approval: edited arguments",
          "edited arguments do not fit the parameters: " + wrong, wrong);
    }
  }

  /** Why {@code value} does not fit {@code type}, or null when it does. */
  private static String problem(Type type, Object value, int depth) {
    if (value == null) {
      return null;
    }
    if (depth > MAX_DEPTH) {
      return "nested deeper than " + MAX_DEPTH + " levels";
    }
    Class<?> raw = raw(type);
    if (!wrapped(raw).isInstance(value)) {
      return "found a " + value.getClass().getSimpleName() + " where a " + shortName(type) + " goes";
    }
    if (type instanceof ParameterizedType parameterized) {
      Type[] arguments = parameterized.getActualTypeArguments();
      if (value instanceof Iterable<?> iterable && arguments.length == 1) {
        for (Object element : iterable) {
          String problem = problem(arguments[0], element, depth + 1);
          if (problem != null) {
            return problem;
          }
        }
      } else if (value instanceof Map<?, ?> map && arguments.length == 2) {
        for (Map.Entry<?, ?> entry : map.entrySet()) {
          String problem = problem(arguments[0], entry.getKey(), depth + 1);
          if (problem == null) {
            problem = problem(arguments[1], entry.getValue(), depth + 1);
          }
          if (problem != null) {
            return problem;
          }
        }
      } else if (value instanceof Optional<?> optional && arguments.length == 1 && optional.isPresent()) {
        return problem(arguments[0], optional.get(), depth + 1);
      }
    } else if (value.getClass().isArray() && !value.getClass().getComponentType().isPrimitive()) {
      Type component = type instanceof GenericArrayType array ? array.getGenericComponentType()
          : raw.isArray() ? raw.getComponentType() : Object.class;
      for (int i = 0; i < Array.getLength(value); i++) {
        String problem = problem(component, Array.get(value, i), depth + 1);
        if (problem != null) {
          return problem;
        }
      }
    }
    return null;
  }

  private static Class<?> raw(Type type) {
    if (type instanceof Class<?> c) {
      return c;
    }
    if (type instanceof ParameterizedType parameterized) {
      return raw(parameterized.getRawType());
    }
    if (type instanceof GenericArrayType array) {
      return Array.newInstance(raw(array.getGenericComponentType()), 0).getClass();
    }
    if (type instanceof WildcardType wildcard) {
      return raw(wildcard.getUpperBounds()[0]);
    }
    if (type instanceof TypeVariable<?> variable) {
      return raw(variable.getBounds()[0]);
    }
    return Object.class;
  }

  private static Class<?> wrapped(Class<?> type) {
    return type.isPrimitive() ? java.lang.invoke.MethodType.methodType(type).wrap().returnType() : type;
  }

  /** {@code List<String>} rather than {@code java.util.List<java.lang.String>}. */
  static String shortName(Type type) {
    return type.getTypeName().replaceAll("\\b[a-z][a-z0-9_]*\\.", "").replace('$', '.');
  }
}
