package dev.airlock.internal.codec;

/**
 * What crosses to the worker for one call: the receiver (null for static methods), the method's identity by name,
 * and the arguments. Files named by {@code Path}/{@code File} arguments travel inside as {@link ShippedFile}.
 */
public final class ShippedInvocation {
  public final Object receiver;
  public final String declaringClass;
  public final String methodName;
  public final String[] parameterTypes;
  public final Object[] args;

  public ShippedInvocation(Object receiver, String declaringClass, String methodName, String[] parameterTypes,
      Object[] args) {
    this.receiver = receiver;
    this.declaringClass = declaringClass;
    this.methodName = methodName;
    this.parameterTypes = parameterTypes;
    this.args = args;
  }
}
