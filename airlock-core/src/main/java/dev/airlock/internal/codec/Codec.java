package dev.airlock.internal.codec;

import com.esotericsoftware.kryo.kryo5.Kryo;
import com.esotericsoftware.kryo.kryo5.KryoException;
import com.esotericsoftware.kryo.kryo5.io.Input;
import com.esotericsoftware.kryo.kryo5.io.KryoBufferOverflowException;
import com.esotericsoftware.kryo.kryo5.io.Output;
import dev.airlock.PayloadTooLargeException;
import dev.airlock.SandboxProtocolException;
import dev.airlock.UnshippableInvocationException;
import dev.airlock.internal.backend.GuestText;
import java.lang.reflect.InaccessibleObjectException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

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

  /**
   * Invocation codecs per context class loader (the system one, a Spring Boot jar's), which resolves the shipped
   * classes by name; an entry lives as long as its loader is used, few in any application.
   */
  private static final Map<ClassLoader, KryoPool<Kryo>> INVOCATIONS = new ConcurrentHashMap<>();
  private static final KryoPool<ResultDecoder> RESULT_DECODERS = new KryoPool<>(ResultDecoder::create);
  /** Results up to this size are decoded on the calling thread; see {@link #decodeResult}. */
  static final int INLINE_DECODE_BYTES = 64 * 1024;
  private static final long DEADLINE_POLL_MILLIS = 10;
  /** The most characters of a worker's text a refusal quotes. */
  private static final int MAX_QUOTED_CHARS = 1024;
  /** Daemon threads that decode large results; idle ones end after a minute. */
  private static final ExecutorService DECODERS = Executors.newCachedThreadPool(task -> {
    Thread thread = new Thread(task, "airlock-result-decoder");
    thread.setDaemon(true);
    return thread;
  });
  private static final ThreadLocal<Kryo> RESULT_WRITERS =
      ThreadLocal.withInitial(() -> Kryos.forResultWriting(contextLoader()));

  private Codec() {
  }

  /** A result's decoder: a Kryo whose class resolver admits what the call's allowlist names. */
  private record ResultDecoder(Kryos.AllowlistClassResolver resolver, Kryos.ResultKryo kryo) {
    static ResultDecoder create() {
      Kryos.AllowlistClassResolver resolver = new Kryos.AllowlistClassResolver(Codec.class.getClassLoader());
      return new ResultDecoder(resolver, Kryos.forResults(resolver));
    }
  }

  /** The pool of the calling thread's context loader; the warm-up links these call sites, not the first call. */
  private static KryoPool<Kryo> invocations() {
    return INVOCATIONS.computeIfAbsent(contextLoader(), Codec::invocationPool);
  }

  private static KryoPool<Kryo> invocationPool(ClassLoader loader) {
    return new KryoPool<>(() -> Kryos.forInvocations(loader));
  }

  /** Host side: the invocation's bytes, or {@link PayloadTooLargeException} past {@code maxBytes}. */
  public static byte[] encodeInvocation(ShippedInvocation invocation, int maxBytes) {
    KryoPool<Kryo> pool = invocations();
    Kryo kryo = pool.borrow();
    try {
      return encode(kryo, invocation, maxBytes, "invocation of " + invocation.declaringClass + "."
          + invocation.methodName, "airlock.max-payload-bytes", KEPT_INVOCATION_BUFFER);
    } finally {
      pool.giveBack(kryo);
    }
  }

  /**
   * Host side: the bytes of a call's arguments as they are now, so a call that waits (for approval) later runs
   * exactly these values and not whatever the caller's objects hold by then; {@link PayloadTooLargeException} past
   * {@code maxBytes}.
   */
  public static byte[] encodeArguments(Object[] args, int maxBytes) {
    KryoPool<Kryo> pool = invocations();
    Kryo kryo = pool.borrow();
    try {
      return encode(kryo, args, maxBytes, "arguments", "airlock.max-payload-bytes", KEPT_INVOCATION_BUFFER);
    } finally {
      pool.giveBack(kryo);
    }
  }

  /** Host side: a fresh copy of arguments kept by {@link #encodeArguments}: bytes the host made, never a worker's. */
  public static Object[] decodeArguments(byte[] bytes) {
    KryoPool<Kryo> pool = invocations();
    Kryo kryo = pool.borrow();
    try {
      return (Object[]) kryo.readClassAndObject(new Input(bytes));
    } finally {
      kryo.reset();
      pool.giveBack(kryo);
    }
  }

  /**
   * Worker side: builds the serializer of {@code type} ahead of the call that needs it, from its declared fields;
   * the class is not initialized.
   */
  public static void prepare(Class<?> type) {
    KryoPool<Kryo> pool = invocations();
    Kryo kryo = pool.borrow();
    try {
      kryo.getRegistration(type);
    } finally {
      pool.giveBack(kryo);
    }
  }

  /** Worker side. */
  public static ShippedInvocation decodeInvocation(byte[] bytes) {
    KryoPool<Kryo> pool = invocations();
    Kryo kryo = pool.borrow();
    try {
      return (ShippedInvocation) kryo.readClassAndObject(new Input(bytes));
    } finally {
      kryo.reset();
      pool.giveBack(kryo);
    }
  }

  /**
   * Worker side: the result's bytes, written as a tree (see {@link Kryos#forResultWriting}), or
   * {@link PayloadTooLargeException} past {@code maxBytes}; a cycle is an {@link UnshippableInvocationException}.
   */
  public static byte[] encodeResult(Object result, int maxBytes) {
    try {
      return encode(RESULT_WRITERS.get(), result, maxBytes, "result", "airlock.max-result-bytes",
          KEPT_RESULT_BUFFER);
    } catch (UnshippableInvocationException e) {
      if (e.getCause() instanceof KryoException k && String.valueOf(k.getMessage()).startsWith("Max depth")) {
        throw new UnshippableInvocationException("the result contains a cycle or nests deeper than "
            + Kryos.MAX_RESULT_DEPTH + " levels. Results travel as trees: a shared object arrives as copies and "
            + "a cycle cannot be sent, so return acyclic data (ids instead of back-references)", k);
      }
      throw e;
    }
  }

  /** Host side: {@link #decodeResult(byte[], ClassAllowlist, BooleanSupplier)} with no deadline but the budget. */
  public static Object decodeResult(byte[] bytes, ClassAllowlist allowlist) {
    return decodeResult(bytes, allowlist, () -> false);
  }

  /**
   * Host side: decodes bytes a worker sent. Any failure, including a class outside the allowlist, too deep a graph,
   * a lying size, more work than the bytes can justify, or {@code expired} turning true (the call's deadline
   * passed), is a {@link SandboxProtocolException}; nothing outside the allowlist is loaded.
   *
   * <p>A result over {@value #INLINE_DECODE_BYTES} bytes is decoded on a daemon thread that the caller abandons as
   * soon as {@code expired} turns true, so no single step of decoding (one hash code of a large subtree, one
   * comparison) can hold the calling thread past its deadline; the abandoned decoder stops at its own next deadline
   * check. Smaller results, whose work is bounded to well under a millisecond, stay on the calling thread, so a warm
   * call pays no thread hand-off.
   */
  public static Object decodeResult(byte[] bytes, ClassAllowlist allowlist, BooleanSupplier expired) {
    if (bytes.length <= INLINE_DECODE_BYTES) {
      return decodeHere(bytes, allowlist, expired);
    }
    Future<Object> decoded = DECODERS.submit(() -> decodeHere(bytes, allowlist, expired));
    try {
      while (true) {
        try {
          return decoded.get(DEADLINE_POLL_MILLIS, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
          if (expired.getAsBoolean()) {
            decoded.cancel(true);
            throw new SandboxProtocolException("result refused: decoding it ran past the call's deadline", null);
          }
        }
      }
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new SandboxProtocolException("result refused: " + quoted(String.valueOf(e.getCause())),
          inert(e.getCause()));
    } catch (InterruptedException e) {
      decoded.cancel(true);
      Thread.currentThread().interrupt();
      throw new SandboxProtocolException("result refused: the calling thread was interrupted while decoding it", e);
    }
  }

  private static Object decodeHere(byte[] bytes, ClassAllowlist allowlist, BooleanSupplier expired) {
    ResultDecoder decoder = RESULT_DECODERS.borrow();
    Kryos.AllowlistClassResolver resolver = decoder.resolver();
    Kryos.ResultKryo kryo = decoder.kryo();
    resolver.allowlist(allowlist);
    kryo.deadline(expired);
    Object result;
    try {
      BoundedInput input = new BoundedInput(bytes);
      result = kryo.readClassAndObject(input);
      if (input.remaining() != 0) {
        throw new SandboxProtocolException("result had " + input.remaining() + " bytes after its end");
      }
    } catch (Kryos.RejectedClassException e) {
      throw new SandboxProtocolException(refusal(e, allowlist), inert(e));
    } catch (RuntimeException e) {
      // Any serializer may throw anything on bytes it was not written for (DateTimeException from java.time, ...).
      throw new SandboxProtocolException("result refused: " + quoted(e.getMessage()), inert(e));
    } catch (StackOverflowError | OutOfMemoryError e) {
      throw new SandboxProtocolException("result refused: decoding it exhausted " + e.getClass().getSimpleName(),
          null);
    } catch (Error e) {
      // Decoding runs admitted classes' code (a record's constructor asserting, a class initializer failing): the
      // worker chose the bytes that made it throw, so it is refused as any other undecodable result, as a result
      // decoded on a decoder thread already was, and never reaches the caller as the host's own error.
      throw new SandboxProtocolException("result refused: " + quoted(String.valueOf(e)), inert(e));
    } finally {
      kryo.reset();
      kryo.noDeadline();
      resolver.allowlist(ClassAllowlist.jdkOnly());
      RESULT_DECODERS.giveBack(decoder);
    }
    Optional<String> misfit;
    try {
      misfit = ResultTypes.misfit(result, allowlist.resultType(), allowlist.resultOwner(), allowlist.resultDeclarer(),
          expired);
    } catch (SandboxProtocolException e) {
      throw e;
    } catch (RuntimeException | LinkageError e) {
      // The walk iterates admitted collection classes, whose code may throw on what the worker built.
      throw new SandboxProtocolException("result refused: its type could not be checked: " + quoted(
          String.valueOf(e)), inert(e));
    }
    if (misfit.isPresent()) {
      throw new SandboxProtocolException("result refused: " + misfit.get() + ". The method's code cannot return "
          + "that but through an unchecked cast: fix such a cast in the tool, else its worker is not running the "
          + "code this host shipped");
    }
    return result;
  }

  private static String refusal(Kryos.RejectedClassException e, ClassAllowlist allowlist) {
    String className = quoted(e.className);
    if (e.behaviour != null) {
      return "result refused: it holds an object of class " + className + ", which " + e.behaviour;
    }
    int dimensions = ClassAllowlist.dimensions(e.className);
    if (dimensions > allowlist.maxArrayDimensions()) {
      return "result refused: it names class " + className + ", an array of " + dimensions + " dimensions, deeper "
          + "than the " + allowlist.maxArrayDimensions() + " the method's declared return type reaches (each array "
          + "class the host loads stays loaded). If the method really returns it, declare that array type where "
          + "it is held (the return type, a field or a record component)";
    }
    return "result refused: it names class " + className + ", which is not on the allowlist (" + allowlist
        + "). If the method really returns it, declare a concrete return type that reaches it (the class itself, "
        + "or a field or record component of its type), or name the exact class in airlock.allowed-classes";
  }

  private static byte[] encode(Kryo kryo, Object value, int maxBytes, String what, String key, int keptLimit) {
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
    } catch (InaccessibleObjectException e) {
      // A JDK class without a serializer of its own: Kryo reads fields, and java.base keeps them closed.
      throw new UnshippableInvocationException("could not serialize the " + what + ": " + e.getMessage()
          + ". The JDK does not let its fields be read; pass what it holds instead (its text, or a record of "
          + "strings and numbers)", e);
    } finally {
      kryo.reset();
      byte[] grown = output.getBuffer();
      if (grown.length > kept.length && grown.length <= keptLimit) {
        BUFFERS.set(grown);
      }
    }
  }

  private static ClassLoader contextLoader() {
    ClassLoader context = Thread.currentThread().getContextClassLoader();
    return context != null ? context : Codec.class.getClassLoader();
  }

  /**
   * What a decoding failure says, as the host may quote it: its first line, escaped as a relayed log line and clipped.
   * The worker chose the bytes, so a class name or a value a serializer quotes is its text, of any length.
   */
  private static String quoted(String message) {
    // Escaped only as far as it is quoted: a serializer's message can hold all of a value, and escaping all of it
    // to quote 1,024 characters cost the host 50 times its bytes (GuestTextEscapeCostTest).
    return GuestText.escape(firstLine(message), MAX_QUOTED_CHARS);
  }

  /**
   * A stand-in for a decoding failure, to carry as the cause: its class, quoted message and stack, without the
   * original's message or causes, which hold the worker's text unescaped.
   */
  private static Throwable inert(Throwable failure) {
    if (failure == null) {
      return null;
    }
    KryoException copy = new KryoException(failure.getClass().getName() + ": " + quoted(failure.getMessage()));
    copy.setStackTrace(failure.getStackTrace());
    return copy;
  }

  static String firstLine(String message) {
    if (message == null) {
      return "(no message)";
    }
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }
}
