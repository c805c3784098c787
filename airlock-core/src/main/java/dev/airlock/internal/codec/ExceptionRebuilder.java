package dev.airlock.internal.codec;

import dev.airlock.SandboxedCodeException;
import dev.airlock.internal.wire.RemoteFailure;
import java.lang.reflect.Constructor;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Turns a {@link RemoteFailure} back into an exception for the caller. The class name is the worker's to choose, so
 * the same type is rebuilt only when it can only be one of the JDK's exception types: the name is looked up at all
 * only when it ends in {@code Exception} and its package is one a {@code java.*} module exports (decided from the
 * name, before any lookup), and then through the platform class loader, which never reaches the application's jars.
 * Looking up a name loads its class, and the JDK's loaders never unload one: a lookup for any name a worker sent
 * let it load any of the JDK's 26,500 classes, 17 a call (113 MiB of metaspace for all of them), gadget classes
 * included. The type must not be an {@link Error} ({@code ThreadDeath}, {@code VirtualMachineError}: the host's own
 * conditions), a public constructor of a public class must take the message, and the exception made must read as
 * the record (no text of its own or of its cause added to its message or its {@code toString}). Everything else
 * becomes a {@link SandboxedCodeException} carrying the remote class name, message and stack. Either way the remote
 * stack comes first, then a marker frame, then where the host called from.
 */
public final class ExceptionRebuilder {
  private static final StackTraceElement HOST_MARKER =
      new StackTraceElement("airlock.sandbox", "returnedToHost", null, -1);

  private ExceptionRebuilder() {
  }

  public static Throwable rebuild(RemoteFailure failure) {
    Throwable cause = failure.cause() == null ? null : rebuild(failure.cause());
    Throwable rebuilt = instantiate(failure, cause);
    if (rebuilt == null) {
      rebuilt = new SandboxedCodeException(failure.className(), failure.message(), failure.stack(), cause);
    }
    List<StackTraceElement> stack = new ArrayList<>(failure.stack());
    stack.add(HOST_MARKER);
    stack.addAll(List.of(new Throwable().getStackTrace()));
    rebuilt.setStackTrace(stack.toArray(new StackTraceElement[0]));
    return rebuilt;
  }

  private static Throwable instantiate(RemoteFailure failure, Throwable cause) {
    if (!namesAJdkException(failure.className()) || !ClassFiles.exist(failure.className(), null)) {
      return null;
    }
    Class<?> type;
    try {
      type = Class.forName(failure.className(), false, ClassLoader.getPlatformClassLoader());
    } catch (ClassNotFoundException | LinkageError | RuntimeException e) {
      return null;
    }
    if (!ClassAllowlist.isJdk(type) || !Throwable.class.isAssignableFrom(type) || Error.class.isAssignableFrom(type)
        || !Modifier.isPublic(type.getModifiers()) || Modifier.isAbstract(type.getModifiers())
        || !type.getModule().isExported(type.getPackageName())) {
      return null;
    }
    Throwable t = construct(type, failure.message(), cause);
    if (t != null && cause != null && t.getCause() == null) {
      try {
        t.initCause(cause);
      } catch (IllegalStateException | IllegalArgumentException e) {
        // The type fixed its own cause; keep it.
      }
    }
    return t != null && readsAsRecorded(t, failure.message()) ? t : null;
  }

  /**
   * Whether {@code t}'s text is the record's: its message, and {@code Throwable}'s own form of it. A JDK type whose
   * text is more is not rebuilt: {@code RemoteException}'s message and {@code NamingException}'s text append their
   * cause's whole text, so a guest's chain of 17 printed each message again at every level below it (2.3 million
   * characters in the host's log for a record of 280,000; 16 million once the guard's masked copy appended them
   * again; attack review 36), and others wrap the text they are given ({@code MissingFormatArgumentException}'s
   * message arrived as {@code Format specifier 'Format specifier '%s''}). Its cause was judged first, so this reads
   * one level's text.
   */
  private static boolean readsAsRecorded(Throwable t, String message) {
    return Objects.equals(t.getMessage(), message) && Objects.equals(t.getLocalizedMessage(), message)
        && t.toString().equals(message == null ? t.getClass().getName() : t.getClass().getName() + ": " + message);
  }

  /** The packages {@code java.*} modules export: the only ones whose exception types are rebuilt. */
  private static final Set<String> JDK_EXCEPTION_PACKAGES = ModuleLayer.boot().modules().stream()
      .filter(module -> module.getName().startsWith("java."))
      .flatMap(module -> module.getPackages().stream().filter(module::isExported))
      .collect(Collectors.toUnmodifiableSet());

  /**
   * Whether {@code className} may name one of the JDK's exception types, judged from the name alone: loading the class
   * to find out is what must not happen for a name the worker chose.
   */
  static boolean namesAJdkException(String className) {
    int dot = className.lastIndexOf('.');
    return dot > 0 && className.endsWith("Exception") && className.indexOf('$') < 0
        && JDK_EXCEPTION_PACKAGES.contains(className.substring(0, dot));
  }

  private static Throwable construct(Class<?> type, String message, Throwable cause) {
    try {
      if (cause != null) {
        Constructor<?> c = publicConstructor(type, String.class, Throwable.class);
        if (c != null) {
          return (Throwable) c.newInstance(message, cause);
        }
      }
      Constructor<?> c = publicConstructor(type, String.class);
      if (c != null) {
        return (Throwable) c.newInstance(message);
      }
      c = publicConstructor(type);
      if (c != null && message == null) {
        return (Throwable) c.newInstance();
      }
    } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
      return null;
    }
    return null;
  }

  private static Constructor<?> publicConstructor(Class<?> type, Class<?>... params) {
    try {
      return type.getConstructor(params);
    } catch (NoSuchMethodException | RuntimeException e) {
      return null;
    }
  }
}
