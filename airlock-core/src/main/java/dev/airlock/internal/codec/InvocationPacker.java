package dev.airlock.internal.codec;

import dev.airlock.PayloadTooLargeException;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;

/** Turns a call into the bytes of a {@link ShippedInvocation}: pre-flight check, file arguments, Kryo. */
public final class InvocationPacker {

  private InvocationPacker() {
  }

  public static byte[] pack(Object receiver, Method method, Object[] args, int maxPayloadBytes) {
    Object[] shipped = new Object[args.length];
    for (int i = 0; i < args.length; i++) {
      shipped[i] = shipFile(args[i], i, maxPayloadBytes);
    }
    ShippingCheck.check(receiver, shipped);
    Class<?>[] params = method.getParameterTypes();
    String[] paramNames = new String[params.length];
    for (int i = 0; i < params.length; i++) {
      paramNames[i] = params[i].getName();
    }
    ShippedInvocation invocation = new ShippedInvocation(receiver, method.getDeclaringClass().getName(),
        method.getName(), paramNames, shipped);
    return Codec.encodeInvocation(invocation, maxPayloadBytes);
  }

  private static Object shipFile(Object arg, int index, int maxPayloadBytes) {
    Path path;
    boolean asFile;
    if (arg instanceof Path p) {
      path = p;
      asFile = false;
    } else if (arg instanceof File f) {
      path = f.toPath();
      asFile = true;
    } else {
      return arg;
    }
    if (!Files.isRegularFile(path)) {
      return new ShippedFile(path.toString(), null, asFile);
    }
    try {
      long size = Files.size(path);
      if (size > maxPayloadBytes) {
        throw new PayloadTooLargeException("args[" + index + "] names the file " + path + " of " + size
            + " bytes, over the limit of " + maxPayloadBytes + " bytes (airlock.max-payload-bytes)");
      }
      return new ShippedFile(path.toString(), Files.readAllBytes(path), asFile);
    } catch (IOException e) {
      throw new UncheckedIOException("could not read args[" + index + "] file " + path + " to ship it", e);
    }
  }
}
