package dev.airlock.internal.codec;

import com.esotericsoftware.kryo.kryo5.Kryo;
import com.esotericsoftware.kryo.kryo5.KryoException;
import com.esotericsoftware.kryo.kryo5.io.Input;
import com.esotericsoftware.kryo.kryo5.io.KryoBufferOverflowException;
import com.esotericsoftware.kryo.kryo5.io.Output;
import dev.airlock.PayloadTooLargeException;
import dev.airlock.SandboxProtocolException;
import dev.airlock.UnshippableInvocationException;

/**
 * Kryo bytes of invocations and results. Encoding refuses to grow past the limit it is given; decoding a result
 * resolves classes through a {@link ClassAllowlist} and bounds depth and every declared size.
 */
public final class Codec {
  private static final int INITIAL_BUFFER = 4096;
  /**
   * A buffer grown up to this size is kept for the thread's next encode, so it does not grow again each time. Small
   * for invocations, because every host thread that ships a call keeps one; larger for results, which a worker
   * encodes on its one call thread. Larger payloads grow a buffer of their own.
   */
  private static final int KEPT_INVOCATION_BUFFER = 64 * 1024;
  private static final int KEPT_RESULT_BUFFER = 1024 * 1024;
  private static final ThreadLocal<byte[]> BUFFERS = ThreadLocal.withInitial(() -> new byte[INITIAL_BUFFER]);

  private static final ThreadLocal<Kryo> INVOCATIONS =
      ThreadLocal.withInitial(() -> Kryos.forInvocations(Thread.currentThread().getContextClassLoader() != null
          ? Thread.currentThread().getContextClassLoader() : Codec.class.getClassLoader()));

  private static final ThreadLocal<Kryos.AllowlistClassResolver> RESULT_RESOLVERS =
      ThreadLocal.withInitial(() -> new Kryos.AllowlistClassResolver(Codec.class.getClassLoader()));
  private static final ThreadLocal<Kryo> RESULTS =
      ThreadLocal.withInitial(() -> Kryos.forResults(RESULT_RESOLVERS.get()));

  private Codec() {
  }

  /** Host side: the invocation's bytes, or {@link PayloadTooLargeException} past {@code maxBytes}. */
  public static byte[] encodeInvocation(ShippedInvocation invocation, int maxBytes) {
    return encode(invocation, maxBytes, "invocation of " + invocation.declaringClass + "." + invocation.methodName,
        "airlock.max-payload-bytes", KEPT_INVOCATION_BUFFER);
  }

  /**
   * Worker side: builds the serializer of {@code type} ahead of the call that needs it, from its declared fields;
   * the class is not initialized.
   */
  public static void prepare(Class<?> type) {
    INVOCATIONS.get().getRegistration(type);
  }

  /** Worker side. */
  public static ShippedInvocation decodeInvocation(byte[] bytes) {
    Kryo kryo = INVOCATIONS.get();
    try {
      return (ShippedInvocation) kryo.readClassAndObject(new Input(bytes));
    } finally {
      kryo.reset();
    }
  }

  /** Worker side: the result's bytes, or {@link PayloadTooLargeException} past {@code maxBytes}. */
  public static byte[] encodeResult(Object result, int maxBytes) {
    return encode(result, maxBytes, "result", "airlock.max-result-bytes", KEPT_RESULT_BUFFER);
  }

  /**
   * Host side: decodes bytes a worker sent. Any failure, including a class outside the allowlist, too deep a graph
   * or a lying size, is a {@link SandboxProtocolException}; nothing outside the allowlist is loaded.
   */
  public static Object decodeResult(byte[] bytes, ClassAllowlist allowlist) {
    Kryos.AllowlistClassResolver resolver = RESULT_RESOLVERS.get();
    Kryo kryo = RESULTS.get();
    resolver.allowlist(allowlist);
    try {
      BoundedInput input = new BoundedInput(bytes);
      Object result = kryo.readClassAndObject(input);
      if (input.remaining() != 0) {
        throw new SandboxProtocolException("result had " + input.remaining() + " bytes after its end");
      }
      return result;
    } catch (Kryos.RejectedClassException e) {
      throw new SandboxProtocolException("result refused: it names class " + e.className
          + ", which is not on the allowlist (" + allowlist
          + "); add its package to airlock.allowed-classes if it is yours", e);
    } catch (RuntimeException e) {
      // Any serializer may throw anything on bytes it was not written for (DateTimeException from java.time, ...).
      throw new SandboxProtocolException("result could not be decoded: " + firstLine(e.getMessage()), e);
    } catch (StackOverflowError | OutOfMemoryError e) {
      throw new SandboxProtocolException("result refused: decoding it exhausted " + e.getClass().getSimpleName(),
          null);
    } finally {
      kryo.reset();
      resolver.allowlist(ClassAllowlist.of(java.util.List.of()));
    }
  }

  private static byte[] encode(Object value, int maxBytes, String what, String key, int keptLimit) {
    Kryo kryo = INVOCATIONS.get();
    byte[] kept = BUFFERS.get();
    Output output = kept.length <= maxBytes ? new Output(kept, maxBytes) : new Output(maxBytes, maxBytes);
    try {
      kryo.writeClassAndObject(output, value);
      return output.toBytes();
    } catch (KryoBufferOverflowException e) {
      throw new PayloadTooLargeException(what + " is larger than the limit of " + maxBytes + " bytes (" + key
          + "); ship less data or raise the limit");
    } catch (KryoException e) {
      throw new UnshippableInvocationException("could not serialize the " + what + ": " + e.getMessage().strip()
          .replace("\n", " ← ") + ". Mark the field transient, pass plain data instead, or make the method static", e);
    } finally {
      kryo.reset();
      byte[] grown = output.getBuffer();
      if (grown.length > kept.length && grown.length <= keptLimit) {
        BUFFERS.set(grown);
      }
    }
  }

  static String firstLine(String message) {
    if (message == null) {
      return "(no message)";
    }
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }
}
