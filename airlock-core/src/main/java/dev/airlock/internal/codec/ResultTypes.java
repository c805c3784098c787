package dev.airlock.internal.codec;

import dev.airlock.SandboxProtocolException;
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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * Whether a decoded result is of the type its method declares, type arguments included. The allowlist says which
 * classes a result may name; this says where: code in a worker cannot return a {@code String} from a method declared
 * to return an {@code int}, nor (without an unchecked cast) put an {@code Integer} in the {@code List<String>} it
 * returns, so such a result is a worker's lie. Accepted, it would surface as a {@code ClassCastException} in the
 * caller's code, far from the call, or never: a {@code List<String>} holding a {@code Class}.
 *
 * <p>The walk goes through the declared type: the elements of a collection, the keys and values of a map, an
 * optional's value, an array's elements and the fields of a class that is not the JDK's, each against the type its
 * declaration gives it once type variables are bound; a type variable that nothing binds is checked against its
 * bounds. The worker chose the result's shape, so the walk costs what decoding did and no more: each value is visited
 * once (a result is a tree), the stack holds one frame per level (an iterator, never a copy of a collection's
 * elements), a path is spelt out only for the value that does not fit, and the call's deadline is checked as decoding
 * checks it.
 */
public final class ResultTypes {
  /** Visits between two looks at the deadline. */
  private static final int DEADLINE_EVERY = 4096;

  /**
   * The fields of a class that a result's object of it is checked through, made accessible once. The same
   * {@link Field} objects every time, so their generic types are the same objects too, which {@link Shape}s are keyed
   * by ({@link Class#getDeclaredFields} returns new copies on every call). An array, so that walking an object's
   * fields allocates no iterator.
   */
  private static final ClassValue<Field[]> FIELDS = new ClassValue<>() {
    @Override
    protected Field[] computeValue(Class<?> type) {
      List<Field> fields = new ArrayList<>();
      try {
        for (Field f : type.getDeclaredFields()) {
          if (Modifier.isStatic(f.getModifiers()) || Modifier.isTransient(f.getModifiers())
              || f.getType().isPrimitive()) {
            continue;
          }
          try {
            f.setAccessible(true);
            f.getGenericType();
            fields.add(f);
          } catch (RuntimeException | LinkageError e) {
            // A module that is not open, or a type this JVM cannot load: the decoder could not have set it either.
          }
        }
      } catch (RuntimeException | LinkageError e) {
        return new Field[0];
      }
      return fields.toArray(new Field[0]);
    }
  };

  // What the walk does with a value of a class: looked up once per class, not tested interface by interface.
  private static final int COLLECTION = 0;
  private static final int MAP = 1;
  private static final int OPTIONAL = 2;
  private static final int OBJECT_ARRAY = 3;
  private static final int FIELDS_BELOW = 4;
  private static final int NOTHING_BELOW = 5;

  /**
   * Each class's kind: an {@code Integer} of the JDK's own cache, never an object of this library. The values sit on
   * JDK classes too ({@code ArrayList}, {@code Integer}), which live as long as the JVM, and one of this library's
   * objects there would keep its class loader, and every class it loaded, alive after a redeployment dropped it
   * (JDK-8136353).
   */
  private static final ClassValue<Integer> KINDS = new ClassValue<>() {
    @Override
    protected Integer computeValue(Class<?> type) {
      return kindOf(type);
    }
  };

  private static int kindOf(Class<?> type) {
    if (Collection.class.isAssignableFrom(type)) {
      return COLLECTION;
    }
    if (Map.class.isAssignableFrom(type)) {
      return MAP;
    }
    if (type == Optional.class) {
      return OPTIONAL;
    }
    if (type.isArray()) {
      return type.getComponentType().isPrimitive() ? NOTHING_BELOW : OBJECT_ARRAY;
    }
    // A JDK value type holds nothing the method declared. An enum constant is the host's own, not built from the
    // worker's bytes, and one constant may come a million times: walking its fields each time is work the worker
    // would choose.
    return ClassAllowlist.isJdk(type) || Enum.class.isAssignableFrom(type) ? NOTHING_BELOW : FIELDS_BELOW;
  }

  private ResultTypes() {
  }

  /**
   * A value and the type it must have, with the type variables bound where it was found, and how to name it in a
   * path: {@code name}, then {@code [index]} or (after a name) the index, when there is one; {@code .name} for a
   * field. The label is put together only for the value that does not fit.
   */
  private record Child(Object value, Type type, Map<TypeVariable<?>, Type> bound, String name, int index,
      boolean field) {
    Child(Object value, Type type, Map<TypeVariable<?>, Type> bound, String name, int index) {
      this(value, type, bound, name, index, false);
    }

    Child(Object value, Type type, Map<TypeVariable<?>, Type> bound, String name) {
      this(value, type, bound, name, -1);
    }

    String label() {
      return field ? "." + name : index < 0 ? name : name == null ? "[" + index + "]" : name + index;
    }
  }

  /**
   * The values a walk has visited, with a look at the call's deadline each time the count passes a multiple of
   * {@value #DEADLINE_EVERY}. A value an iterator or {@link #fields} accepted on the spot counts as a visit too, so the
   * work between two looks stays what it was when every value went through the walk's loop.
   */
  private static final class Visits {
    private final BooleanSupplier expired;
    private long count;

    Visits(BooleanSupplier expired) {
      this.expired = expired;
    }

    void add(int visits) {
      long before = count;
      count += visits;
      if (count / DEADLINE_EVERY != before / DEADLINE_EVERY && expired.getAsBoolean()) {
        throw new SandboxProtocolException("result refused: checking its type ran past the call's deadline");
      }
    }
  }

  /**
   * A value whose children are being checked, one at a time, and the child it is at (for the path). Its iterator gives
   * null for a child it found to fit with nothing below ({@link #fitsWithNothingBelow}).
   */
  private static final class Frame {
    final Iterator<Child> children;
    Child current;

    Frame(Iterator<Child> children) {
      this.children = children;
    }
  }

  /** What a container of {@code type} in {@code outer} holds: its bindings and its element (or key and value) types. */
  private record Shape(Type type, Map<TypeVariable<?>, Type> outer, Class<?> container,
      Map<TypeVariable<?>, Type> bound, Type first, Type second) {
    boolean of(Type type, Map<TypeVariable<?>, Type> outer, Class<?> container) {
      return this.type == type && this.outer == outer && this.container == container;
    }
  }

  /**
   * How an object of class {@code runtime} declared as {@code type} in {@code outer} is read: each level of its class,
   * from its own class up. The same map objects for every object of one layout, so the shapes below them are worked
   * out once too.
   */
  private record Layout(Type type, Map<TypeVariable<?>, Type> outer, Class<?> runtime, List<Level> levels) {
    boolean of(Type type, Map<TypeVariable<?>, Type> outer, Class<?> runtime) {
      return this.type == type && this.outer == outer && this.runtime == runtime;
    }
  }

  /**
   * Where {@code result} does not fit {@code declared} (a method's generic return type): a description naming the
   * path to the value, what it is and what was declared, or empty when it fits; a {@link SandboxProtocolException}
   * once {@code expired} turns true.
   */
  public static Optional<String> misfit(Object result, Type declared, BooleanSupplier expired) {
    Deque<Frame> stack = new ArrayDeque<>();
    // The last shape worked out for each declared type: the values a type is declared for share its object and their
    // bindings' (every element of a List<Map<String, T>>), so a shape is worked out once, not once per value.
    Map<Type, Shape> shapes = new IdentityHashMap<>(4);
    Map<Type, Layout> layouts = new IdentityHashMap<>(4);
    Frame root = new Frame(List.of(new Child(result, declared, Map.of(), "the result")).iterator());
    stack.push(root);
    Visits visits = new Visits(expired);
    while (!stack.isEmpty()) {
      Frame top = stack.peek();
      if (!top.children.hasNext()) {
        stack.pop();
        continue;
      }
      visits.add(1);
      Child child = top.children.next();
      if (child == null) {
        // Its iterator found it fits and holds nothing: a visit all the same.
        continue;
      }
      top.current = child;
      Type type = resolve(child.type, child.bound);
      Class<?> raw = raw(type);
      Object value = child.value;
      if (value == null) {
        if (raw.isPrimitive() && raw != void.class) {
          return Optional.of(path(stack) + " is null, but its declared type is " + raw.getName());
        }
        continue;
      }
      Class<?> boxed = raw.isPrimitive() ? MethodType.methodType(raw).wrap().returnType() : raw;
      if (!boxed.isInstance(value) || !(type instanceof Class<?>) && !isInstanceOfEach(otherBounds(type), value)) {
        return Optional.of(path(stack) + " is a " + value.getClass().getName() + ", but its declared type is "
            + named(type));
      }
      Iterator<Child> children = children(value, child.type, firstBound(type, child.bound), raw, child.bound,
          shapes, layouts, visits);
      if (children != null) {
        stack.push(new Frame(children));
      }
    }
    return Optional.empty();
  }

  private static boolean isInstanceOfEach(List<Type> types, Object value) {
    for (Type type : types) {
      if (!raw(type).isInstance(value)) {
        return false;
      }
    }
    return true;
  }

  /** The path from the result to the value the top frame is at: {@code the result.lines[3]'s value 0}. */
  private static String path(Deque<Frame> stack) {
    StringBuilder path = new StringBuilder();
    for (Iterator<Frame> it = stack.descendingIterator(); it.hasNext(); ) {
      path.append(it.next().current.label());
    }
    return path.toString();
  }

  /**
   * What of {@code value} is checked next, or null when nothing below it can be of a wrong type; {@code declared} is
   * the child's type as written and {@code type} the same resolved.
   */
  private static Iterator<Child> children(Object value, Type declared, Type type, Class<?> raw,
      Map<TypeVariable<?>, Type> outer, Map<Type, Shape> shapes, Map<Type, Layout> layouts, Visits visits) {
    if (value.getClass() == String.class) {
      // The commonest value of all holds nothing, and an exact class test is cheaper than the lookup below.
      return null;
    }
    switch (KINDS.get(value.getClass())) {
      case COLLECTION -> {
        Shape shape = shape(declared, type, outer, Collection.class, shapes);
        return indexed(((Collection<?>) value).iterator(), shape.first, shape.bound);
      }
      case MAP -> {
        Shape shape = shape(declared, type, outer, Map.class, shapes);
        return entries(((Map<?, ?>) value).entrySet().iterator(), shape.first, shape.second, shape.bound);
      }
      case OPTIONAL -> {
        Optional<?> optional = (Optional<?>) value;
        Shape shape = shape(declared, type, outer, Optional.class, shapes);
        return optional.isEmpty() ? null : List.of(new Child(optional.get(), shape.first, shape.bound, ".get()"))
            .iterator();
      }
      case OBJECT_ARRAY -> {
        Type component = type instanceof GenericArrayType g ? g.getGenericComponentType()
            : raw.isArray() ? raw.getComponentType() : Object.class;
        return indexed(Arrays.asList((Object[]) value).iterator(), component, outer);
      }
      case FIELDS_BELOW -> {
        return fields(value, layout(declared, type, outer, value.getClass(), layouts), visits);
      }
      default -> {
        return null;
      }
    }
  }

  /** The {@link Shape} of a container, the last one worked out for {@code declared} when it is the same. */
  private static Shape shape(Type declared, Type type, Map<TypeVariable<?>, Type> outer, Class<?> container,
      Map<Type, Shape> shapes) {
    Shape last = shapes.get(declared);
    if (last != null && last.of(declared, outer, container)) {
      return last;
    }
    Map<TypeVariable<?>, Type> bound = bindings(type, outer);
    Shape shape = new Shape(declared, outer, container, bound, argument(type, bound, container, 0),
        container == Map.class ? argument(type, bound, container, 1) : null);
    shapes.put(declared, shape);
    return shape;
  }

  /** Elements by position: an element's own text is the worker's, and may be anything. */
  private static Iterator<Child> indexed(Iterator<?> items, Type type, Map<TypeVariable<?>, Type> bound) {
    LeafTest leaf = new LeafTest(type);
    return new Iterator<>() {
      private int index;

      @Override
      public boolean hasNext() {
        return items.hasNext();
      }

      @Override
      public Child next() {
        Object item = items.next();
        int at = index++;
        return leaf.fits(item) ? null : new Child(item, type, bound, null, at);
      }
    };
  }

  /** Keys and values, by the entry's position. */
  private static Iterator<Child> entries(Iterator<? extends Map.Entry<?, ?>> items, Type keyType, Type valueType,
      Map<TypeVariable<?>, Type> bound) {
    LeafTest keyLeaf = new LeafTest(keyType);
    LeafTest valueLeaf = new LeafTest(valueType);
    return new Iterator<>() {
      private Map.Entry<?, ?> entry;
      private int index = -1;

      @Override
      public boolean hasNext() {
        return entry != null || items.hasNext();
      }

      @Override
      public Child next() {
        if (entry == null) {
          entry = items.next();
          index++;
          Object key = entry.getKey();
          return keyLeaf.fits(key) ? null : new Child(key, keyType, bound, "'s key ", index);
        }
        Object value = entry.getValue();
        entry = null;
        return valueLeaf.fits(value) ? null : new Child(value, valueType, bound, "'s value ", index);
      }
    };
  }

  /**
   * The fields of an application object that are checked further, each against its generic type as its layout binds
   * it; null when none is. Those accepted here count as visits. A field this host cannot read (a module that is not
   * open) is not checked: the decoder could not have set it either.
   */
  private static Iterator<Child> fields(Object value, Layout layout, Visits visits) {
    List<Child> children = null;
    int accepted = 0;
    for (int l = 0; l < layout.levels.size(); l++) {
      Level level = layout.levels.get(l);
      for (Field f : level.fields) {
        Object held;
        try {
          held = f.get(value);
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
          // Not readable here after all: not checked, as the decoder could not have set it either.
          continue;
        }
        Type type = f.getGenericType();
        if (fitsWithNothingBelow(held, type)) {
          accepted++;
          continue;
        }
        if (children == null) {
          children = new ArrayList<>(4);
        }
        children.add(new Child(held, type, level.bound, f.getName(), -1, true));
      }
    }
    visits.add(accepted);
    return children == null ? null : children.iterator();
  }

  /**
   * Whether the walk would take {@code held} as a value of {@code type} and find nothing below it: a null, or a value
   * of a class with nothing below of a plain class type it is an instance of. Decided where the value is found, a
   * string in a list or a field costs no child. Only for the type of a field, element, key or value, which is never
   * primitive.
   */
  private static boolean fitsWithNothingBelow(Object held, Type type) {
    if (held == null) {
      return true;
    }
    if (!(type instanceof Class<?> declared) || !declared.isInstance(held)) {
      return false;
    }
    Class<?> runtime = held.getClass();
    return runtime == String.class || KINDS.get(runtime) == NOTHING_BELOW;
  }

  /**
   * {@link #fitsWithNothingBelow} for the values found against one type, the answer kept for the last class: the
   * elements of a collection are mostly of one class, and the answer depends on nothing else.
   */
  private static final class LeafTest {
    private final Type type;
    private Class<?> last;
    private boolean fits;

    LeafTest(Type type) {
      this.type = type;
    }

    boolean fits(Object held) {
      if (held == null) {
        return true;
      }
      if (held.getClass() != last) {
        fits = fitsWithNothingBelow(held, type);
        last = held.getClass();
      }
      return fits;
    }
  }

  /** One class of an object's layout: the type variables bound there, and its fields that are checked. */
  private record Level(Map<TypeVariable<?>, Type> bound, Field[] fields) {
  }

  /**
   * The {@link Layout} of {@code runtime} declared as {@code type}, the last one worked out for {@code declared} when
   * it is the same. The type variables of the object's own class are inferred from the declared type through the
   * supertypes that lead to it, interfaces included ({@code BoxImpl<T> implements Box<T>} declared {@code Box<String>}
   * binds {@code T} to {@code String}); a variable the declared type does not fix stays at its bounds.
   */
  private static Layout layout(Type declared, Type type, Map<TypeVariable<?>, Type> outer, Class<?> runtime,
      Map<Type, Layout> layouts) {
    Layout last = layouts.get(declared);
    if (last != null && last.of(declared, outer, runtime)) {
      return last;
    }
    List<Level> levels = new ArrayList<>();
    Map<TypeVariable<?>, Type> bound = inferred(runtime, type, outer);
    for (Class<?> k = runtime; k != null && !ClassAllowlist.isJdk(k); k = k.getSuperclass()) {
      levels.add(new Level(bound, FIELDS.get(k)));
      bound = bindings(k.getGenericSuperclass(), bound);
    }
    Layout layout = new Layout(declared, outer, runtime, List.copyOf(levels));
    layouts.put(declared, layout);
    return layout;
  }

  /** The type variables of {@code runtime} as the declared {@code type} (in {@code outer}) fixes them. */
  private static Map<TypeVariable<?>, Type> inferred(Class<?> runtime, Type type, Map<TypeVariable<?>, Type> outer) {
    Map<TypeVariable<?>, Type> known = bindings(type, outer);
    Class<?> declaredRaw = raw(type);
    if (runtime == declaredRaw) {
      return known;
    }
    if (declaredRaw.getTypeParameters().length == 0) {
      // A declared Object or a plain class fixes nothing below it; the search below would find as much.
      return Map.of();
    }
    List<Type> path = pathTo(runtime, declaredRaw, 0);
    if (path == null) {
      return Map.of();
    }
    // From the declared type down: each supertype as its subclass wrote it, matched against what is known of it.
    for (int i = path.size() - 1; i >= 0; i--) {
      Map<TypeVariable<?>, Type> below = new HashMap<>();
      if (path.get(i) instanceof ParameterizedType written && written.getRawType() instanceof Class<?> raw) {
        TypeVariable<?>[] variables = raw.getTypeParameters();
        Type[] arguments = written.getActualTypeArguments();
        for (int v = 0; v < variables.length && v < arguments.length; v++) {
          Type actual = known.get(variables[v]);
          if (actual != null) {
            unify(arguments[v], actual, below, 0);
          }
        }
      }
      known = below;
    }
    return known;
  }

  /**
   * The generic supertypes, as written, from {@code from}'s own up to the one of class {@code to}, or null when
   * {@code to} is not among them. Host classes, so the search is bounded by their hierarchy.
   */
  private static List<Type> pathTo(Class<?> from, Class<?> to, int depth) {
    if (depth > 64) {
      return null;
    }
    List<Type> supertypes = new ArrayList<>(Arrays.asList(from.getGenericInterfaces()));
    if (from.getGenericSuperclass() != null) {
      supertypes.add(from.getGenericSuperclass());
    }
    for (Type supertype : supertypes) {
      Class<?> raw = raw(supertype);
      if (raw == to) {
        return new ArrayList<>(List.of(supertype));
      }
      if (to.isAssignableFrom(raw)) {
        List<Type> rest = pathTo(raw, to, depth + 1);
        if (rest != null) {
          rest.add(0, supertype);
          return rest;
        }
      }
    }
    return null;
  }

  /**
   * Binds the variables of {@code written} to the parts of {@code actual} they stand for: {@code List<T>} and
   * {@code List<String>} bind {@code T} to {@code String}.
   */
  private static void unify(Type written, Type actual, Map<TypeVariable<?>, Type> out, int depth) {
    if (depth > 32) {
      return;
    }
    if (written instanceof TypeVariable<?> v) {
      out.putIfAbsent(v, actual);
    } else if (written instanceof ParameterizedType w && actual instanceof ParameterizedType a
        && w.getRawType() == a.getRawType()) {
      Type[] ws = w.getActualTypeArguments();
      Type[] as = a.getActualTypeArguments();
      for (int i = 0; i < ws.length && i < as.length; i++) {
        unify(ws[i], as[i], out, depth + 1);
      }
    } else if (written instanceof GenericArrayType w && actual instanceof GenericArrayType a) {
      unify(w.getGenericComponentType(), a.getGenericComponentType(), out, depth + 1);
    }
  }

  /** The type variables of {@code type}'s class bound to its arguments, themselves resolved in {@code outer}. */
  private static Map<TypeVariable<?>, Type> bindings(Type type, Map<TypeVariable<?>, Type> outer) {
    if (!(type instanceof ParameterizedType p) || !(p.getRawType() instanceof Class<?> raw)) {
      return outer;
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
      Map<TypeVariable<?>, Type> here = bindings(t, bindings.pop());
      Class<?> raw = raw(t);
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

  /**
   * {@code type} with bound variables replaced; an unbound variable or a wildcard by its upper bound, except a variable
   * of several bounds, which stays itself so that each of them is checked ({@link #otherBounds}).
   */
  private static Type resolve(Type type, Map<TypeVariable<?>, Type> bound) {
    if (type instanceof Class<?>) {
      // Most declared types are plain classes; a failed test against each interface below costs more than the rest.
      return type;
    }
    Type t = type;
    for (int guard = 0; guard < 32; guard++) {
      if (t instanceof TypeVariable<?> v) {
        Type b = bound.get(v);
        if ((b == null || b == v) && v.getBounds().length > 1) {
          return v;
        }
        t = b != null && b != v ? b : v.getBounds()[0];
      } else if (t instanceof WildcardType w) {
        t = w.getUpperBounds()[0];
      } else {
        return t;
      }
    }
    return Object.class;
  }

  /**
   * The bounds after the first of {@code type} when it is a variable of several ({@code B} of
   * {@code T extends A & B}): the first is checked as its raw type, and code of the method could return only a value
   * of all of them.
   */
  private static List<Type> otherBounds(Type type) {
    if (type instanceof TypeVariable<?> v) {
      Type[] bounds = v.getBounds();
      return Arrays.asList(bounds).subList(1, bounds.length);
    }
    return List.of();
  }

  /**
   * What a value of {@code type} holds is given by its first bound when it is a variable of several bounds: the
   * {@code String} of {@code T extends List<String> & RandomAccess}.
   */
  private static Type firstBound(Type type, Map<TypeVariable<?>, Type> bound) {
    if (type instanceof Class<?>) {
      return type;
    }
    Type t = type;
    for (int guard = 0; guard < 32 && t instanceof TypeVariable<?> v; guard++) {
      t = resolve(v.getBounds()[0], bound);
    }
    return t instanceof TypeVariable<?> ? Object.class : t;
  }

  /** A type as a message names it: a variable with its bounds, {@code T extends A & B}. */
  private static String named(Type type) {
    if (type instanceof TypeVariable<?> v) {
      return v.getName() + " extends " + String.join(" & ", Arrays.stream(v.getBounds()).map(Type::getTypeName)
          .toList());
    }
    return type.getTypeName();
  }

  private static Class<?> raw(Type type) {
    if (type instanceof Class<?> c) {
      return c;
    }
    if (type instanceof TypeVariable<?> v) {
      return raw(v.getBounds()[0]);
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
