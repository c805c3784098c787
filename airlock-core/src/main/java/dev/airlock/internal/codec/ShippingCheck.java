package dev.airlock.internal.codec;

import dev.airlock.UnshippableInvocationException;
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
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The pre-flight check: walks the receiver and arguments the way Kryo will and names the first value that cannot
 * live in another JVM (a socket, a thread, a connection, a class loader), with the path to it and the fix. Kryo
 * alone would fail later with a stack trace that names neither.
 */
public final class ShippingCheck {
  private static final int MAX_NODES = 20_000;

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

  private static final Map<Class<?>, List<Field>> FIELDS = new ConcurrentHashMap<>();
  private static final Map<Class<?>, String> VERDICTS = new ConcurrentHashMap<>();

  private ShippingCheck() {
  }

  /** Throws {@link UnshippableInvocationException} naming the first unshippable value found. */
  public static void check(Object receiver, Object[] args) {
    Deque<Node> todo = new ArrayDeque<>();
    Set<Object> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    if (receiver != null) {
      todo.add(new Node("receiver", receiver));
    }
    for (int i = 0; i < args.length; i++) {
      if (args[i] != null) {
        todo.add(new Node("args[" + i + "]", args[i]));
      }
    }
    int visited = 0;
    while (!todo.isEmpty() && visited++ < MAX_NODES) {
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
        for (Map.Entry<?, ?> e : m.entrySet()) {
          add(todo, node.path + "[key " + e.getKey() + "]", e.getKey());
          add(todo, node.path + "[" + e.getKey() + "]", e.getValue());
        }
      } else if (!isPlatform(type)) {
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
