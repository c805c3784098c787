package dev.airlock.internal.codec;

import java.lang.invoke.MethodType;
import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Whether a decoded result is of the type its method declares, type arguments included. The allowlist says which
 * classes a result may name; this says where: code in a worker cannot return a {@code String} from a method declared
 * to return an {@code int}, nor (without an unchecked cast) put an {@code Integer} in the {@code List<String>} it
 * returns, so such a result is a worker's lie. Accepted, it would surface as a {@code ClassCastException} in the
 * caller's code, far from the call, or never: a {@code List<String>} holding a {@code Class}.
 *
 * <p>The walk visits each decoded value once (a result is a tree), through the declared type: the elements of a
 * collection, the keys and values of a map, an optional's value, an array's elements and the fields of a class that
 * is not the JDK's, each against the type its declaration gives it once type variables are bound. A type variable
 * that nothing binds is checked against its bounds.
 */
public final class ResultTypes {
  private ResultTypes() {
  }

  /** A value and the type it must have, with the type variables bound where it was found. */
  private record Expected(Object value, Type type, Map<TypeVariable<?>, Type> bound, String path) {
  }

  /**
   * Where {@code result} does not fit {@code declared} (a method's generic return type): a description naming the
   * path to the value, what it is and what was declared, or empty when it fits.
   */
  public static Optional<String> misfit(Object result, Type declared) {
    Deque<Expected> todo = new ArrayDeque<>();
    todo.push(new Expected(result, declared, Map.of(), "the result"));
    while (!todo.isEmpty()) {
      Expected next = todo.pop();
      Optional<String> wrong = visit(next, todo);
      if (wrong.isPresent()) {
        return wrong;
      }
    }
    return Optional.empty();
  }

  private static Optional<String> visit(Expected e, Deque<Expected> todo) {
    Type type = resolve(e.type, e.bound);
    Class<?> raw = raw(type);
    Object value = e.value;
    if (value == null) {
      return raw.isPrimitive() && raw != void.class ? Optional.of(e.path + " is null, but its declared type is "
          + raw.getName()) : Optional.empty();
    }
    Class<?> boxed = raw.isPrimitive() ? MethodType.methodType(raw).wrap().returnType() : raw;
    if (!boxed.isInstance(value)) {
      return Optional.of(e.path + " is a " + value.getClass().getName() + ", but its declared type is "
          + type.getTypeName());
    }
    Map<TypeVariable<?>, Type> bound = bindings(type, e.bound);
    if (value instanceof Collection<?> collection) {
      Type element = argument(type, bound, Collection.class, 0);
      int i = 0;
      for (Object item : collection) {
        todo.push(new Expected(item, element, bound, e.path + "[" + i++ + "]"));
      }
    } else if (value instanceof Map<?, ?> map) {
      Type keyType = argument(type, bound, Map.class, 0);
      Type valueType = argument(type, bound, Map.class, 1);
      int i = 0;
      for (Map.Entry<?, ?> entry : map.entrySet()) {
        // Entries by position: a key's toString is the worker's text, and may be anything.
        todo.push(new Expected(entry.getKey(), keyType, bound, e.path + "'s key " + i));
        todo.push(new Expected(entry.getValue(), valueType, bound, e.path + "'s value " + i++));
      }
    } else if (value instanceof Optional<?> optional) {
      if (optional.isPresent()) {
        todo.push(new Expected(optional.get(), argument(type, bound, Optional.class, 0), bound,
            e.path + ".get()"));
      }
    } else if (value.getClass().isArray() && !value.getClass().getComponentType().isPrimitive()) {
      Type component = type instanceof GenericArrayType g ? g.getGenericComponentType()
          : raw.isArray() ? raw.getComponentType() : Object.class;
      for (int i = 0; i < Array.getLength(value); i++) {
        todo.push(new Expected(Array.get(value, i), component, bound, e.path + "[" + i + "]"));
      }
    } else if (!ClassAllowlist.isJdk(value.getClass())) {
      fields(e, raw, bound, todo);
    }
    return Optional.empty();
  }

  /**
   * The fields of an application object, each against its generic type. Type variables of the declared class and its
   * superclasses are bound by the declared type; those of a subclass the worker chose are not, and stay at their
   * bounds.
   */
  private static void fields(Expected e, Class<?> declaredRaw, Map<TypeVariable<?>, Type> declaredBound,
      Deque<Expected> todo) {
    Map<TypeVariable<?>, Type> bound = new HashMap<>();
    boolean reachedDeclared = false;
    for (Class<?> k = e.value.getClass(); k != null && !ClassAllowlist.isJdk(k); k = k.getSuperclass()) {
      if (k == declaredRaw) {
        reachedDeclared = true;
        bound.putAll(declaredBound);
      }
      try {
        for (Field f : k.getDeclaredFields()) {
          if (Modifier.isStatic(f.getModifiers()) || Modifier.isTransient(f.getModifiers())
              || f.getType().isPrimitive()) {
            continue;
          }
          f.setAccessible(true);
          todo.push(new Expected(f.get(e.value), f.getGenericType(), reachedDeclared ? Map.copyOf(bound) : Map.of(),
              e.path + "." + f.getName()));
        }
        if (reachedDeclared) {
          bound = bindings(k.getGenericSuperclass(), bound);
        }
      } catch (ReflectiveOperationException | RuntimeException | LinkageError e2) {
        // A field this host cannot read or type (a module that is not open) was not checked by the decoder either.
        return;
      }
    }
  }

  /** The type variables of {@code type}'s class bound to its arguments, themselves resolved in {@code outer}. */
  private static Map<TypeVariable<?>, Type> bindings(Type type, Map<TypeVariable<?>, Type> outer) {
    if (!(type instanceof ParameterizedType p) || !(p.getRawType() instanceof Class<?> raw)) {
      return Map.of();
    }
    Map<TypeVariable<?>, Type> bound = new HashMap<>(outer);
    TypeVariable<?>[] variables = raw.getTypeParameters();
    Type[] arguments = p.getActualTypeArguments();
    for (int i = 0; i < variables.length && i < arguments.length; i++) {
      bound.put(variables[i], resolve(arguments[i], outer));
    }
    return bound;
  }

  /**
   * The {@code index}th type argument {@code type} gives {@code target} (a supertype of its class), found through the
   * generic superclasses and interfaces; {@code Object} when the declaration does not say.
   */
  private static Type argument(Type type, Map<TypeVariable<?>, Type> bound, Class<?> target, int index) {
    Deque<Type> todo = new ArrayDeque<>();
    Deque<Map<TypeVariable<?>, Type>> bindings = new ArrayDeque<>();
    todo.push(type);
    bindings.push(bound);
    while (!todo.isEmpty()) {
      Type t = todo.pop();
      Map<TypeVariable<?>, Type> b = bindings.pop();
      Class<?> raw = raw(t);
      Map<TypeVariable<?>, Type> here = bindings(t, b);
      if (raw == target) {
        return resolve(raw.getTypeParameters()[index], here);
      }
      if (!target.isAssignableFrom(raw)) {
        continue;
      }
      for (Type parent : raw.getGenericInterfaces()) {
        todo.push(parent);
        bindings.push(here);
      }
      if (raw.getGenericSuperclass() != null) {
        todo.push(raw.getGenericSuperclass());
        bindings.push(here);
      }
    }
    return Object.class;
  }

  /** {@code type} with bound variables replaced; an unbound variable or a wildcard by its (first) upper bound. */
  private static Type resolve(Type type, Map<TypeVariable<?>, Type> bound) {
    Type t = type;
    for (int guard = 0; guard < 32; guard++) {
      if (t instanceof TypeVariable<?> v) {
        Type b = bound.get(v);
        t = b != null && b != v ? b : v.getBounds()[0];
      } else if (t instanceof WildcardType w) {
        t = w.getUpperBounds()[0];
      } else {
        return t;
      }
    }
    return Object.class;
  }

  private static Class<?> raw(Type type) {
    if (type instanceof Class<?> c) {
      return c;
    }
    if (type instanceof ParameterizedType p && p.getRawType() instanceof Class<?> c) {
      return c;
    }
    if (type instanceof GenericArrayType g) {
      return Array.newInstance(raw(g.getGenericComponentType()), 0).getClass();
    }
    return Object.class;
  }
}
