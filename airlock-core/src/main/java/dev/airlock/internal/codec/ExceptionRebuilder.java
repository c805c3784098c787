package dev.airlock.internal.codec;

import dev.airlock.SandboxedCodeException;
import dev.airlock.internal.wire.RemoteFailure;
import java.lang.reflect.Constructor;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a {@link RemoteFailure} back into an exception for the caller. The class name is the worker's to choose, so
 * the same type is rebuilt only when the JDK's own modules define it (looked up through the platform class loader,
 * which never reaches the application's jars, so no other class is even loaded), it is not an {@link Error}
 * ({@code ThreadDeath}, {@code VirtualMachineError}: the host's own conditions) and a public constructor of a
 * public class takes the message. Everything else becomes a {@link SandboxedCodeException} carrying the remote
 * class name, message and stack. Either way the remote stack comes first, then a marker frame, then where the host called
 * from.
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
    return t;
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
