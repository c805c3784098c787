package dev.airlock.internal.codec;

import dev.airlock.SandboxCall;
import java.lang.invoke.MethodHandleInfo;
import java.lang.invoke.MethodType;
import java.lang.invoke.SerializedLambda;
import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.MalformedParameterizedTypeException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The classes a result from a sandbox may name, by exact name. Decoding runs the {@code hashCode}, {@code equals}
 * and {@code compareTo} of what it builds, so whoever chooses the classes chooses the code: the worker must not.
 * Admitted are the JDK value and collection types below, the classes the called method's signature reaches (its
 * declared return type, and recursively the declared field and record-component types of every class admitted that
 * way, their type arguments and sealed subclasses), and the entries of {@code airlock.allowed-classes}: exact class
 * names, or a package wildcard {@code com.acme.*} written out by the user. Nothing is admitted by package
 * implicitly. {@link GadgetDenylist} stands behind all of it. It also carries the declared return type itself, which
 * {@link ResultTypes} holds a decoded result to: the classes say what may be built, the type where each may stand.
 */
public final class ClassAllowlist {

  private static final Set<String> JDK_CLASSES = Set.of(
      "java.lang.Object", "java.lang.String", "java.lang.Boolean", "java.lang.Byte", "java.lang.Character",
      "java.lang.Short", "java.lang.Integer", "java.lang.Long", "java.lang.Float", "java.lang.Double",
      "java.lang.Void", "java.lang.StringBuilder", "java.lang.StringBuffer", "java.lang.Class",
      "java.lang.String$CaseInsensitiveComparator",
      "java.math.BigInteger", "java.math.BigDecimal",
      "java.util.ArrayList", "java.util.LinkedList", "java.util.ArrayDeque", "java.util.HashMap",
      "java.util.LinkedHashMap", "java.util.TreeMap", "java.util.HashSet", "java.util.LinkedHashSet",
      "java.util.TreeSet", "java.util.EnumMap", "java.util.RegularEnumSet", "java.util.JumboEnumSet",
      "java.util.Optional", "java.util.OptionalInt", "java.util.OptionalLong", "java.util.OptionalDouble",
      "java.util.UUID", "java.util.Date", "java.util.Locale", "java.util.Currency", "java.util.BitSet",
      "java.util.Arrays$ArrayList", "java.util.Collections$ReverseComparator",
      "java.util.Comparators$NaturalOrderComparator",
      "java.util.Collections$EmptyList", "java.util.Collections$EmptySet", "java.util.Collections$EmptyMap",
      "java.util.Collections$SingletonList", "java.util.Collections$SingletonSet",
      "java.util.Collections$SingletonMap", "java.util.Collections$UnmodifiableList",
      "java.util.Collections$UnmodifiableRandomAccessList", "java.util.Collections$UnmodifiableSet",
      "java.util.Collections$UnmodifiableMap", "java.util.Collections$UnmodifiableCollection",
      "java.util.Collections$UnmodifiableSortedSet", "java.util.Collections$UnmodifiableSortedMap",
      "java.util.Collections$UnmodifiableNavigableSet", "java.util.Collections$UnmodifiableNavigableMap",
      "java.util.ImmutableCollections$List12", "java.util.ImmutableCollections$ListN",
      "java.util.ImmutableCollections$SubList", "java.util.ImmutableCollections$Set12",
      "java.util.ImmutableCollections$SetN", "java.util.ImmutableCollections$Map1",
      "java.util.ImmutableCollections$MapN",
      "java.util.concurrent.ConcurrentHashMap", "java.util.concurrent.CopyOnWriteArrayList",
      "java.net.URI");

  private static final List<String> JDK_PREFIXES = List.of("java.time.");
  /**
   * The dimensions of the arrays a result may hold where its declared type names none deeper. The JVM makes each
   * array class on first use, with the arrays of its supertypes, and never unloads them: admitted at any depth up to
   * 255, a 37 KB result naming 130 admitted classes at every depth made the host load classes of 155 MiB for good
   * (attack review 41), and took 2 s doing it.
   */
  static final int MIN_ARRAY_DIMENSIONS = 2;
  private static final ClassAllowlist JDK_ONLY = new ClassAllowlist(Set.of(), List.of(), Object.class, null, null,
      MIN_ARRAY_DIMENSIONS);

  /** Exact class names (binary names, {@code com.acme.Order$Line}). */
  private final Set<String> exact;
  /** Packages written as {@code com.acme.*}, stored as {@code com.acme.}: classes directly in them. */
  private final List<String> packages;

  /** The type the call's code declares it returns ({@link ResultTypes}); {@code Object} when none is known. */
  private final Type resultType;
  /**
   * The class of the object the method was called on, whose supertypes bind the type variables of the method's class
   * ({@link #resultDeclarer}) in {@link #resultType}: {@code List<T>} of a {@code CrudTool<T>} called on a
   * {@code UserTool extends CrudTool<User>} is a {@code List<User>}. Null when the call has no receiver.
   */
  private final Class<?> resultOwner;
  /** The class declaring the called method; null when {@link #resultOwner} is. */
  private final Class<?> resultDeclarer;
  /** The deepest array a result may hold: {@link #MIN_ARRAY_DIMENSIONS}, or deeper where the declared type says. */
  private final int maxArrayDimensions;

  private ClassAllowlist(Set<String> exact, List<String> packages, Type resultType, Class<?> resultOwner,
      Class<?> resultDeclarer, int maxArrayDimensions) {
    // Denied names are dropped here, once, so that admitting a class costs one lookup on every decode.
    this.exact = exact.stream().filter(name -> !GadgetDenylist.denies(name)).collect(Collectors.toUnmodifiableSet());
    this.packages = List.copyOf(packages);
    this.resultType = resultType;
    this.resultOwner = resultOwner;
    this.resultDeclarer = resultDeclarer;
    this.maxArrayDimensions = maxArrayDimensions;
  }

  /** JDK value types only. */
  public static ClassAllowlist jdkOnly() {
    return JDK_ONLY;
  }

  /** JDK value types plus {@code configured} entries: exact class names, or {@code com.acme.*} package wildcards. */
  public static ClassAllowlist of(Collection<String> configured) {
    Set<String> exact = new HashSet<>();
    List<String> packages = new ArrayList<>();
    for (String entry : configured) {
      String e = entry.strip();
      if (e.endsWith(".*")) {
        packages.add(e.substring(0, e.length() - 1));
      } else if (e.endsWith(".") || e.endsWith("*") || e.isEmpty()) {
        throw new IllegalArgumentException("airlock.allowed-classes entry '" + entry + "' is not a class name: name "
            + "each class a result may contain exactly (com.acme.Order), or write com.acme.* to admit every class "
            + "of one package, which lets a worker choose among all their hashCode/equals/compareTo methods");
      } else {
        exact.add(e);
      }
    }
    return new ClassAllowlist(exact, packages, Object.class, null, null, MIN_ARRAY_DIMENSIONS);
  }

  /**
   * For a call of {@code method} on {@code receiver}: JDK value types, the classes the method's declared return type
   * reaches, and {@code configured}. For {@code pool.call(lambda)} the method is {@link SandboxCall#call}, whose
   * return type says nothing; the lambda's implementation method (or the {@code call} method of a class
   * implementing {@code SandboxCall}) declares the type instead. Neither the receiver's nor any other package comes
   * with it.
   */
  public static ClassAllowlist forCall(Object receiver, Method method, List<String> configured) {
    return forCall(receiver, method, of(configured));
  }

  /** As {@link #forCall(Object, Method, List)}, with the configured entries already read by {@link #of}. */
  public static ClassAllowlist forCall(Object receiver, Method method, ClassAllowlist base) {
    Set<String> exact = new HashSet<>(base.exact);
    boolean lambda = method.getDeclaringClass() == SandboxCall.class && receiver != null;
    Type declared = lambda ? sandboxCallReturnType(receiver) : method.getGenericReturnType();
    Class<?> owner = lambda || receiver == null ? null : receiver.getClass();
    int dimensions = reachable(declared, owner == null ? Map.of() : bindings(owner), exact);
    return new ClassAllowlist(exact, base.packages, declared, owner, owner == null ? null : method.getDeclaringClass(),
        Math.max(MIN_ARRAY_DIMENSIONS, dimensions));
  }

  /** The type a result must have, type arguments included: the call's declared return type, or {@code Object}. */
  public Type resultType() {
    return resultType;
  }

  /** The receiver's class, which binds the type variables of {@link #resultDeclarer()} in the result type; or null. */
  public Class<?> resultOwner() {
    return resultOwner;
  }

  /** The class declaring the called method, when {@link #resultOwner()} is not null. */
  public Class<?> resultDeclarer() {
    return resultDeclarer;
  }

  /** The deepest array a result may hold. */
  int maxArrayDimensions() {
    return maxArrayDimensions;
  }

  /** Whether {@code name} is one of the JDK value and collection classes every result may hold. */
  static boolean isJdkValueType(String name) {
    if (JDK_CLASSES.contains(name)) {
      return true;
    }
    for (String p : JDK_PREFIXES) {
      if (name.startsWith(p)) {
        return true;
      }
    }
    return false;
  }

  public boolean allows(String className) {
    if (dimensions(className) > maxArrayDimensions) {
      return false;
    }
    String name = elementName(className);
    if (name.length() == 1) {
      return "ZBCSIJFD".contains(name);
    }
    if (exact.contains(name) || isJdkValueType(name)) {
      return true;
    }
    for (String p : packages) {
      if (name.startsWith(p) && name.indexOf('.', p.length()) < 0) {
        return !GadgetDenylist.denies(name);
      }
    }
    return false;
  }

  /**
   * Whether {@code className} is admitted by an exact name, not by a prefix or wildcard: only such names are bounded
   * in number, so only they may be looked up before their class file is known to exist ({@link ClassFiles}).
   */
  boolean exactly(String className) {
    String name = elementName(className);
    return name.length() == 1 || JDK_CLASSES.contains(name) || exact.contains(name);
  }

  /**
   * The class name of an array descriptor's elements ({@code [Lcom.acme.Order;}), or the name itself. The brackets
   * are counted, then cut once: the name is the worker's, and cut one bracket at a time, a name of 400,000 of them
   * had copied its rest 400,000 times (4 s of the host's CPU, 40 minutes at the result size limit).
   */
  static String elementName(String className) {
    String name = className.substring(dimensions(className));
    if (name.startsWith("L") && name.endsWith(";")) {
      name = name.substring(1, name.length() - 1);
    }
    return name;
  }

  /** The leading brackets of an array descriptor: its dimensions, or 0 for a class that is no array. */
  static int dimensions(String className) {
    int dimensions = 0;
    while (dimensions < className.length() && className.charAt(dimensions) == '[') {
      dimensions++;
    }
    return dimensions;
  }

  @Override
  public String toString() {
    return "JDK value types" + (exact.isEmpty() ? "" : " + " + exact.stream().sorted().toList())
        + (packages.isEmpty() ? "" : " + packages " + packages.stream().map(p -> p + "*").toList());
  }

  /** The declared return type of the code a {@link SandboxCall} runs. */
  private static Type sandboxCallReturnType(Object call) {
    Class<?> type = call.getClass();
    try {
      Method writeReplace = type.getDeclaredMethod("writeReplace");
      writeReplace.setAccessible(true);
      if (writeReplace.invoke(call) instanceof SerializedLambda lambda) {
        Class<?> impl = Class.forName(lambda.getImplClass().replace('/', '.'), false, type.getClassLoader());
        if (lambda.getImplMethodKind() == MethodHandleInfo.REF_newInvokeSpecial) {
          return impl; // Report::new returns a Report
        }
        for (Method m : impl.getDeclaredMethods()) {
          if (m.getName().equals(lambda.getImplMethodName())
              && MethodType.methodType(m.getReturnType(), m.getParameterTypes()).toMethodDescriptorString()
                  .equals(lambda.getImplMethodSignature())) {
            return m.getGenericReturnType();
          }
        }
        return Object.class;
      }
    } catch (NoSuchMethodException e) {
      // Not a lambda: a class implementing SandboxCall, below.
    } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
      return Object.class;
    }
    for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
      for (Method m : c.getDeclaredMethods()) {
        if (m.getName().equals("call") && m.getParameterCount() == 0 && !m.isBridge()) {
          return m.getGenericReturnType();
        }
      }
    }
    return Object.class;
  }

  /**
   * Adds the classes {@code root} reaches through declared types, without initializing any, and returns the deepest
   * array it names. A type variable stands for what {@code bound} gives it (the receiver's class fixing its class's
   * variables), else for its bounds.
   */
  private static int reachable(Type root, Map<TypeVariable<?>, Type> bound, Set<String> exact) {
    Deque<Type> todo = new ArrayDeque<>();
    Set<Type> seen = new HashSet<>();
    int deepest = 0;
    // An array of a variable (T[] of a Batch<T>) is as deep as what T stands for, plus its own brackets.
    int aroundVariables = 0;
    todo.add(root);
    while (!todo.isEmpty()) {
      Type type = todo.poll();
      if (!seen.add(type)) {
        continue;
      }
      deepest = Math.max(deepest, dimensions(type));
      if (type instanceof ParameterizedType p) {
        todo.add(p.getRawType());
        todo.addAll(List.of(p.getActualTypeArguments()));
      } else if (type instanceof GenericArrayType a) {
        Type element = a.getGenericComponentType();
        while (element instanceof GenericArrayType inner) {
          element = inner.getGenericComponentType();
        }
        if (element instanceof ParameterizedType p && p.getRawType() instanceof Class<?> raw) {
          admitAbstractJdkElement(raw, exact);
        } else if (element instanceof TypeVariable<?> v) {
          // Generic code makes a T[] of T's erasure, (T[]) new Comparable[n], or of what T is bound to.
          aroundVariables = Math.max(aroundVariables, dimensions(type));
          admitAbstractJdkElement(ResultTypes.erasure(v), exact);
          Type binding = bound.get(v);
          for (int i = 0; i < 8 && binding instanceof TypeVariable<?> next; i++) {
            binding = bound.get(next);
          }
          if (binding != null) {
            admitAbstractJdkElement(ResultTypes.erasure(binding), exact);
          }
        }
        todo.add(a.getGenericComponentType());
      } else if (type instanceof WildcardType w) {
        todo.addAll(List.of(w.getUpperBounds()));
      } else if (type instanceof TypeVariable<?> v) {
        Type binding = bound.get(v);
        todo.addAll(binding != null ? List.of(binding) : List.of(v.getBounds()));
      } else if (type instanceof Class<?> c) {
        if (c.isArray()) {
          while (c.isArray()) {
            c = c.getComponentType();
          }
          admitAbstractJdkElement(c, exact);
        }
        if (c.isPrimitive() || isJdk(c)) {
          if (c.isEnum()) {
            exact.add(c.getName());
          }
          continue;
        }
        if (c.isSealed()) {
          todo.addAll(List.of(c.getPermittedSubclasses()));
        }
        if (c.isInterface() || Modifier.isAbstract(c.getModifiers())) {
          // Declares no concrete class: a worker would choose one. Its own declared state is walked for
          // sealed hierarchies above; nothing else is admitted for it.
          continue;
        }
        exact.add(c.getName());
        try {
          if (c.isRecord()) {
            for (RecordComponent rc : c.getRecordComponents()) {
              todo.add(rc.getGenericType());
            }
          }
          for (Class<?> k = c; k != null && !isJdk(k); k = k.getSuperclass()) {
            for (Field f : k.getDeclaredFields()) {
              if (!Modifier.isStatic(f.getModifiers()) && !Modifier.isTransient(f.getModifiers())) {
                todo.add(f.getGenericType());
              }
            }
          }
        } catch (LinkageError | TypeNotPresentException | MalformedParameterizedTypeException e) {
          // A field type this JVM cannot load cannot arrive in a result either: nothing to admit for it.
        }
      }
    }
    return deepest + aroundVariables;
  }

  /**
   * Admits the name of a JDK interface or abstract class that a declared array holds ({@code Number[]},
   * {@code List<String>[]}), so that the array's class is admitted: no object of that class can be built, and its
   * elements are each judged by their own class.
   */
  private static void admitAbstractJdkElement(Class<?> type, Set<String> exact) {
    Class<?> element = type;
    while (element.isArray()) {
      element = element.getComponentType();
    }
    if (!element.isPrimitive() && isJdk(element)
        && (element.isInterface() || Modifier.isAbstract(element.getModifiers()))) {
      exact.add(element.getName());
    }
  }

  /** The dimensions of an array type as written ({@code List<String>[][]}, {@code int[][]}); 0 for any other. */
  private static int dimensions(Type type) {
    int dimensions = 0;
    while (type instanceof GenericArrayType a) {
      dimensions++;
      type = a.getGenericComponentType();
    }
    return type instanceof Class<?> c ? dimensions + dimensions(c.getName()) : dimensions;
  }

  /**
   * What {@code owner}'s generic supertypes, all the way up, give their classes' type variables, as written there
   * (one may name a variable of a class below, which this map binds in turn). Host classes only: the receiver's.
   */
  private static Map<TypeVariable<?>, Type> bindings(Class<?> owner) {
    Map<TypeVariable<?>, Type> out = new HashMap<>();
    Deque<Type> todo = new ArrayDeque<>(List.of(owner));
    Set<Class<?>> seen = new HashSet<>();
    while (!todo.isEmpty()) {
      Type type = todo.poll();
      Class<?> raw = type instanceof ParameterizedType p ? (Class<?>) p.getRawType() : (Class<?>) type;
      // Outer<String>.Inner binds Outer's variables too.
      for (Type t = type; t instanceof ParameterizedType p; t = p.getOwnerType()) {
        TypeVariable<?>[] variables = ((Class<?>) p.getRawType()).getTypeParameters();
        Type[] arguments = p.getActualTypeArguments();
        for (int i = 0; i < variables.length && i < arguments.length; i++) {
          out.putIfAbsent(variables[i], arguments[i]);
        }
      }
      if (!seen.add(raw)) {
        continue;
      }
      if (raw.getGenericSuperclass() != null) {
        todo.add(raw.getGenericSuperclass());
      }
      todo.addAll(List.of(raw.getGenericInterfaces()));
    }
    return out;
  }

  /** Defined by the JDK's own modules (boot or platform loader), which is decided by loader, never by name. */
  static boolean isJdk(Class<?> type) {
    ClassLoader loader = type.getClassLoader();
    return loader == null || loader == ClassLoader.getPlatformClassLoader();
  }
}
