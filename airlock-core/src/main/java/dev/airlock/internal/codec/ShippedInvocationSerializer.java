package dev.airlock.internal.codec;

import com.esotericsoftware.kryo.kryo5.Kryo;
import com.esotericsoftware.kryo.kryo5.KryoException;
import com.esotericsoftware.kryo.kryo5.Serializer;
import com.esotericsoftware.kryo.kryo5.io.Input;
import com.esotericsoftware.kryo.kryo5.io.Output;

/**
 * A {@link ShippedInvocation} as its fields in a fixed order, registered by id, so every call's bytes name neither its
 * class nor a {@code String[]} and no field goes through Kryo's {@code FieldSerializer}: that ran per call on the host
 * (encode) and in the worker (decode), interpreted at an agent's pace of a call every few seconds, with reflection
 * and generic-type bookkeeping per field. The receiver and each argument are written as Kryo writes any object, with
 * their class and the invocation Kryo's references, as before. Read only from the host's bytes (a worker reading its
 * INVOKE); the host's result reader does not register it.
 */
final class ShippedInvocationSerializer extends Serializer<ShippedInvocation> {
  /** A method has at most 255 parameter slots (JVMS 4.3.3), so no more names or arguments than that. */
  private static final int MAX_PARAMETERS = 255;

  @Override
  public void write(Kryo kryo, Output output, ShippedInvocation invocation) {
    kryo.writeClassAndObject(output, invocation.receiver);
    output.writeString(invocation.declaringClass);
    output.writeString(invocation.methodName);
    output.writeVarInt(invocation.parameterTypes.length, true);
    for (String type : invocation.parameterTypes) {
      output.writeString(type);
    }
    output.writeVarInt(invocation.args.length, true);
    for (Object arg : invocation.args) {
      kryo.writeClassAndObject(output, arg);
    }
  }

  @Override
  public ShippedInvocation read(Kryo kryo, Input input, Class<? extends ShippedInvocation> type) {
    Object receiver = kryo.readClassAndObject(input);
    String declaringClass = input.readString();
    String methodName = input.readString();
    String[] parameterTypes = new String[count(input)];
    for (int i = 0; i < parameterTypes.length; i++) {
      parameterTypes[i] = input.readString();
    }
    Object[] args = new Object[count(input)];
    for (int i = 0; i < args.length; i++) {
      args[i] = kryo.readClassAndObject(input);
    }
    return new ShippedInvocation(receiver, declaringClass, methodName, parameterTypes, args);
  }

  private static int count(Input input) {
    int count = input.readVarInt(true);
    if (count < 0 || count > MAX_PARAMETERS) {
      throw new KryoException("an invocation has 0 to " + MAX_PARAMETERS + " parameters, not " + count);
    }
    return count;
  }
}
