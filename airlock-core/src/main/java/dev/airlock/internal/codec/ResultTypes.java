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
import java.util.Comparator;
import java.util.Deque;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.concurrent.PriorityBlockingQueue;
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
 * bounds. An object's own class counts too: what it fixes of the declared class's type arguments must imply what the
 * declaration says, an application's collection holds what its class declares, and a type the JDK keeps inside an
 * object (a comparator's, an enum set's) must agree with the declared one. The worker chose the result's shape, so
 * the walk costs what decoding did and no more: each value is visited once (a result is a tree), or once for each of
 * two types within a bound ({@link #SECOND_TYPE_VISITS}), the stack holds one frame per level (an iterator, never a
 * copy of a collection's elements), types are never written out ({@link Scoped}), a path is spelt out only for the
 * value that does not fit, and the call's deadline is checked as decoding checks it.
 */
public final class ResultTypes {
  /** Visits between two looks at the deadline. */
  private static final int DEADLINE_EVERY = 4096;

  /**
   * Visits of values held to a second type, beside the one their declaration gives them (see {@link Shape}), that a
   * walk makes at most. Each such value is walked once for each type, and the same can happen below it: a result built
   * to nest such classes would double the walk at every level.
   */
  static final int SECOND_TYPE_VISITS = 1 << 20;

  /** Characters of a type's name in a message, at most: a type argument may name a variable bound to another. */
  private static final int NAME_LENGTH = 400;

  /** Type nodes two types are compared through before they are taken to differ (so both are checked). */
  private static final int COMPARED_NODES = 64;

  /** Shapes and layouts a walk keeps before it starts again: one per declared type, scope and class it met. */
  private static final int CACHED = 4096;

  /**
   * The fields of a class that a result's object of it is checked through, made accessible once. The same
   * {@link Field} objects every time, so their generic types are the same objects too, which a walk's cache is keyed
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
  // A collection or map with a type of its own: a comparator's, an enum class.
  private static final int TYPED_COLLECTION = 6;
  private static final int TYPED_MAP = 7;

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
      return SortedSet.class.isAssignableFrom(type) || PriorityQueue.class.isAssignableFrom(type)
          || PriorityBlockingQueue.class.isAssignableFrom(type) || EnumSet.class.isAssignableFrom(type)
          ? TYPED_COLLECTION : COLLECTION;
    }
    if (Map.class.isAssignableFrom(type)) {
      return SortedMap.class.isAssignableFrom(type) || EnumMap.class.isAssignableFrom(type) ? TYPED_MAP : MAP;
    }
    if (type == Optional.class) {
      return OPTIONAL;
    }
    if (type.isArray()) {
      return type.getComponentType().isPrimitive() ? NOTHING_BELOW : OBJECT_ARRAY;
    }
    // A JDK value type holds nothing the method declared. An enum constant is the host's own, not built from the
    // worker's bytes, and one constant may come a million times: walking its fields each time is work the worker
    // would choose. Either class is still held to a parameterized declared type's arguments (Walk#fixedOtherwise).
    return ClassAllowlist.isJdk(type) || Enum.class.isAssignableFrom(type) ? NOTHING_BELOW : FIELDS_BELOW;
  }

  private ResultTypes() {
  }

  /**
   * A type as written in a declaration, with the bindings of the type variables it can name there: those of the class
   * it is written in and of the classes enclosing that one (a method's own variables are never bound). A binding is a
   * scoped type itself, its own bindings followed when it is made, so it is never a variable that its scope binds. A
   * walk down a type argument of a type argument follows these scopes and never writes a type out again: a class that
   * names its variable twice in an argument of itself ({@code F<Map<T, T>> next}) costs the same at each level, and a
   * type argument keeps the bindings of the place it was written ({@code Grouped<List<T>>} inside {@code Grouped<T>}).
   */
  private static final class Scoped {
    final Type type;
    final Map<TypeVariable<?>, Scoped> scope;

    Scoped(Type type, Map<TypeVariable<?>, Scoped> scope) {
      this.type = type;
      this.scope = scope;
    }
  }

  /** No variable bound: a raw class, a method's variables, a class reached from a declared {@code Object}. */
  private static final Map<TypeVariable<?>, Scoped> NONE = Map.of();

  private static final Scoped OBJECT = new Scoped(Object.class, NONE);

  /** What {@link Walk#children} gives for an object whose class contradicts its declared type. */
  private static final Iterator<Child> CONFLICTING = List.<Child>of().iterator();

  /**
   * A value and the type it must have, and how to name it in a path: {@code name}, then {@code [index]} or (after a
   * name) the index, when there is one; {@code .name} for a field. The label is put together only for the value that
   * does not fit. {@code second}: the value is held to a second type or lies below one that is.
   */
  private record Child(Object value, Scoped type, String name, int index, boolean field, boolean second) {
    String label() {
      return field ? "." + name : index < 0 ? name : name == null ? "[" + index + "]" : name + index;
    }
  }

  /**
   * A value whose children are being checked, one at a time, and the child it is at (for the path). Its iterator gives
   * null for a child it found to fit with nothing below ({@link #fitsWithNothingBelow}).
   */
  private static final class Frame {
    final Iterator<Child> children;
    final boolean second;
    Child current;

    Frame(Iterator<Child> children, boolean second) {
      this.children = children;
      this.second = second;
    }
  }

  /**
   * What a container of a declared type holds, for an object of one class: its elements' (or keys' and values') type
   * by the declaration, and by the object's own class where that says more: {@code Tags extends ArrayList<String>}
   * holds strings even where the method declares {@code Object}, and a caller's checked cast to {@code Tags} relies on
   * it. (A class that says less, {@code Loose extends ArrayList<Object>} declared {@code List<List<String>>}, is a
   * {@code conflict}.) Where neither type is known to imply the other, both are checked ({@code ownFirst},
   * {@code ownSecond}, each value once for each), within {@link #SECOND_TYPE_VISITS}. {@code fields}: the levels of
   * the object's own class, when it is not the JDK's and has fields to check; {@code conflict} as {@link Layout}'s;
   * {@code compared}: the elements' (or keys') type exactly as the declared type binds it, or L where it says
   * {@code ? super L} (what a caller may insert either way), null where it leaves it open ({@code ?},
   * {@code ? extends}, a variable, {@code Object} as the declared type), for what a comparator or an enum class of the
   * object's own must agree with.
   */
  private record Shape(Scoped first, Scoped ownFirst, Scoped second, Scoped ownSecond, List<Level> fields,
      String conflict, Scoped compared) {
  }

  /**
   * How an object of a class is read: each level of its class, from its own class up to the JDK's; {@code conflict}
   * says what its class fixes against the declared type, when it does ({@link #conflict}).
   */
  private record Layout(List<Level> levels, String conflict) {
  }

  /**
   * One class of an object's layout: its fields that are checked, and their types in that class's scope;
   * {@code seconds} (null when none) the second type a field is held to, where the declared type binds it otherwise
   * ({@link #heldToDeclared}).
   */
  private record Level(Field[] fields, Scoped[] types, Scoped[] seconds) {
  }

  /**
   * Where {@code result} does not fit {@code declared} (a method's generic return type): a description naming the
   * path to the value, what it is and what was declared, or empty when it fits; a {@link SandboxProtocolException}
   * once {@code expired} turns true, or once values held to two types would take more than
   * {@value #SECOND_TYPE_VISITS} visits.
   */
  public static Optional<String> misfit(Object result, Type declared, BooleanSupplier expired) {
    return new Walk(expired).misfit(result, new Scoped(declared, NONE));
  }

  /**
   * {@link #misfit(Object, Type, BooleanSupplier)} for a method of {@code declarer} called on an object of
   * {@code owner}, whose supertypes bind {@code declarer}'s type variables: a {@code CrudTool<T>}'s {@code List<T>}
   * called on a {@code UserTool extends CrudTool<User>} is held to {@code List<User>}, not to the bound of {@code T}.
   * With {@code owner} null, as that method.
   */
  public static Optional<String> misfit(Object result, Type declared, Class<?> owner, Class<?> declarer,
      BooleanSupplier expired) {
    return new Walk(expired).misfit(result, new Scoped(declared, owner == null ? NONE : ownerScope(owner, declarer)));
  }

  /** What {@code owner}'s supertypes bind {@code declarer}'s type variables to; those left open stay unbound. */
  private static Map<TypeVariable<?>, Scoped> ownerScope(Class<?> owner, Class<?> declarer) {
    boolean generic = false;
    for (Class<?> k = declarer; k != null && !generic; k = isInner(k) ? k.getEnclosingClass() : null) {
      // An inner class's method may return its enclosing class's variable (Outer<T>.Inner's T get()).
      generic = k.getTypeParameters().length > 0;
    }
    if (!generic || owner == declarer || !declarer.isAssignableFrom(owner)) {
      return NONE;
    }
    Map<TypeVariable<?>, Scoped> scope = scopeBelow(owner, NONE, declarer, false);
    return scope == null ? NONE : scope;
  }

  /**
   * One walk: its count of visits and its cache of the shapes and layouts it worked out, each keyed by the declared
   * type's object, its scope's object and the value's class. The values a type is declared for share those objects
   * (every element of a {@code List<Map<String, T>>}), so a shape is worked out once, not once per value.
   */
  private static final class Walk {
    private final BooleanSupplier expired;
    private long visits;
    private long secondVisits;
    private final Map<Type, Cached> last = new IdentityHashMap<>(4);
    private final Map<Key, Object> cache = new HashMap<>();
    /** What the last object {@link #children} gave {@link #CONFLICTING} for fixes against its declared type. */
    private String conflict;

    Walk(BooleanSupplier expired) {
      this.expired = expired;
    }

    Optional<String> misfit(Object result, Scoped declared) {
      Deque<Frame> stack = new ArrayDeque<>();
      stack.push(new Frame(List.of(new Child(result, declared, "the result", -1, false, false))
          .iterator(), false));
      while (!stack.isEmpty()) {
        Frame top = stack.peek();
        if (!top.children.hasNext()) {
          stack.pop();
          continue;
        }
        Child child = top.children.next();
        count(1, top.second || child != null && child.second);
        if (child == null) {
          // Its iterator found it fits and holds nothing: a visit all the same.
          continue;
        }
        top.current = child;
        // Most declared types are plain classes, and testing a Class against an interface (TypeVariable, ...) scans
        // its interfaces: they are told apart by a test of the final class first.
        boolean plain = child.type.type instanceof Class<?>;
        Scoped type = plain ? child.type : resolve(child.type);
        Class<?> raw = erasure(type.type);
        Object value = child.value;
        if (value == null) {
          if (raw.isPrimitive() && raw != void.class) {
            return Optional.of(path(stack) + " is null, but its declared type is " + raw.getName());
          }
          continue;
        }
        Class<?> boxed = raw.isPrimitive() ? MethodType.methodType(raw).wrap().returnType() : raw;
        if (!boxed.isInstance(value) || !plain && !isInstanceOfEach(otherBounds(type.type), value)) {
          return Optional.of(path(stack) + " is a " + value.getClass().getName() + ", but its declared type is "
              + named(type));
        }
        if ((raw == Class.class || raw == Comparator.class) && !plain) {
          String held = heldType(value, type);
          if (held != null) {
            return Optional.of(path(stack) + " is " + held + ", but its declared type is " + named(type));
          }
        }
        Iterator<Child> children = children(value, plain ? type : walkedBound(type), child.second);
        if (children == CONFLICTING) {
          return Optional.of(path(stack) + " is a " + value.getClass().getName() + ", " + conflict
              + ", but its declared type is " + named(type));
        }
        if (children != null) {
          stack.push(new Frame(children, child.second));
        }
      }
      return Optional.empty();
    }

    /**
     * Counts visits, with a look at the call's deadline each time the count passes a multiple of
     * {@value #DEADLINE_EVERY}. A value an iterator or {@link #fields} accepted on the spot counts as a visit too, so
     * the work between two looks stays what it was when every value went through the walk's loop.
     */
    private void count(int n, boolean second) {
      long before = visits;
      visits += n;
      if (visits / DEADLINE_EVERY != before / DEADLINE_EVERY && expired.getAsBoolean()) {
        throw new SandboxProtocolException("result refused: checking its type ran past the call's deadline");
      }
      if (second && (secondVisits += n) > SECOND_TYPE_VISITS) {
        throw new SandboxProtocolException("result refused: its collection classes declare element types that "
            + "differ from the method's, and checking it against both would take more than " + SECOND_TYPE_VISITS
            + " visits");
      }
    }

    /**
     * What of {@code value}, of {@code type} (resolved), is checked next, or null when nothing below it can be of a
     * wrong type.
     */
    private Iterator<Child> children(Object value, Scoped type, boolean second) {
      Class<?> runtime = value.getClass();
      // Most declared types are plain classes, told apart by a test of the final class first.
      boolean parameterized = !(type.type instanceof Class<?>) && type.type instanceof ParameterizedType;
      if (runtime == String.class && !parameterized) {
        // The commonest value of all holds nothing, and an exact class test is cheaper than the lookup below.
        return null;
      }
      int kind = KINDS.get(runtime);
      switch (kind) {
        case COLLECTION, TYPED_COLLECTION -> {
          Shape shape = shape(type, runtime, Collection.class);
          String conflict = shape.conflict != null ? shape.conflict : kind == TYPED_COLLECTION
              ? ownTypeConflict(value, shape) : null;
          return conflict != null ? conflicting(conflict)
              : withFields(value, shape, items(((Collection<?>) value).iterator(), shape, second), second);
        }
        case MAP, TYPED_MAP -> {
          Shape shape = shape(type, runtime, Map.class);
          String conflict = shape.conflict != null ? shape.conflict : kind == TYPED_MAP
              ? ownTypeConflict(value, shape) : null;
          return conflict != null ? conflicting(conflict)
              : withFields(value, shape, entries(((Map<?, ?>) value).entrySet().iterator(), shape, second), second);
        }
        case OPTIONAL -> {
          Optional<?> optional = (Optional<?>) value;
          Shape shape = shape(type, runtime, Optional.class);
          return optional.isEmpty() ? null : List.of(new Child(optional.get(), shape.first, ".get()", -1, false,
              second)).iterator();
        }
        case OBJECT_ARRAY -> {
          // The array's own class is held to the erasure of its declared type: generic code commonly makes its T[]
          // as (T[]) new Object[n]. Its elements are held to the component type.
          Scoped component = type.type instanceof Class<?> c ? c.isArray() ? new Scoped(c.getComponentType(), NONE)
              : OBJECT : type.type instanceof GenericArrayType g ? new Scoped(g.getGenericComponentType(), type.scope)
              : OBJECT;
          return items(Arrays.asList((Object[]) value).iterator(), new Shape(component, null, null, null, null,
              null, null), second);
        }
        case FIELDS_BELOW -> {
          Layout layout = layout(type, runtime);
          return layout.conflict != null ? conflicting(layout.conflict) : fields(value, layout.levels, second);
        }
        default -> {
          // Nothing below, but its class may fix the declared type's arguments otherwise: a String as a
          // Comparable<Integer>, an enum constant of Parser<LocalDate> as a Parser<Integer>.
          String conflict = parameterized && kind == NOTHING_BELOW ? fixedOtherwise(type, runtime) : null;
          return conflict != null ? conflicting(conflict) : null;
        }
      }
    }

    private Iterator<Child> conflicting(String conflict) {
      this.conflict = conflict;
      return CONFLICTING;
    }

    private Iterator<Child> withFields(Object value, Shape shape, Iterator<Child> items, boolean second) {
      Iterator<Child> fields = shape.fields == null ? null : fields(value, shape.fields, second);
      return fields == null ? items : new Chain(items, fields);
    }

    /** The {@link Shape} of a container of {@code runtime} declared as {@code type}. */
    private Shape shape(Scoped type, Class<?> runtime, Class<?> container) {
      Object cached = cached(type, runtime);
      if (cached != null) {
        return (Shape) cached;
      }
      Class<?> declaredRaw = erasure(type.type);
      Map<TypeVariable<?>, Scoped> declaredScope = scopeOf(type.type, type.scope);
      Scoped written = argumentBelow(declaredRaw, declaredScope, container, 0);
      Scoped exact = written == null ? null : bindingOf(written);
      Scoped[] first = {written == null ? OBJECT : resolve(written), null};
      Scoped[] second = {container == Map.class ? argument(declaredRaw, declaredScope, container, 1) : null, null};
      boolean jdk = ClassAllowlist.isJdk(runtime);
      // A JDK collection class passes its variables on to the interface unchanged: its own declaration says no more
      // than the declared type, when that is a collection or map type itself.
      boolean ownCounts = runtime != declaredRaw && (!jdk || !container.isAssignableFrom(declaredRaw));
      Map<TypeVariable<?>, Scoped> own = !ownCounts && jdk ? null : runtime == declaredRaw ? declaredScope
          : inferred(runtime, declaredRaw, declaredScope);
      if (ownCounts) {
        first = stricter(first[0], argument(runtime, own, container, 0));
        if (container == Map.class) {
          second = stricter(second[0], argument(runtime, own, container, 1));
        }
      }
      List<Level> fields = jdk ? List.of()
          : heldToDeclared(levelsOf(runtime, own), runtime, own, declaredRaw, declaredScope);
      // What a caller may insert: the declared element type, or L where it is declared ? super L.
      Scoped compared = exact == null || exact.type instanceof WildcardType ? null
          : exact.type instanceof TypeVariable<?> v ? lowerBound(type, v) : exact;
      Shape shape = new Shape(first[0], first[1], second[0], second[1], fields.isEmpty() ? null : fields,
          jdk ? null : conflict(runtime, own, type, declaredRaw, declaredScope), compared);
      cache(type, runtime, shape);
      return shape;
    }

    /** The {@link Layout} of {@code runtime} declared as {@code type}. */
    private Layout layout(Scoped type, Class<?> runtime) {
      Object cached = cached(type, runtime);
      if (cached != null) {
        return (Layout) cached;
      }
      Class<?> declaredRaw = erasure(type.type);
      Map<TypeVariable<?>, Scoped> declaredScope = scopeOf(type.type, type.scope);
      Map<TypeVariable<?>, Scoped> own = runtime == declaredRaw ? declaredScope
          : inferred(runtime, declaredRaw, declaredScope);
      Layout layout = new Layout(heldToDeclared(levelsOf(runtime, own), runtime, own, declaredRaw, declaredScope),
          conflict(runtime, own, type, declaredRaw, declaredScope));
      cache(type, runtime, layout);
      return layout;
    }

    /**
     * What the class of a value with nothing below ({@code runtime}, a JDK value class or an enum) fixes against its
     * declared parameterized {@code type}, as {@link #conflict} says; null when nothing. Kept as a {@link Layout}
     * without levels, once per declared type, scope and class: one constant may come a million times.
     */
    private String fixedOtherwise(Scoped type, Class<?> runtime) {
      Class<?> declaredRaw = erasure(type.type);
      if (runtime == declaredRaw || declaredRaw == Comparator.class) {
        // A comparator's type is what it compares, checked by heldType, which knows the natural orders.
        return null;
      }
      Object cached = cached(type, runtime);
      if (cached != null) {
        return ((Layout) cached).conflict;
      }
      Map<TypeVariable<?>, Scoped> declaredScope = scopeOf(type.type, type.scope);
      String conflict = conflict(runtime, inferred(runtime, declaredRaw, declaredScope), type, declaredRaw,
          declaredScope);
      cache(type, runtime, new Layout(List.of(), conflict));
      return conflict;
    }

    private Object cached(Scoped type, Class<?> runtime) {
      Cached hit = last.get(type.type);
      if (hit == null || hit.scope == type.scope && hit.runtime == runtime) {
        return hit == null ? null : hit.value;
      }
      Object value = cache.get(new Key(type.type, type.scope, runtime));
      if (value != null) {
        last.put(type.type, new Cached(type.scope, runtime, value));
      }
      return value;
    }

    /**
     * Keeps {@code value} as the last for the type's object; the keyed cache is filled only once a type's object has
     * met a second scope or class, which a result of one shape never makes it do.
     */
    private void cache(Scoped type, Class<?> runtime, Object value) {
      Cached before = last.put(type.type, new Cached(type.scope, runtime, value));
      if (before != null) {
        if (cache.size() >= CACHED) {
          cache.clear();
        }
        cache.put(new Key(type.type, before.scope, before.runtime), before.value);
        cache.put(new Key(type.type, type.scope, runtime), value);
      }
    }

    /**
     * The fields of an application object that are checked further, each against its type as its layout binds it;
     * null when none is. Those accepted here count as visits. A field this host cannot read (a module that is not
     * open) is not checked: the decoder could not have set it either.
     */
    private Iterator<Child> fields(Object value, List<Level> levels, boolean second) {
      List<Child> children = null;
      int accepted = 0;
      int acceptedSecond = 0;
      for (int l = 0; l < levels.size(); l++) {
        Level level = levels.get(l);
        for (int f = 0; f < level.fields.length; f++) {
          Object held;
          try {
            held = level.fields[f].get(value);
          } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            // Not readable here after all: not checked, as the decoder could not have set it either.
            continue;
          }
          Scoped type = level.types[f];
          if (fitsWithNothingBelow(held, type)) {
            accepted++;
          } else {
            children = add(children, new Child(held, type, level.fields[f].getName(), -1, true, second));
          }
          Scoped other = level.seconds == null ? null : level.seconds[f];
          if (other != null && fitsWithNothingBelow(held, other)) {
            acceptedSecond++;
          } else if (other != null) {
            children = add(children, new Child(held, other, level.fields[f].getName(), -1, true, true));
          }
        }
      }
      count(accepted, second);
      if (acceptedSecond > 0) {
        count(acceptedSecond, true);
      }
      return children == null ? null : children.iterator();
    }
  }

  private static List<Child> add(List<Child> children, Child child) {
    List<Child> to = children == null ? new ArrayList<>(4) : children;
    to.add(child);
    return to;
  }

  /** A walk's cache key: the objects themselves, never their contents, which a scope's would make costly to hash. */
  private record Key(Type type, Map<TypeVariable<?>, Scoped> scope, Class<?> runtime) {
    @Override
    public boolean equals(Object other) {
      return other instanceof Key k && k.type == type && k.scope == scope && k.runtime == runtime;
    }

    @Override
    public int hashCode() {
      return (System.identityHashCode(type) * 31 + System.identityHashCode(scope)) * 31
          + System.identityHashCode(runtime);
    }
  }

  /** The last value cached for a type's object: most values of one declaration are of one class in one scope. */
  private record Cached(Map<TypeVariable<?>, Scoped> scope, Class<?> runtime, Object value) {
  }

  private static boolean isInstanceOfEach(List<Type> types, Object value) {
    for (Type type : types) {
      if (!erasure(type).isInstance(value)) {
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

  /** Two iterators, one after the other: a collection's elements, then its own class's fields. */
  private static final class Chain implements Iterator<Child> {
    private final Iterator<Child> first;
    private final Iterator<Child> then;

    Chain(Iterator<Child> first, Iterator<Child> then) {
      this.first = first;
      this.then = then;
    }

    @Override
    public boolean hasNext() {
      return first.hasNext() || then.hasNext();
    }

    @Override
    public Child next() {
      return first.hasNext() ? first.next() : then.next();
    }
  }

  /**
   * Elements by position, each against the shape's first type, then (when there is one) against its own class's: an
   * element's own text is the worker's, and may be anything.
   */
  private static Iterator<Child> items(Iterator<?> items, Shape shape, boolean second) {
    LeafTest leaf = new LeafTest(shape.first);
    LeafTest ownLeaf = shape.ownFirst == null ? null : new LeafTest(shape.ownFirst);
    return new Iterator<>() {
      private Object item;
      private boolean ownPending;
      private int index = -1;

      @Override
      public boolean hasNext() {
        return ownPending || items.hasNext();
      }

      @Override
      public Child next() {
        if (ownPending) {
          ownPending = false;
          return ownLeaf.fits(item) ? null : new Child(item, shape.ownFirst, null, index, false, true);
        }
        item = items.next();
        index++;
        ownPending = ownLeaf != null;
        return leaf.fits(item) ? null : new Child(item, shape.first, null, index, false, second);
      }
    };
  }

  /** Keys and values, by the entry's position, each against the shape's types. */
  private static Iterator<Child> entries(Iterator<? extends Map.Entry<?, ?>> items, Shape shape, boolean second) {
    Scoped[] types = {shape.first, shape.ownFirst, shape.second, shape.ownSecond};
    LeafTest[] leaves = new LeafTest[4];
    for (int i = 0; i < 4; i++) {
      leaves[i] = types[i] == null ? null : new LeafTest(types[i]);
    }
    return new Iterator<>() {
      private Map.Entry<?, ?> entry;
      private int index = -1;
      private int part = 4;

      @Override
      public boolean hasNext() {
        skipAbsent();
        return part < 4 || items.hasNext();
      }

      private void skipAbsent() {
        while (part < 4 && types[part] == null) {
          part++;
        }
      }

      @Override
      public Child next() {
        skipAbsent();
        if (part == 4) {
          entry = items.next();
          index++;
          part = 0;
        }
        int at = part++;
        Object held = at < 2 ? entry.getKey() : entry.getValue();
        return leaves[at].fits(held) ? null : new Child(held, types[at], at < 2 ? "'s key " : "'s value ", index,
            false, second || at % 2 == 1);
      }
    };
  }

  /**
   * Whether the walk would take {@code held} as a value of {@code type} and find nothing below it: a null, or a value
   * of a class with nothing below of a plain class type it is an instance of. Decided where the value is found, a
   * string in a list or a field costs no child. Only for the type of a field, element, key or value, which is never
   * primitive.
   */
  private static boolean fitsWithNothingBelow(Object held, Scoped type) {
    if (held == null) {
      return true;
    }
    if (!(type.type instanceof Class<?> declared) || !declared.isInstance(held)) {
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
    private final Scoped type;
    private Class<?> last;
    private boolean fits;

    LeafTest(Scoped type) {
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

  /**
   * The levels of {@code runtime} with its variables bound by {@code scope}, each field's type resolved; empty when no
   * level has a field to check. An inner class's reference to its enclosing object is typed as the enclosing class
   * with the variables it binds here, not as the raw class it is declared as.
   */
  private static List<Level> levelsOf(Class<?> runtime, Map<TypeVariable<?>, Scoped> scope) {
    List<Level> levels = new ArrayList<>();
    boolean any = false;
    Map<TypeVariable<?>, Scoped> here = scope;
    for (Class<?> k = runtime; k != null && !ClassAllowlist.isJdk(k); k = k.getSuperclass()) {
      Field[] fields = FIELDS.get(k);
      Scoped[] types = new Scoped[fields.length];
      for (int f = 0; f < fields.length; f++) {
        Field field = fields[f];
        Type type = field.isSynthetic() && field.getType() == k.getEnclosingClass() && isInner(k)
            ? selfType(k.getEnclosingClass()) : field.getGenericType();
        types[f] = resolve(new Scoped(type, here));
      }
      any |= fields.length > 0;
      levels.add(new Level(fields, types, null));
      here = scopeOf(k.getGenericSuperclass(), here);
    }
    return any ? List.copyOf(levels) : List.of();
  }

  /**
   * {@code levels}, the layout of {@code runtime} by its own class's bindings ({@code own}), with the fields of the
   * declared class {@code declaredRaw} and of the classes above it held to the declaration's bindings too where the
   * object's own do not imply them: {@code AlBase<X> extends Base<ArrayList<X>>} declared
   * {@code Base<? extends List<Integer>>} leaves X open, but its value must hold integers. A field held to both is
   * checked against each within {@link #SECOND_TYPE_VISITS}, as a container's elements are ({@link #stricter}). Not
   * above a raw supertype, which binds nothing the declaration could be held to.
   */
  private static List<Level> heldToDeclared(List<Level> levels, Class<?> runtime, Map<TypeVariable<?>, Scoped> own,
      Class<?> declaredRaw, Map<TypeVariable<?>, Scoped> declaredScope) {
    if (levels.isEmpty() || declaredScope.isEmpty() || declaredRaw.isInterface() || runtime == declaredRaw) {
      return levels;
    }
    Map<TypeVariable<?>, Scoped> fixed = scopeBelow(runtime, own, declaredRaw, false);
    if (fixed == NONE || fixed == null || bindsAlike(fixed, declaredScope)) {
      // Where the object's own bindings and the declaration's imply each other, the fields typed by them are held to
      // the same types: nothing to add, and nothing to work out per object (a tree of a generic subclass makes a new
      // scope at every node: attack review 42 measured 30 times the walk of the same bytes when every field was
      // compared here). Implied one way only is not enough: a String binding implies a declared CharSequence, but a
      // field SortedSet<? super T> must then take any CharSequence (attack review 43).
      return levels;
    }
    int depth = 0;
    for (Class<?> k = runtime; k != declaredRaw; k = k.getSuperclass()) {
      if (k == null) {
        return levels;
      }
      depth++;
    }
    List<Level> declared = levelsOf(declaredRaw, declaredScope);
    List<Level> held = new ArrayList<>(levels);
    for (int j = 0; j < declared.size() && depth + j < levels.size(); j++) {
      Level mine = levels.get(depth + j);
      Scoped[] types = mine.types.clone();
      Scoped[] seconds = new Scoped[types.length];
      boolean any = false;
      for (int f = 0; f < types.length; f++) {
        Scoped[] both = stricter(declared.get(j).types[f], mine.types[f]);
        types[f] = both[0];
        seconds[f] = both[1];
        any |= both[1] != null;
      }
      held.set(depth + j, new Level(mine.fields, types, any ? seconds : null));
    }
    return List.copyOf(held);
  }

  /**
   * Whether {@code fixed} binds every variable {@code declared} binds, to a type known to imply the declared one and
   * to be implied by it.
   */
  private static boolean bindsAlike(Map<TypeVariable<?>, Scoped> fixed, Map<TypeVariable<?>, Scoped> declared) {
    int[] budget = {COMPARED_NODES};
    for (Map.Entry<TypeVariable<?>, Scoped> binding : declared.entrySet()) {
      Scoped own = fixed.get(binding.getKey());
      if (own == null || !implies(own, binding.getValue(), budget) || !implies(binding.getValue(), own, budget)) {
        return false;
      }
    }
    return true;
  }

  private static boolean isInner(Class<?> k) {
    return k.isMemberClass() && !Modifier.isStatic(k.getModifiers());
  }

  /**
   * A class as its own body sees itself: {@code O<T>} for {@code O<T>}, within its enclosing class's own type when it
   * is an inner class; the class itself when that binds nothing.
   */
  private static Type selfType(Class<?> k) {
    Type owner = isInner(k) ? selfType(k.getEnclosingClass()) : k.getEnclosingClass();
    return k.getTypeParameters().length == 0 && !(owner instanceof ParameterizedType) ? k : new SelfType(k, owner);
  }

  /** {@link #selfType}: a class's own variables as its type arguments. */
  private record SelfType(Class<?> raw, Type owner) implements ParameterizedType {
    @Override
    public Type[] getActualTypeArguments() {
      return raw.getTypeParameters();
    }

    @Override
    public Type getRawType() {
      return raw;
    }

    @Override
    public Type getOwnerType() {
      return owner;
    }
  }

  /**
   * Where {@code runtime}'s own declaration fixes a type argument of the declared class {@code declaredRaw}, or of a
   * class enclosing it, to one that does not imply the declared one ({@code StrBase extends Base<String>} declared
   * {@code Base<Integer>}, {@code IntInner extends Outer<Integer>.Inner} declared {@code Outer<String>.Inner}): what it
   * fixes, for the message; null when nothing is fixed so. No code hands such an object out as the declared type but
   * through an unchecked cast, and below it the walk follows the class's own binding. A variable the class leaves to
   * the declaration, or to nothing through a raw supertype ({@code Json extends LinkedHashMap}), is not fixed. Where
   * the declaration ({@code declaredType}) says {@code ? super L}, what is fixed must take an L: a caller hands it one
   * ({@code StrBase} declared {@code Base<? super Integer>}, {@code Tags} a {@code List<? super Integer>}).
   */
  private static String conflict(Class<?> runtime, Map<TypeVariable<?>, Scoped> own, Scoped declaredType,
      Class<?> declaredRaw, Map<TypeVariable<?>, Scoped> declaredScope) {
    Map<TypeVariable<?>, Scoped> fixedScope = runtime == declaredRaw ? null
        : scopeBelow(runtime, own, declaredRaw, false);
    if (fixedScope == null) {
      return null;
    }
    for (Class<?> k = declaredRaw; k != null; k = isInner(k) ? k.getEnclosingClass() : null) {
      for (TypeVariable<?> variable : k.getTypeParameters()) {
        String conflict = conflictOver(variable, fixedScope.get(variable), declaredScope.get(variable), declaredType);
        if (conflict != null) {
          return conflict;
        }
      }
    }
    return null;
  }

  /**
   * {@link #conflict} for one variable: {@code written}, what the object's class fixes it to (null when nothing),
   * against {@code declared}, the declaration's binding (null when it leaves it open).
   */
  private static String conflictOver(TypeVariable<?> variable, Scoped written, Scoped declared, Scoped declaredType) {
    Scoped lower = declared == null ? lowerBound(declaredType, variable) : null;
    if (declared == null && lower == null || written == null) {
      return null;
    }
    Scoped fixed = bindingOf(written);
    boolean refused;
    if (!(fixed.type instanceof Class<?>) && namesUnbound(fixed, new int[] {COMPARED_NODES})) {
      // Not wholly fixed (List<X> where the declaration did not bind X): no binding of X makes it imply an Integer.
      refused = declared != null ? !mayImply(fixed, declared) : !mayImply(lower, fixed);
    } else if (!(fixed.type instanceof Class<?>) && declared != null
        && resolve(declared).type instanceof TypeVariable<?> v) {
      // Declared as a variable of several bounds, whose values are each checked against every bound where they have
      // something below; what is fixed must imply the first, the variable's erasure, at least: a value with nothing
      // below it (a LocalDateTime as a Comparable<T> of T extends Number & Comparable<T>) is checked nowhere else
      // (attack review 42). One bound an interface, as RandomAccess, may be met by the values themselves.
      refused = contradicts(fixed, new Scoped(v.getBounds()[0], resolve(declared).scope));
    } else {
      refused = declared != null ? contradicts(fixed, declared) : contradicts(lower, fixed);
    }
    return refused ? "whose class makes " + ((Class<?>) variable.getGenericDeclaration()).getSimpleName() + "'s "
        + variable.getName() + " " + named(resolve(fixed)) : null;
  }

  /**
   * The L of {@code declared}'s argument {@code ? super L} for {@code variable} (of the declared class or of one
   * enclosing it), in the declaration's scope: what a caller may hand the object as that variable, though it reads
   * only {@code Object}s back. Null for any other argument, and where L is a variable nothing binds.
   */
  private static Scoped lowerBound(Scoped declared, TypeVariable<?> variable) {
    if (!(variable.getGenericDeclaration() instanceof Class<?> owner)) {
      return null;
    }
    Type t = declared.type;
    while (t instanceof ParameterizedType p && erasure(p) != owner) {
      t = p.getOwnerType();
    }
    int index = Arrays.asList(owner.getTypeParameters()).indexOf(variable);
    if (!(t instanceof ParameterizedType p) || index < 0 || index >= p.getActualTypeArguments().length
        || !(p.getActualTypeArguments()[index] instanceof WildcardType w) || w.getLowerBounds().length == 0) {
      return null;
    }
    Scoped lower = bindingOf(new Scoped(w.getLowerBounds()[0], declared.scope));
    return lower.type instanceof TypeVariable<?> || lower.type instanceof WildcardType ? null : lower;
  }

  /**
   * Whether {@code fixed} is known not to imply {@code declared}. Past the budget it is not known: the walk checks a
   * container's values against both types instead.
   */
  private static boolean contradicts(Scoped fixed, Scoped declared) {
    int[] budget = {COMPARED_NODES};
    return !implies(fixed, declared, budget) && budget[0] >= 0;
  }

  /**
   * Whether some binding of the variables {@code a} or {@code b} leave open could make {@code a} imply {@code b}, as
   * far as their classes tell: a {@code List<X>} or an {@code X[]} never implies an {@code Integer}, whatever X is.
   * True where a variable or a wildcard leaves the class open.
   */
  private static boolean mayImply(Scoped a, Scoped b) {
    Scoped from = bindingOf(a);
    Scoped to = resolve(b);
    if (from.type instanceof GenericArrayType f) {
      Class<?> target = erasure(to);
      if (!target.isArray()) {
        return target.isAssignableFrom(Object[].class);
      }
      return mayImply(new Scoped(f.getGenericComponentType(), from.scope), to.type instanceof GenericArrayType g
          ? new Scoped(g.getGenericComponentType(), to.scope) : new Scoped(target.getComponentType(), NONE));
    }
    if (!(from.type instanceof Class<?>) && !(from.type instanceof ParameterizedType)
        || to.type instanceof TypeVariable<?>) {
      return true;
    }
    return erasure(to).isAssignableFrom(erasure(from.type));
  }

  /**
   * The scope of {@code runtime}'s variables as the declared type, of class {@code declaredRaw} and scope
   * {@code known}, fixes them: {@code BoxImpl<T> implements Box<T>} declared {@code Box<String>} binds {@code T} to
   * {@code String}. Found through the supertypes that lead from {@code runtime} to {@code declaredRaw}, interfaces and
   * enclosing classes included; a variable the declared type does not fix is left to its bounds.
   */
  private static Map<TypeVariable<?>, Scoped> inferred(Class<?> runtime, Class<?> declaredRaw,
      Map<TypeVariable<?>, Scoped> known) {
    return inferred(runtime, declaredRaw, known, 0);
  }

  /** {@link #inferred}, {@code depth} levels into a unification ({@link #unify}), which bounds it. */
  private static Map<TypeVariable<?>, Scoped> inferred(Class<?> runtime, Class<?> declaredRaw,
      Map<TypeVariable<?>, Scoped> known, int depth) {
    if (known.isEmpty()) {
      // A declared Object, a plain class or a raw type fixes nothing below it.
      return NONE;
    }
    List<Type> path = pathTo(runtime, declaredRaw, 0);
    if (path == null) {
      return NONE;
    }
    // From the declared type down: each supertype as its subclass wrote it, matched against what is known of it.
    Map<TypeVariable<?>, Scoped> scope = known;
    for (int i = path.size() - 1; i >= 0; i--) {
      Map<TypeVariable<?>, Scoped> below = new HashMap<>();
      unifyScope(path.get(i), scope, below, depth);
      scope = below;
    }
    return scope;
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
      Class<?> raw = erasure(supertype);
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
   * Binds, into {@code out}, the variables {@code written} names in its arguments (and its enclosing type's) to what
   * {@code known} binds the corresponding variables of its class to.
   */
  private static void unifyScope(Type written, Map<TypeVariable<?>, Scoped> known, Map<TypeVariable<?>, Scoped> out,
      int depth) {
    if (depth > 32 || !(written instanceof ParameterizedType w) || !(w.getRawType() instanceof Class<?> raw)) {
      return;
    }
    TypeVariable<?>[] variables = raw.getTypeParameters();
    Type[] arguments = w.getActualTypeArguments();
    for (int v = 0; v < variables.length && v < arguments.length; v++) {
      Scoped actual = known.get(variables[v]);
      if (actual != null) {
        unify(arguments[v], actual, out, depth + 1);
      }
    }
    unifyScope(w.getOwnerType(), known, out, depth + 1);
  }

  /**
   * Binds the variables of {@code written} to the parts of {@code actual} they stand for: {@code List<T>} and
   * {@code List<String>} bind {@code T} to {@code String}, and so do {@code ArrayList<T>} and {@code List<String>}.
   */
  private static void unify(Type written, Scoped actual, Map<TypeVariable<?>, Scoped> out, int depth) {
    if (depth > 32) {
      return;
    }
    Scoped a = resolve(actual);
    if (written instanceof TypeVariable<?> v) {
      out.putIfAbsent(v, bindingOf(actual));
    } else if (written instanceof ParameterizedType w && a.type instanceof ParameterizedType p
        && w.getRawType() == p.getRawType()) {
      unifyScope(w, scopeOf(p, a.scope), out, depth + 1);
    } else if (written instanceof ParameterizedType w && a.type instanceof ParameterizedType p
        && w.getRawType() instanceof Class<?> sub && erasure(p).isAssignableFrom(sub)) {
      // A subclass written where its supertype is known (ArrayList<X> where a List<Integer> is): its own variables
      // as that supertype binds them, as an object's are found from its declared type.
      unifyScope(w, inferred(sub, erasure(p), scopeOf(p, a.scope), depth + 1), out, depth + 1);
    } else if (written instanceof GenericArrayType w && a.type instanceof GenericArrayType g) {
      unify(w.getGenericComponentType(), new Scoped(g.getGenericComponentType(), a.scope), out, depth + 1);
    } else if (written instanceof GenericArrayType w && a.type instanceof Class<?> c && c.isArray()) {
      unify(w.getGenericComponentType(), new Scoped(c.getComponentType(), NONE), out, depth + 1);
    }
  }

  /**
   * The scope of the class of {@code type}, written in {@code outer}: its variables (and its enclosing classes') bound
   * to its arguments, each resolved in {@code outer}. A raw or plain class binds nothing; a wildcard with no upper
   * bound ({@code ?}, {@code ? super X}) leaves its variable to the variable's own bounds.
   */
  private static Map<TypeVariable<?>, Scoped> scopeOf(Type type, Map<TypeVariable<?>, Scoped> outer) {
    if (!(type instanceof ParameterizedType p) || !(p.getRawType() instanceof Class<?> raw)) {
      return NONE;
    }
    Map<TypeVariable<?>, Scoped> scope = new HashMap<>(scopeOf(p.getOwnerType(), outer));
    TypeVariable<?>[] variables = raw.getTypeParameters();
    Type[] arguments = p.getActualTypeArguments();
    for (int i = 0; i < variables.length && i < arguments.length; i++) {
      if (!isOpen(arguments[i])) {
        // A wildcard stays one (? extends Number), resolved to its bound where a value is checked against it.
        scope.put(variables[i], bindingOf(new Scoped(arguments[i], outer)));
      }
    }
    return scope;
  }

  /** A wildcard that bounds nothing from above: {@code ?} or {@code ? super X}. */
  private static boolean isOpen(Type argument) {
    return argument instanceof WildcardType w && w.getUpperBounds()[0] == Object.class;
  }

  /**
   * The {@code index}th type argument of {@code target} (a supertype of {@code start}) for an object of
   * {@code start} whose variables {@code scope} binds, found through the generic superclasses and interfaces;
   * {@code Object} when the declaration does not say.
   */
  private static Scoped argument(Class<?> start, Map<TypeVariable<?>, Scoped> scope, Class<?> target, int index) {
    Scoped found = argumentBelow(start, scope, target, index);
    return found != null ? resolve(found) : OBJECT;
  }

  /**
   * {@link #argument} as its variable, not yet resolved; null when {@code target} is not a supertype of {@code k}.
   */
  private static Scoped argumentBelow(Class<?> k, Map<TypeVariable<?>, Scoped> scope, Class<?> target, int index) {
    Map<TypeVariable<?>, Scoped> found = scopeBelow(k, scope, target, false);
    return found == null ? null : new Scoped(target.getTypeParameters()[index], found);
  }

  /**
   * The scope of {@code target}'s variables, and of the classes enclosing it, for an object of {@code k} whose
   * variables {@code scope} binds: {@link #NONE} above a raw supertype, null when {@code target} is not a supertype of
   * {@code k}.
   */
  private static Map<TypeVariable<?>, Scoped> scopeBelow(Class<?> k, Map<TypeVariable<?>, Scoped> scope,
      Class<?> target, boolean erased) {
    if (k == target) {
      return erased ? NONE : scope;
    }
    // Host classes: the recursion is as deep as their hierarchy. Only a supertype on the way gets a scope made. Above
    // a raw supertype (Legacy extends RawMid) every supertype is erased, as the language has it.
    Type superclass = k.getGenericSuperclass();
    Type[] interfaces = k.getGenericInterfaces();
    for (int i = 0; i <= interfaces.length; i++) {
      Type parent = i < interfaces.length ? interfaces[i] : superclass;
      Class<?> raw = parent == null ? null : erasure(parent);
      if (raw == null || !target.isAssignableFrom(raw)) {
        continue;
      }
      boolean rawUse = parent instanceof Class<?> && raw.getTypeParameters().length > 0;
      Map<TypeVariable<?>, Scoped> found = scopeBelow(raw, erased || rawUse ? NONE : scopeOf(parent, scope), target,
          erased || rawUse);
      if (found != null) {
        return found;
      }
    }
    return null;
  }

  /**
   * The types a container's values are checked against, given the one its declared type gives and the one its own
   * class gives: the one that implies the other, else both (the declared one first).
   */
  private static Scoped[] stricter(Scoped declared, Scoped own) {
    if (implies(declared, own, new int[] {COMPARED_NODES})) {
      return new Scoped[] {declared, null};
    }
    if (implies(own, declared, new int[] {COMPARED_NODES})) {
      return new Scoped[] {own, null};
    }
    return new Scoped[] {declared, own};
  }

  /**
   * Whether every value the walk accepts as {@code a} it would also accept as {@code b}, as far as {@code budget}
   * type nodes tell; false when they do not. The walk checks values, not types, so a type argument that implies the
   * other's is enough ({@code List<Integer>} implies {@code List<Number>} here).
   */
  private static boolean implies(Scoped a, Scoped b, int[] budget) {
    Scoped to = resolve(b);
    if (to.type == Object.class) {
      return true;
    }
    if (--budget[0] < 0) {
      return false;
    }
    Scoped from = resolve(a);
    if (from.type == to.type && from.scope == to.scope) {
      return true;
    }
    if (to.type instanceof TypeVariable<?> v && !(from.type instanceof TypeVariable<?>)) {
      // A variable of several bounds: the walk holds a value to each of them.
      for (Type bound : v.getBounds()) {
        if (!implies(from, new Scoped(bound, to.scope), budget)) {
          return false;
        }
      }
      return true;
    }
    if (from.type instanceof TypeVariable<?> || to.type instanceof TypeVariable<?>
        || !erasure(to).isAssignableFrom(erasure(from))) {
      return false;
    }
    if (to.type instanceof Class<?>) {
      // A plain or raw class: nothing below it is held to more than the object's class says.
      return true;
    }
    if (to.type instanceof GenericArrayType g) {
      Scoped component = from.type instanceof GenericArrayType f ? new Scoped(f.getGenericComponentType(), from.scope)
          : new Scoped(erasure(from).getComponentType(), NONE);
      return implies(component, new Scoped(g.getGenericComponentType(), to.scope), budget);
    }
    if (!(to.type instanceof ParameterizedType p)) {
      return false;
    }
    Class<?> target = erasure(p);
    Map<TypeVariable<?>, Scoped> fromScope = scopeOf(from.type, from.scope);
    Map<TypeVariable<?>, Scoped> toScope = scopeOf(p, to.scope);
    if (p.getOwnerType() instanceof ParameterizedType) {
      // The enclosing classes' variables count too: compared where both are of the one class, each binding of the
      // target implied by the source's (one the source leaves open is held to less).
      if (erasure(from.type) != target) {
        return false;
      }
      for (Map.Entry<TypeVariable<?>, Scoped> binding : toScope.entrySet()) {
        Scoped source = fromScope.get(binding.getKey());
        if (source == null || !implies(source, binding.getValue(), budget)) {
          return false;
        }
      }
      return true;
    }
    TypeVariable<?>[] variables = target.getTypeParameters();
    for (int i = 0; i < variables.length; i++) {
      // A variable the target leaves open is held to its bounds, which the source's argument is within; one it
      // declares ? super L must take an L (a Comparator<String> is no Comparator<? super Integer>, review 42).
      Scoped bound = toScope.get(variables[i]);
      Scoped lower = bound == null ? lowerBound(to, variables[i]) : null;
      if (bound != null && !implies(argument(erasure(from.type), fromScope, target, i), bound, budget)
          || lower != null && !implies(lower, argument(erasure(from.type), fromScope, target, i), budget)) {
        return false;
      }
    }
    return true;
  }

  /**
   * {@code type} with a bound variable replaced by its binding; an unbound variable or a wildcard by its upper bound,
   * except a variable of several bounds, which stays itself so that each of them is checked ({@link #otherBounds}).
   */
  private static Scoped resolve(Scoped type) {
    Scoped t = type;
    for (int guard = 0; guard < 32; guard++) {
      if (t.type instanceof Class<?>) {
        return t;
      } else if (t.type instanceof TypeVariable<?> v) {
        Scoped b = t.scope.get(v);
        if (b != null) {
          t = b;
          continue;
        }
        Type[] bounds = v.getBounds();
        if (bounds.length > 1) {
          return t;
        }
        t = new Scoped(bounds[0], t.scope);
      } else if (t.type instanceof WildcardType w) {
        t = new Scoped(w.getUpperBounds()[0], t.scope);
      } else {
        return t;
      }
    }
    return OBJECT;
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
   * What a JDK container's own type says against its declared one, when they contradict: a sorted collection's or a
   * priority queue's comparator that compares another type than its declared elements ({@code TreeSet<Integer>} with
   * {@code String.CASE_INSENSITIVE_ORDER}), an enum set or an empty enum map of another enum class. Null when they do
   * not. Empty, such a container holds nothing the walk would check, and the caller's first insertion would throw.
   */
  private static String ownTypeConflict(Object value, Shape shape) {
    Comparator<?> comparator = value instanceof SortedSet<?> set ? set.comparator()
        : value instanceof SortedMap<?, ?> map ? map.comparator()
        : value instanceof PriorityQueue<?> queue ? queue.comparator()
        : value instanceof PriorityBlockingQueue<?> queue ? queue.comparator() : null;
    if (comparator != null) {
      // Only against a type the declaration fixes: nothing can be inserted through a Set<? extends X>.
      Scoped other = shape.compared == null ? null : comparesOtherwise(comparator.getClass(), shape.compared);
      return other == null ? null : "whose comparator, a " + comparator.getClass().getName() + ", compares "
          + named(other);
    }
    if (value instanceof EnumSet<?> set) {
      Class<?> elements = elementClass(set);
      return elements == null || isOfEnum(elements, shape) ? null : "whose elements are of " + elements.getName();
    }
    if (value instanceof EnumMap<?, ?> map) {
      if (!map.isEmpty()) {
        Class<?> keys = ((Enum<?>) map.keySet().iterator().next()).getDeclaringClass();
        return isOfEnum(keys, shape) ? null : "whose keys are of " + keys.getName();
      }
      Class<?> declared = erasure(shape.compared != null ? shape.compared : resolve(shape.first));
      if (declared.isEnum() && declared.getEnumConstants().length > 0
          && !takesKey(map, declared.getEnumConstants()[0])) {
        return "whose keys are of another enum class than " + declared.getName();
      }
    }
    return null;
  }

  /**
   * Whether an enum set or map of {@code enumClass} may be declared as {@code shape} says: of that very enum where the
   * declaration fixes the type ({@code E extends Enum<E>}: no code makes a {@code Set<HasLabel>} of one), else of a
   * class it is an instance of.
   */
  private static boolean isOfEnum(Class<?> enumClass, Shape shape) {
    return shape.compared != null ? erasure(shape.compared) == enumClass
        : erasure(resolve(shape.first).type).isAssignableFrom(enumClass);
  }

  /** The enum class of an enum set, empty or not; null when that class has no constants. */
  private static <E extends Enum<E>> Class<?> elementClass(EnumSet<E> set) {
    EnumSet<E> all = EnumSet.complementOf(set);
    all.addAll(set);
    return all.isEmpty() ? null : all.iterator().next().getDeclaringClass();
  }

  /** Whether a copy of an enum map takes {@code key}: an enum map keeps its key class to itself. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private static boolean takesKey(EnumMap<?, ?> map, Object key) {
    try {
      new EnumMap(map).put(key, null);
      return true;
    } catch (ClassCastException e) {
      return false;
    }
  }

  /**
   * What a {@code Class} or a comparator declared with a type argument is, when it contradicts that argument: a
   * {@code Class<? extends Number>} that is {@code String.class}, a {@code Comparator<Integer>} that compares strings.
   * Null when it does not. The argument describes no value the walk reaches, so it is checked here.
   */
  private static String heldType(Object value, Scoped type) {
    if (!(type.type instanceof ParameterizedType p)) {
      return null;
    }
    Scoped argument = bindingOf(new Scoped(p.getActualTypeArguments()[0], type.scope));
    Type[] lower = argument.type instanceof WildcardType w ? w.getLowerBounds() : null;
    if (value instanceof Class<?> c) {
      Class<?> boxed = c.isPrimitive() ? MethodType.methodType(c).wrap().returnType() : c;
      boolean fits;
      if (lower != null && lower.length > 0) {
        fits = boxed.isAssignableFrom(erasure(resolve(new Scoped(lower[0], argument.scope))));
      } else if (lower != null || !(argument.type instanceof Class<?>) && argument.type instanceof TypeVariable<?>) {
        // ? extends X, or a variable nothing binds: any class within the bound (int.class is a Class<Integer>).
        fits = erasure(resolve(argument)).isAssignableFrom(boxed);
      } else {
        fits = erasure(resolve(argument)) == boxed;
      }
      return fits ? null : "the class " + c.getName();
    }
    if (lower != null && lower.length == 0 || !(argument.type instanceof Class<?>)
        && argument.type instanceof TypeVariable<?>) {
      // Comparator<? extends X>, or of a variable nothing binds: nothing is known to be handed to it.
      return null;
    }
    Scoped other = comparesOtherwise(value.getClass(), lower != null ? new Scoped(lower[0], argument.scope)
        : argument);
    return other == null ? null : "a " + value.getClass().getName() + ", which compares " + named(other);
  }

  /**
   * What a comparator of class {@code comparator} compares, by its class's declaration, when that is not implied by
   * {@code compared}, the type of what it is declared to compare; null when it can compare that, or its class does not
   * say (a variable).
   */
  private static Scoped comparesOtherwise(Class<?> comparator, Scoped compared) {
    Scoped written = argumentBelow(comparator, NONE, Comparator.class, 0);
    Scoped own = written == null ? null : bindingOf(written);
    if (own == null || !(own.type instanceof Class<?>) && own.type instanceof TypeVariable<?>
        || erasure(resolve(own).type) == Comparable.class) {
      // Says nothing, or orders naturally: Collections.reverseOrder() is a Comparator<Comparable<Object>> by its
      // class and a Comparator<T> for any T by its factory, as a sorted set without a comparator is.
      return null;
    }
    int[] budget = {COMPARED_NODES};
    return implies(compared, own, budget) || budget[0] < 0 ? null : resolve(own);
  }

  /**
   * What a value of {@code type} (resolved) holds is given by one of its bounds when it is a variable of several: the
   * first with type arguments, the {@code String} of {@code T extends Serializable & List<String>}, else the first.
   */
  private static Scoped walkedBound(Scoped type) {
    if (!(type.type instanceof TypeVariable<?> v)) {
      return type;
    }
    Type walked = v.getBounds()[0];
    for (Type bound : v.getBounds()) {
      if (bound instanceof ParameterizedType) {
        walked = bound;
        break;
      }
    }
    return resolve(new Scoped(walked, type.scope));
  }

  /**
   * {@code type} with a bound variable replaced by its binding, as often as that is a bound variable too; a variable
   * nothing binds stays itself.
   */
  private static Scoped bindingOf(Scoped type) {
    Scoped t = type;
    for (int guard = 0; guard < 32 && !(t.type instanceof Class<?>) && t.type instanceof TypeVariable<?> v
        && t.scope.get(v) != null; guard++) {
      t = t.scope.get(v);
    }
    return t;
  }

  /**
   * A type as a message names it: a variable with its bounds, {@code T extends A & B}, else with the bindings of its
   * variables written out, cut after {@link #NAME_LENGTH} characters.
   */
  private static String named(Scoped type) {
    if (type.type instanceof TypeVariable<?> v) {
      return v.getName() + " extends " + String.join(" & ", Arrays.stream(v.getBounds()).map(Type::getTypeName)
          .toList());
    }
    StringBuilder name = new StringBuilder();
    name(type, name);
    return name.length() <= NAME_LENGTH ? name.toString() : name.substring(0, NAME_LENGTH) + "...";
  }

  /**
   * Appends the name of {@code type}, its variables' bindings written out, until the name is {@link #NAME_LENGTH}
   * long: each part looks at the length first, so the work is bounded by it, not by the type's size written out.
   */
  private static void name(Scoped type, StringBuilder out) {
    if (out.length() >= NAME_LENGTH) {
      return;
    }
    // Bindings are followed, but a variable nothing binds is named, not expanded: T extends Comparable<T> would not
    // end.
    Scoped t = bindingOf(type);
    if (t.type instanceof Class<?> c) {
      out.append(c.getTypeName());
    } else if (t.type instanceof ParameterizedType p) {
      if (p.getOwnerType() instanceof ParameterizedType owner) {
        name(new Scoped(owner, t.scope), out);
        out.append('$').append(erasure(p).getSimpleName());
      } else {
        out.append(erasure(p).getName());
      }
      Type[] arguments = p.getActualTypeArguments();
      if (arguments.length > 0) {
        // An inner class of a generic class may have no arguments of its own: Outer<String>.Inner.
        out.append('<');
        for (int i = 0; i < arguments.length && out.length() < NAME_LENGTH; i++) {
          name(new Scoped(arguments[i], t.scope), out.append(i == 0 ? "" : ", "));
        }
        out.append('>');
      }
    } else if (t.type instanceof WildcardType w) {
      Type[] lower = w.getLowerBounds();
      Type upper = w.getUpperBounds()[0];
      if (lower.length > 0) {
        name(new Scoped(lower[0], t.scope), out.append("? super "));
      } else if (upper == Object.class) {
        out.append('?');
      } else {
        name(new Scoped(upper, t.scope), out.append("? extends "));
      }
    } else if (t.type instanceof GenericArrayType g) {
      name(new Scoped(g.getGenericComponentType(), t.scope), out);
      out.append("[]");
    } else {
      out.append(t.type.getTypeName());
    }
  }

  /**
   * Whether {@code type} names a variable that nothing binds, anywhere in it; true, too, past {@code budget} nodes.
   */
  private static boolean namesUnbound(Scoped type, int[] budget) {
    if (--budget[0] < 0) {
      return true;
    }
    Scoped t = bindingOf(type);
    if (t.type instanceof Class<?>) {
      return false;
    }
    if (t.type instanceof TypeVariable<?>) {
      return true;
    }
    if (t.type instanceof GenericArrayType g) {
      return namesUnbound(new Scoped(g.getGenericComponentType(), t.scope), budget);
    }
    if (t.type instanceof WildcardType w) {
      Type[] lower = w.getLowerBounds();
      return namesUnbound(new Scoped(lower.length > 0 ? lower[0] : w.getUpperBounds()[0], t.scope), budget);
    }
    if (t.type instanceof ParameterizedType p) {
      for (Type argument : p.getActualTypeArguments()) {
        if (namesUnbound(new Scoped(argument, t.scope), budget)) {
          return true;
        }
      }
      return p.getOwnerType() instanceof ParameterizedType owner && namesUnbound(new Scoped(owner, t.scope), budget);
    }
    return true;
  }

  /** {@link #erasure(Type)} with an array's component resolved in its scope: {@code T[]} with T a String. */
  private static Class<?> erasure(Scoped type) {
    return type.type instanceof GenericArrayType g
        ? Array.newInstance(erasure(resolve(new Scoped(g.getGenericComponentType(), type.scope))), 0).getClass()
        : erasure(type.type);
  }

  /** The class a value of {@code type} is an instance of, whatever its variables are bound to. */
  static Class<?> erasure(Type type) {
    if (type instanceof Class<?> c) {
      return c;
    }
    if (type instanceof TypeVariable<?> v) {
      return erasure(v.getBounds()[0]);
    }
    if (type instanceof ParameterizedType p && p.getRawType() instanceof Class<?> c) {
      return c;
    }
    if (type instanceof GenericArrayType g) {
      return Array.newInstance(erasure(g.getGenericComponentType()), 0).getClass();
    }
    return Object.class;
  }
}
