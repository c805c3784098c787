package dev.airlock.internal.codec;

import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The classes a result from a sandbox may name. Everything else is refused before it is loaded: JDK value types and
 * collections, the packages of the called method's class and of its declared types, and configured prefixes.
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

  private final List<String> prefixes;

  private ClassAllowlist(Collection<String> prefixes) {
    this.prefixes = List.copyOf(prefixes);
  }

  /** JDK value types only, plus the given class-name prefixes ({@code com.acme.} or an exact class name). */
  public static ClassAllowlist of(Collection<String> prefixes) {
    return new ClassAllowlist(prefixes);
  }

  /**
   * For a call of {@code method} on {@code receiverClass}: JDK value types, the packages of the receiver's class, of
   * the declaring class, of the declared return, parameter and exception types, and the configured prefixes.
   */
  public static ClassAllowlist forCall(Class<?> receiverClass, Method method, List<String> configured) {
    Set<String> prefixes = new LinkedHashSet<>(configured);
    if (receiverClass != null) {
      addPackage(prefixes, receiverClass);
    }
    // For pool.call(lambda) the method is SandboxCall.call: the lambda's own class says whose code it is.
    if (method.getDeclaringClass() != dev.airlock.SandboxCall.class) {
      addPackage(prefixes, method.getDeclaringClass());
    }
    addTypes(prefixes, method.getGenericReturnType());
    for (Type t : method.getGenericParameterTypes()) {
      addTypes(prefixes, t);
    }
    for (Class<?> e : method.getExceptionTypes()) {
      addPackage(prefixes, e);
    }
    return new ClassAllowlist(new ArrayList<>(prefixes));
  }

  public boolean allows(String className) {
    String name = className;
    while (name.startsWith("[")) {
      name = name.substring(1);
    }
    if (name.length() == 1) {
      return "ZBCSIJFD".contains(name);
    }
    if (name.startsWith("L") && name.endsWith(";")) {
      name = name.substring(1, name.length() - 1);
    }
    if (JDK_CLASSES.contains(name)) {
      return true;
    }
    for (String p : JDK_PREFIXES) {
      if (name.startsWith(p)) {
        return true;
      }
    }
    for (String p : prefixes) {
      if (name.equals(p) || (p.endsWith(".") && name.startsWith(p)) || name.startsWith(p + "$")) {
        return true;
      }
    }
    return false;
  }

  /** A JDK throwable may be rebuilt on the host: constructing one runs no code of the sandbox's choosing. */
  public boolean allowsException(String className) {
    return allows(className) || className.startsWith("java.") || className.startsWith("javax.");
  }

  @Override
  public String toString() {
    return "JDK value types + " + prefixes;
  }

  private static void addTypes(Set<String> prefixes, Type type) {
    if (type instanceof Class<?> c) {
      while (c.isArray()) {
        c = c.getComponentType();
      }
      addPackage(prefixes, c);
    } else if (type instanceof ParameterizedType p) {
      addTypes(prefixes, p.getRawType());
      for (Type arg : p.getActualTypeArguments()) {
        addTypes(prefixes, arg);
      }
    }
  }

  private static void addPackage(Set<String> prefixes, Class<?> c) {
    if (c.isPrimitive() || c.isArray()) {
      return;
    }
    String pkg = c.getPackageName();
    // JDK packages are allowed class by class above, never wholesale: java.util alone holds gadgets.
    if (pkg.isEmpty() || pkg.startsWith("java.") || pkg.startsWith("javax.") || pkg.startsWith("jdk.")
        || pkg.startsWith("sun.") || pkg.startsWith("com.sun.")) {
      return;
    }
    prefixes.add(pkg + ".");
  }
}
