package dev.airlock.internal.codec;

import dev.airlock.SandboxExecutionException;
import dev.airlock.internal.wire.RemoteFailure;
import java.lang.reflect.Constructor;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a {@link RemoteFailure} back into an exception for the caller: the same type when the allowlist admits it
 * and it has a usable constructor, else a {@link SandboxExecutionException} carrying the remote class and message.
 * Either way the remote stack comes first, then a marker frame, then where the host called from.
 */
public final class ExceptionRebuilder {
  private static final StackTraceElement HOST_MARKER =
      new StackTraceElement("airlock.sandbox", "returnedToHost", null, -1);

  private ExceptionRebuilder() {
  }

  public static Throwable rebuild(RemoteFailure failure, ClassAllowlist allowlist) {
    Throwable cause = failure.cause() == null ? null : rebuild(failure.cause(), allowlist);
    Throwable rebuilt = instantiate(failure, cause, allowlist);
    if (rebuilt == null) {
      rebuilt = new SandboxExecutionException(failure.className() + " in the sandbox: "
          + (failure.message() == null ? "(no message)" : failure.message()), cause, failure.className());
    }
    List<StackTraceElement> stack = new ArrayList<>(failure.stack());
    stack.add(HOST_MARKER);
    stack.addAll(List.of(new Throwable().getStackTrace()));
    rebuilt.setStackTrace(stack.toArray(new StackTraceElement[0]));
    return rebuilt;
  }

  private static Throwable instantiate(RemoteFailure failure, Throwable cause, ClassAllowlist allowlist) {
    if (!allowlist.allowsException(failure.className())) {
      return null;
    }
    try {
      Class<?> type = Class.forName(failure.className(), false, ExceptionRebuilder.class.getClassLoader());
      if (!Throwable.class.isAssignableFrom(type)) {
        return null;
      }
      String message = failure.message();
      Throwable t = construct(type, message, cause);
      if (t != null && cause != null && t.getCause() == null) {
        try {
          t.initCause(cause);
        } catch (IllegalStateException | IllegalArgumentException e) {
          // The type fixed its own cause; keep it.
        }
      }
      return t;
    } catch (ClassNotFoundException | LinkageError e) {
      return null;
    }
  }

  private static Throwable construct(Class<?> type, String message, Throwable cause) {
    try {
      if (cause != null) {
        Constructor<?> c = findConstructor(type, String.class, Throwable.class);
        if (c != null) {
          return (Throwable) c.newInstance(message, cause);
        }
      }
      Constructor<?> c = findConstructor(type, String.class);
      if (c != null) {
        return (Throwable) c.newInstance(message);
      }
      c = findConstructor(type);
      if (c != null && message == null) {
        return (Throwable) c.newInstance();
      }
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null;
    }
    return null;
  }

  private static Constructor<?> findConstructor(Class<?> type, Class<?>... params) {
    try {
      Constructor<?> c = type.getDeclaredConstructor(params);
      c.setAccessible(true);
      return c;
    } catch (NoSuchMethodException | RuntimeException e) {
      return null;
    }
  }
}
