package dev.airlock.internal.codec;

import dev.airlock.AirlockConfig;
import dev.airlock.PayloadTooLargeException;
import dev.airlock.UnshippableInvocationException;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Turns a call into the bytes of a {@link ShippedInvocation}: pre-flight check, file arguments, Kryo. */
public final class InvocationPacker {
  /** Kernel views of the host itself (its environment, memory, devices): never shipped, whatever the roots say. */
  private static final List<Path> NEVER_SHIPPED = List.of(Path.of("/proc"), Path.of("/sys"), Path.of("/dev"));

  private InvocationPacker() {
  }

  /** With no folder to ship files from. */
  public static byte[] pack(Object receiver, Method method, Object[] args, int maxPayloadBytes) {
    return pack(receiver, method, args, maxPayloadBytes, List.of());
  }

  /**
   * Ships {@code args}; a {@code Path} or {@code File} argument naming a regular file carries its content only when
   * the file, symlinks resolved, lies under one of {@code filesRoots} ({@code airlock.files.roots}).
   */
  public static byte[] pack(Object receiver, Method method, Object[] args, int maxPayloadBytes,
      List<Path> filesRoots) {
    Object[] shipped = new Object[args.length];
    for (int i = 0; i < args.length; i++) {
      shipped[i] = shipFile(args[i], i, maxPayloadBytes, filesRoots);
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

  private static Object shipFile(Object arg, int index, int maxPayloadBytes, List<Path> filesRoots) {
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
      // Judged and read by where the path really leads, so a symlink inside a root cannot reach out of it.
      Path real = path.toRealPath();
      String refusal = refusal(real, filesRoots);
      if (refusal != null) {
        throw new UnshippableInvocationException("cannot ship args[" + index + "], the file " + real
            + (real.equals(path) ? "" : " (resolved from " + path + ")") + ", into the sandbox: " + refusal);
      }
      long size = Files.size(real);
      if (size > maxPayloadBytes) {
        throw new PayloadTooLargeException("args[" + index + "] names the file " + path + " of " + size
            + " bytes, over the limit of " + maxPayloadBytes + " bytes (airlock.max-payload-bytes)");
      }
      return new ShippedFile(path.toString(), Files.readAllBytes(real), asFile);
    } catch (IOException e) {
      throw new UncheckedIOException("could not read args[" + index + "] file " + path + " to ship it", e);
    }
  }

  /** Why the file at {@code real} may not be shipped, or {@code null} when it may. */
  private static String refusal(Path real, List<Path> filesRoots) {
    for (Path host : NEVER_SHIPPED) {
      if (real.startsWith(host)) {
        return "files under /proc, /sys and /dev describe the host itself (its environment, memory and devices) "
            + "and are never shipped, whatever " + AirlockConfig.FILES_ROOTS + " says; pass the data instead";
      }
    }
    for (Path root : filesRoots) {
      try {
        if (real.startsWith(root.toRealPath())) {
          return null;
        }
      } catch (IOException e) {
        // A root that does not exist holds no file.
      }
    }
    return "it is outside every folder of " + AirlockConfig.FILES_ROOTS + " ("
        + (filesRoots.isEmpty() ? "none configured" : filesRoots) + "). Add the folder the tool may read to "
        + AirlockConfig.FILES_ROOTS + " (comma-separated), or pass the content instead of the path";
  }
}
