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
import java.lang.reflect.WildcardType;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
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
      "java.util.ImmutableCollections$List12", "java.util.ImmutableCollections$ListN",
      "java.util.ImmutableCollections$SubList", "java.util.ImmutableCollections$Set12",
      "java.util.ImmutableCollections$SetN", "java.util.ImmutableCollections$Map1",
      "java.util.ImmutableCollections$MapN",
      "java.util.concurrent.ConcurrentHashMap", "java.util.concurrent.CopyOnWriteArrayList",
      "java.net.URI");

  private static final List<String> JDK_PREFIXES = List.of("java.time.");
  private static final ClassAllowlist JDK_ONLY = new ClassAllowlist(Set.of(), List.of(), Object.class);

  /** Exact class names (binary names, {@code com.acme.Order$Line}). */
  private final Set<String> exact;
  /** Packages written as {@code com.acme.*}, stored as {@code com.acme.}: classes directly in them. */
  private final List<String> packages;

  /** The type the call's code declares it returns ({@link ResultTypes}); {@code Object} when none is known. */
  private final Type resultType;

  private ClassAllowlist(Set<String> exact, List<String> packages, Type resultType) {
    // Denied names are dropped here, once, so that admitting a class costs one lookup on every decode.
    this.exact = exact.stream().filter(name -> !GadgetDenylist.denies(name)).collect(Collectors.toUnmodifiableSet());
    this.packages = List.copyOf(packages);
    this.resultType = resultType;
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
    return new ClassAllowlist(exact, packages, Object.class);
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
    Type declared = method.getDeclaringClass() == SandboxCall.class && receiver != null
        ? sandboxCallReturnType(receiver) : method.getGenericReturnType();
    reachable(declared, exact);
    return new ClassAllowlist(exact, base.packages, declared);
  }

  /** The type a result must have, type arguments included: the call's declared return type, or {@code Object}. */
  public Type resultType() {
    return resultType;
  }

  public boolean allows(String className) {
    String name = elementName(className);
    if (name.length() == 1) {
      return "ZBCSIJFD".contains(name);
    }
    if (JDK_CLASSES.contains(name) || exact.contains(name)) {
      return true;
    }
    for (String p : JDK_PREFIXES) {
      if (name.startsWith(p)) {
        return true;
      }
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
    int dimensions = 0;
    while (dimensions < className.length() && className.charAt(dimensions) == '[') {
      dimensions++;
    }
    String name = className.substring(dimensions);
    if (name.startsWith("L") && name.endsWith(";")) {
      name = name.substring(1, name.length() - 1);
    }
    return name;
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

  /** Adds the classes {@code root} reaches through declared types, without initializing any. */
  private static void reachable(Type root, Set<String> exact) {
    Deque<Type> todo = new ArrayDeque<>();
    Set<Type> seen = new HashSet<>();
    todo.add(root);
    while (!todo.isEmpty()) {
      Type type = todo.poll();
      if (!seen.add(type)) {
        continue;
      }
      if (type instanceof ParameterizedType p) {
        todo.add(p.getRawType());
        todo.addAll(List.of(p.getActualTypeArguments()));
      } else if (type instanceof GenericArrayType a) {
        todo.add(a.getGenericComponentType());
      } else if (type instanceof WildcardType w) {
        todo.addAll(List.of(w.getUpperBounds()));
      } else if (type instanceof Class<?> c) {
        while (c.isArray()) {
          c = c.getComponentType();
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
  }

  /** Defined by the JDK's own modules (boot or platform loader), which is decided by loader, never by name. */
  static boolean isJdk(Class<?> type) {
    ClassLoader loader = type.getClassLoader();
    return loader == null || loader == ClassLoader.getPlatformClassLoader();
  }
}
