package dev.airlock.internal.codec;

import dev.airlock.UnshippableInvocationException;
import dev.airlock.annotation.ShipFields;
import dev.airlock.internal.guard.SecretKeys;
import java.lang.annotation.Annotation;
import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.lang.reflect.InaccessibleObjectException;
import java.lang.reflect.Modifier;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The pre-flight check: walks the receiver and arguments the way Kryo will and names the first value that cannot
 * live in another JVM (a socket, a thread, a connection, a class loader), with the path to it and the fix. Kryo
 * alone would fail later with a stack trace that names neither.
 *
 * <p>It also keeps host secrets out of the sandbox. A receiver's instance fields ship only when its class opts in
 * with {@link ShipFields} (records and classes without instance fields ship as they are; a lambda's or anonymous
 * class's captures must each pass the same opt-in),
 * and nowhere in the receiver's graph may a field or map key be named like a secret, a string, char array, string
 * builder, URL or URI look like one (a
 * connection string with a password, a JWT, an API key, a bearer token, a webhook URL; see {@link SecretKeys}), or
 * a field be bound Spring configuration.
 * Arguments are the caller's explicit data and are not judged by name.
 */
public final class ShippingCheck {
  /** Objects walked per graph; a receiver that reaches more is refused, since its rest would ship unjudged. */
  private static final int MAX_NODES = 200_000;
  /** Characters of a receiver's strings scanned for secret shapes; more is refused, for the same reason. */
  private static final long MAX_SCANNED_CHARS = 32L * 1024 * 1024;

  /** Types, by name so optional modules need not be present, that hold process-local resources. */
  private static final Set<String> UNSHIPPABLE = Set.of(
      "java.lang.Thread", "java.lang.ThreadGroup", "java.lang.ClassLoader", "java.lang.Process",
      "java.lang.ProcessHandle", "java.lang.Runtime", "java.lang.Module", "java.lang.ref.Reference",
      "java.lang.reflect.Method", "java.lang.reflect.Field", "java.lang.reflect.Constructor",
      "java.lang.invoke.MethodHandle", "java.io.FileDescriptor", "java.io.InputStream", "java.io.OutputStream",
      "java.io.Reader", "java.io.Writer", "java.io.RandomAccessFile", "java.net.Socket", "java.net.ServerSocket",
      "java.net.DatagramSocket", "java.nio.channels.Channel", "java.nio.channels.Selector",
      "java.util.concurrent.Executor", "java.util.concurrent.Future", "java.util.Timer", "java.sql.Connection",
      "java.sql.Statement", "java.sql.ResultSet", "javax.sql.DataSource", "java.util.logging.Logger",
      "org.slf4j.Logger", "java.net.http.HttpClient");

  /** Spring's bindings, by name so core needs no Spring. */
  private static final String SPRING_VALUE = "org.springframework.beans.factory.annotation.Value";
  private static final String SPRING_PROPERTIES =
      "org.springframework.boot.context.properties.ConfigurationProperties";

  private static final Map<Class<?>, List<Field>> FIELDS = new ConcurrentHashMap<>();
  private static final Map<Class<?>, String> VERDICTS = new ConcurrentHashMap<>();
  /** Per class, why its fields may not ship from a receiver's graph ("" when they may). */
  private static final Map<Class<?>, String> SECRETS = new ConcurrentHashMap<>();
  /** Per receiver class, why its fields may not ship ("" when they may). */
  private static final Map<Class<?>, String> RECEIVERS = new ConcurrentHashMap<>();
  /** Per class captured by a lambda or anonymous receiver, the fields that would ship unasked (empty when none). */
  private static final Map<Class<?>, List<String>> RECEIVER_STATE = new ConcurrentHashMap<>();

  private ShippingCheck() {
  }

  /** Throws {@link UnshippableInvocationException} naming the first unshippable value found. */
  public static void check(Object receiver, Object[] args) {
    if (receiver != null) {
      walk(List.of(new Node("receiver", receiver)), true);
    }
    List<Node> arguments = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      if (args[i] != null) {
        arguments.add(new Node("args[" + i + "]", args[i]));
      }
    }
    walk(arguments, false);
    // Last, so that a value that cannot ship at all, or a secret, is named before the opt-in is asked for.
    if (receiver != null) {
      checkReceiverOptsIn(receiver, Collections.newSetFromMap(new IdentityHashMap<>()));
    }
  }

  /**
   * Walks breadth first from {@code roots}. In a receiver's graph ({@code judgeSecrets}) every class reached is
   * judged by its field names, every string by its shape and every map key by its name, and running out of budget
   * refuses the call: a check that stops early would ship the rest unjudged. Arguments are the caller's explicit
   * data; past the budget their walk just stops, and Kryo names what it cannot write.
   */
  private static void walk(List<Node> roots, boolean judgeSecrets) {
    Deque<Node> todo = new ArrayDeque<>(roots);
    Set<Object> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    int visited = 0;
    long scannedChars = 0;
    while (!todo.isEmpty()) {
      if (visited++ == MAX_NODES) {
        if (!judgeSecrets) {
          return;
        }
        throw new UnshippableInvocationException("cannot ship the receiver into the sandbox: its fields reach more "
            + "than " + MAX_NODES + " objects, more than the secret check walks, so it cannot vouch that none of "
            + "them is a secret. Mark the fields holding bulk data transient and pass the data the method needs as "
            + "an argument, or make the method static");
      }
      Node node = todo.poll();
      Object value = node.value;
      if (!seen.add(value)) {
        continue;
      }
      Class<?> type = value.getClass();
      String unshippable = VERDICTS.computeIfAbsent(type, ShippingCheck::unshippableAncestor);
      if (!unshippable.isEmpty()) {
        throw new UnshippableInvocationException("cannot ship " + node.path + " (a " + type.getName()
            + ", which is a " + unshippable + ") into the sandbox: it only means something in this JVM. "
            + "Mark the field transient, pass the data it would produce instead, make the method static, "
            + "or move the sandboxed logic to a stateless bean");
      }
      String text = judgeSecrets ? textOf(value) : null;
      if (text != null) {
        scannedChars += text.length();
        if (scannedChars > MAX_SCANNED_CHARS) {
          throw new UnshippableInvocationException("cannot ship the receiver into the sandbox: its strings hold "
              + "more than " + MAX_SCANNED_CHARS + " characters, more than the secret check scans, so it cannot "
              + "vouch that none of them is a secret. Mark the fields holding bulk text transient and pass the text "
              + "the method needs as an argument, or make the method static");
        }
        Optional<String> kind = SecretKeys.kindIn(text);
        if (kind.isPresent()) {
          throw secret(node.path, " (its value looks like a " + kind.get() + ")");
        }
      }
      if (isLeaf(type)) {
        continue;
      }
      if (type.isArray()) {
        if (!type.getComponentType().isPrimitive()) {
          for (int i = 0; i < Array.getLength(value); i++) {
            add(todo, node.path + "[" + i + "]", Array.get(value, i));
          }
        }
      } else if (value instanceof Collection<?> c && type.getName().startsWith("java.")) {
        int i = 0;
        for (Object element : c) {
          add(todo, node.path + "[" + i++ + "]", element);
        }
      } else if (value instanceof Map<?, ?> m && type.getName().startsWith("java.")) {
        int entry = 0;
        for (Map.Entry<?, ?> e : m.entrySet()) {
          String name = keyName(e.getKey(), entry++);
          if (judgeSecrets && e.getKey() instanceof String key && e.getValue() != null
              && !isNumberOrFlag(e.getValue().getClass())) {
            Optional<String> word = SecretKeys.wordIn(key);
            if (word.isPresent()) {
              throw secret(node.path + "[" + name + "]", " (its key contains '" + word.get() + "')");
            }
          }
          add(todo, node.path + "[key " + name + "]", e.getKey());
          add(todo, node.path + "[" + name + "]", e.getValue());
        }
      } else if (value instanceof Optional<?> o) {
        add(todo, node.path + ".get()", o.orElse(null));
      } else if (value instanceof AtomicReference<?> r) {
        add(todo, node.path + ".get()", r.get());
      } else if (value instanceof Map.Entry<?, ?> e && type.getName().startsWith("java.")) {
        add(todo, node.path + ".getKey()", e.getKey());
        add(todo, node.path + ".getValue()", e.getValue());
      } else if (!isPlatform(type)) {
        if (judgeSecrets) {
          String secret = SECRETS.computeIfAbsent(type, ShippingCheck::secretState);
          if (!secret.isEmpty()) {
            throw secret(node.path, secret);
          }
        }
        for (Field f : fields(type)) {
          try {
            add(todo, node.path + "." + f.getName(), f.get(value));
          } catch (IllegalAccessException e) {
            // Unreadable here means Kryo cannot read it either; it reports that itself.
          }
        }
      }
    }
  }

  /**
   * How a refusal names a map entry: by its key when that is a string of no secret shape, else by position, since the
   * path is quoted in the exception an application logs, and a key may itself be the secret.
   */
  private static String keyName(Object key, int position) {
    if (key instanceof String text && SecretKeys.kindIn(text).isEmpty()) {
      return text;
    }
    return "entry " + position;
  }

  /**
   * The text a value holds, for the secret scan: a secret kept as a char array, a string builder, a URL or a URI
   * ({@code https://user:password@host}, a webhook) is as readable in the sandbox as the same String. Null when the
   * value holds no text.
   */
  private static String textOf(Object value) {
    if (value instanceof String s) {
      return s;
    }
    if (value instanceof char[] chars) {
      return new String(chars);
    }
    if (value instanceof java.net.URL url) {
      return url.toExternalForm();
    }
    if (value instanceof java.net.URI uri) {
      return uri.toString();
    }
    if (value instanceof java.nio.CharBuffer buffer) {
      // Its toString() is only what lies between position and limit; a serializer writes the whole backing array
      // (where java.nio is opened to it, as Arrow and Netty applications do).
      return buffer.duplicate().clear().toString();
    }
    // Only the platform's own: a host class's toString() need not return what its fields hold.
    if (value instanceof CharSequence chars && isPlatform(value.getClass())) {
      return chars.toString();
    }
    return null;
  }

  private static UnshippableInvocationException secret(String path, String why) {
    return new UnshippableInvocationException("cannot ship " + path + why + " into the sandbox: "
        + "secrets never enter a sandbox, where the guest can read them. Mark it transient and do what "
        + "needs it on the host (pass the result as an argument), or rename it if it holds no secret");
  }

  /**
   * A receiver's fields cross only when its class says so; see {@link ShipFields}. A lambda or anonymous class is
   * admitted for what it captured, so each captured object must opt in the same way: capturing {@code this} would
   * otherwise ship a whole service that never agreed to cross. A local or inner class's compiler-made fields
   * ({@code this$0}, {@code val$service}) are captures too, whatever its own fields are.
   */
  private static void checkReceiverOptsIn(Object receiver, Set<Object> seen) {
    if (!seen.add(receiver)) {
      return;
    }
    Class<?> type = receiver.getClass();
    boolean capturing = isCapturing(type);
    if (!capturing) {
      String refusal = RECEIVERS.computeIfAbsent(type, ShippingCheck::receiverRefusal);
      if (!refusal.isEmpty()) {
        throw new UnshippableInvocationException(refusal);
      }
    }
    if (!capturing && (receiver instanceof Collection<?> || receiver instanceof Map<?, ?>)
        && !isPlatform(type) && !type.isAnnotationPresent(ShipFields.class)) {
      // The application's own collection as the receiver: what it holds is its state, which never opted in.
      checkCaptured(type, "its elements", receiverContents(receiver), seen);
    }
    for (Field f : fields(type)) {
      if (!capturing && !f.isSynthetic()) {
        continue; // The class's own state, which the opt-in above covered.
      }
      try {
        checkCaptured(type, f.getName(), f.get(receiver), seen);
      } catch (IllegalAccessException e) {
        // Unreadable here means Kryo cannot read it either; it reports that itself.
      }
    }
  }

  /**
   * One captured value passes the opt-in. A container (an array, any collection or map, an Optional, an
   * AtomicReference) is no opt-in of what it holds, so each element is judged as if captured itself: otherwise
   * {@code ReportService[] holder = {this}} or {@code List.of(this)} would ship the service all the same. The walk
   * before this one bounded the receiver's graph, and {@code seen} ends cycles.
   */
  private static void checkCaptured(Class<?> capturer, String as, Object captured, Set<Object> seen) {
    if (captured == null || isLeaf(captured.getClass())) {
      return;
    }
    Class<?> type = captured.getClass();
    if ((captured instanceof Collection<?> || captured instanceof Map<?, ?>) && !isPlatform(type)) {
      // The application's own collection: its fields need the opt-in, and its elements are judged below.
      List<String> state = RECEIVER_STATE.computeIfAbsent(type, ShippingCheck::unannouncedState);
      if (!state.isEmpty()) {
        throw capturedState(capturer, as, type, state);
      }
    }
    if (type.isArray()) {
      if (!type.getComponentType().isPrimitive() && seen.add(captured)) {
        for (int i = 0; i < Array.getLength(captured); i++) {
          checkCaptured(capturer, as + "[" + i + "]", Array.get(captured, i), seen);
        }
      }
    } else if (captured instanceof Collection<?> c) {
      if (seen.add(captured)) {
        int i = 0;
        for (Object element : c) {
          checkCaptured(capturer, as + "[" + i++ + "]", element, seen);
        }
      }
    } else if (captured instanceof Map<?, ?> m) {
      if (seen.add(captured)) {
        // Entries named by position: a key's own text may be what must not reach an exception message.
        int i = 0;
        for (Map.Entry<?, ?> e : m.entrySet()) {
          checkCaptured(capturer, as + ".entry " + i + " key", e.getKey(), seen);
          checkCaptured(capturer, as + ".entry " + i++ + " value", e.getValue(), seen);
        }
      }
    } else if (captured instanceof Optional<?> o) {
      checkCaptured(capturer, as + ".get()", o.orElse(null), seen);
    } else if (captured instanceof AtomicReference<?> r) {
      checkCaptured(capturer, as + ".get()", r.get(), seen);
    } else if (captured instanceof Map.Entry<?, ?> e && isPlatform(type)) {
      checkCaptured(capturer, as + ".getKey()", e.getKey(), seen);
      checkCaptured(capturer, as + ".getValue()", e.getValue(), seen);
    } else if (isCapturing(type)) {
      checkReceiverOptsIn(captured, seen);
    } else {
      List<String> state = RECEIVER_STATE.computeIfAbsent(type, ShippingCheck::unannouncedState);
      if (!state.isEmpty()) {
        throw capturedState(capturer, as, type, state);
      }
      if (hasCompilerCaptures(type)) {
        checkReceiverOptsIn(captured, seen);
      }
    }
  }

  /** The elements of a collection receiver, or the entries of a map receiver, as one JDK list to judge. */
  private static List<Object> receiverContents(Object receiver) {
    if (receiver instanceof Map<?, ?> m) {
      return new ArrayList<>(m.entrySet());
    }
    return new ArrayList<>((Collection<?>) receiver);
  }

  private static UnshippableInvocationException capturedState(Class<?> capturer, String as, Class<?> type,
      List<String> state) {
    return new UnshippableInvocationException("cannot ship " + capturer.getName() + " into the sandbox: it captured "
        + "a " + type.getName() + " with the fields " + state + " (as " + as + "), and "
        + "a captured object's fields cross only when its class is annotated @ShipFields "
        + "(dev.airlock.annotation.ShipFields). Annotate that class if the sandboxed code needs its state, copy "
        + "the value it needs into a local variable before the lambda, or make the method it calls static");
  }

  /** A local or inner class: it holds compiler-made fields ({@code this$0}, {@code val$x}) its author never wrote. */
  private static boolean hasCompilerCaptures(Class<?> type) {
    for (Field f : fields(type)) {
      if (f.isSynthetic()) {
        return true;
      }
    }
    return false;
  }

  /** A lambda, anonymous or otherwise compiler-made class: its fields are what its author's code captured. */
  private static boolean isCapturing(Class<?> type) {
    return type.isSynthetic() || type.isHidden() || type.isAnonymousClass();
  }

  private static String receiverRefusal(Class<?> type) {
    List<String> state = unannouncedState(type);
    return state.isEmpty() ? "" : "cannot ship the receiver, a " + type.getName() + " with the fields " + state
        + ", into the sandbox: a receiver's fields cross only when its class is annotated @ShipFields "
        + "(dev.airlock.annotation.ShipFields). Annotate the class if the sandboxed method needs that state, mark "
        + "the fields it does not need transient, or make the method static";
  }

  /** The instance fields of {@code type} that would ship without its class opting in; empty when none would. */
  private static List<String> unannouncedState(Class<?> type) {
    if (type.isRecord() || type.isAnnotationPresent(ShipFields.class) || isPlatform(type)) {
      return List.of();
    }
    List<String> state = new ArrayList<>();
    for (Class<?> c = type; c != null && !isPlatform(c); c = c.getSuperclass()) {
      for (Field f : c.getDeclaredFields()) {
        if (!Modifier.isStatic(f.getModifiers()) && !Modifier.isTransient(f.getModifiers()) && !f.isSynthetic()) {
          state.add(f.getName());
        }
      }
    }
    return List.copyOf(state);
  }

  /** Why the fields of {@code type} may not ship (a suffix naming the field and the reason), or "". */
  private static String secretState(Class<?> type) {
    if (hasAnnotationNamed(type.getAnnotations(), SPRING_PROPERTIES)) {
      return " (a " + type.getName() + ", bound by @ConfigurationProperties)";
    }
    for (Class<?> c = type; c != null && !isPlatform(c); c = c.getSuperclass()) {
      for (Field f : c.getDeclaredFields()) {
        int m = f.getModifiers();
        if (Modifier.isStatic(m) || Modifier.isTransient(m)) {
          continue;
        }
        Optional<String> word = SecretKeys.wordIn(f.getName());
        // A number or a flag holds no secret, whatever its name says (maxTokens, keyCount).
        if (word.isPresent() && !isNumberOrFlag(f.getType())) {
          return "." + f.getName() + " (its name contains '" + word.get() + "')";
        }
        if (hasAnnotationNamed(f.getAnnotations(), SPRING_VALUE)) {
          return "." + f.getName() + " (bound by @Value)";
        }
        if (hasAnnotationNamed(f.getType().getAnnotations(), SPRING_PROPERTIES)) {
          return "." + f.getName() + " (a " + f.getType().getName() + ", bound by @ConfigurationProperties)";
        }
      }
    }
    return "";
  }

  private static boolean isNumberOrFlag(Class<?> type) {
    return (type.isPrimitive() && type != char.class) || Number.class.isAssignableFrom(type) || type == Boolean.class
        || type.isEnum();
  }

  private static boolean hasAnnotationNamed(Annotation[] annotations, String name) {
    for (Annotation a : annotations) {
      if (a.annotationType().getName().equals(name)) {
        return true;
      }
    }
    return false;
  }

  private static void add(Deque<Node> todo, String path, Object value) {
    if (value != null) {
      todo.add(new Node(path, value));
    }
  }

  private static boolean isLeaf(Class<?> type) {
    return type == String.class || type.isPrimitive() || Number.class.isAssignableFrom(type)
        || type == Boolean.class || type == Character.class || type.isEnum() || type == ShippedFile.class
        || java.nio.file.Path.class.isAssignableFrom(type) || type == java.io.File.class;
  }

  private static boolean isPlatform(Class<?> type) {
    String n = type.getName();
    return n.startsWith("java.") || n.startsWith("javax.") || n.startsWith("jdk.") || n.startsWith("sun.");
  }

  private static String unshippableAncestor(Class<?> type) {
    for (Class<?> c = type; c != null; c = c.getSuperclass()) {
      String hit = unshippableName(c);
      if (hit != null) {
        return hit;
      }
    }
    return "";
  }

  private static String unshippableName(Class<?> c) {
    if (UNSHIPPABLE.contains(c.getName())) {
      return c.getName();
    }
    for (Class<?> i : c.getInterfaces()) {
      String hit = unshippableName(i);
      if (hit != null) {
        return hit;
      }
    }
    return null;
  }

  private static List<Field> fields(Class<?> type) {
    return FIELDS.computeIfAbsent(type, t -> {
      List<Field> out = new ArrayList<>();
      for (Class<?> c = t; c != null && c != Object.class && !isPlatform(c); c = c.getSuperclass()) {
        for (Field f : c.getDeclaredFields()) {
          int m = f.getModifiers();
          if (Modifier.isStatic(m) || Modifier.isTransient(m) || f.getType().isPrimitive()) {
            continue;
          }
          try {
            f.setAccessible(true);
            out.add(f);
          } catch (InaccessibleObjectException | SecurityException e) {
            // Left to Kryo, which reports what it cannot reach.
          }
        }
      }
      return List.copyOf(out);
    });
  }

  private record Node(String path, Object value) {
  }
}
