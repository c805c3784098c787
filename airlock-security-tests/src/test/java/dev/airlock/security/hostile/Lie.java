package dev.airlock.security.hostile;

import dev.airlock.PayloadTooLargeException;
import dev.airlock.SandboxCrashedException;
import dev.airlock.SandboxExecutionException;
import dev.airlock.SandboxProtocolException;
import dev.airlock.SandboxTimeoutException;

/** The ways a {@link HostileWorker} lies, each with the exception the host must turn it into. */
public enum Lie {
  /** A frame declaring 2 GiB, then silence. */
  HUGE_LENGTH_PREFIX(PayloadTooLargeException.class),
  /** A RESULT frame that stops after a few of its declared bytes, then the worker exits. */
  FRAME_CUT_SHORT(SandboxProtocolException.class),
  /** Bytes that are no frame at all. */
  GARBAGE_FRAME(SandboxProtocolException.class),
  /** A well-formed RESULT frame whose Kryo payload is garbage. */
  GARBAGE_RESULT(SandboxProtocolException.class),
  /** A result naming a class like the commons-collections {@code InvokerTransformer} gadget. */
  GADGET_INVOKER_TRANSFORMER(SandboxProtocolException.class),
  /** A result naming the JDK's {@code TemplatesImpl}, by name only (it cannot be built outside its module). */
  GADGET_JDK_TEMPLATES_IMPL(SandboxProtocolException.class),
  /** An allowed list whose element is a Xalan {@code TemplatesImpl}-named object: the refusal happens deep down. */
  GADGET_NESTED_IN_ALLOWED_LIST(SandboxProtocolException.class),
  /** A {@code java.util.HashMap} whose key is a gadget-named object (hashing it would run its code). */
  HASHMAP_GADGET_KEY(SandboxProtocolException.class),
  /** A {@code java.util.HashMap} whose keys are lists containing the map: hashing them never ends. */
  HASHMAP_SELF_HASHING_KEY(SandboxProtocolException.class),
  /** Twenty bytes declaring a {@code LinkedList} of a billion nulls (Kryo reads all-null elements for free). */
  BILLION_NULLS_LINKED_LIST(SandboxProtocolException.class),
  /** Lists nested 100,000 deep. */
  NESTED_100000_DEEP(SandboxProtocolException.class),
  /** A valid RESULT, for another call's id. */
  RESULT_FOR_ANOTHER_CALL(SandboxProtocolException.class),
  /**
   * A WARMED frame though no warm-up was asked (the host asks none of a worker started for a caller), then a valid
   * RESULT.
   */
  UNSOLICITED_WARMED(SandboxProtocolException.class),
  /**
   * Pre-started and asked to warm up before the pool lists it idle, answers with a RESULT instead of WARMED. This and
   * the next two fail the worker's start (logged, no caller's exception): it is killed and never given a call.
   */
  WARM_UP_ANSWERED_WITH_A_RESULT(SandboxCrashedException.class),
  /** Asked to warm up, answers with WARMED for another warm-up's id. */
  WARMED_FOR_ANOTHER_WARM_UP(SandboxCrashedException.class),
  /** Asked to warm up, never answers: killed at the warm-up's timeout. */
  WARM_UP_NEVER_ANSWERED(SandboxCrashedException.class),
  /** A HELLO with a protocol version the host does not speak. */
  WRONG_PROTOCOL_VERSION(SandboxCrashedException.class),
  /**
   * A HELLO whose classpath fingerprint is not the host's and is text forging host log lines (line breaks, a terminal
   * escape, a bidi override): the host names the fingerprint in the error an application logs.
   */
  FORGED_FINGERPRINT(SandboxCrashedException.class),
  /**
   * Announces a RESULT frame of the host's whole limit (INVOKE says what it is), sends its 13-byte header and
   * nothing more until the call's timeout.
   */
  ANNOUNCED_FRAME_NEVER_SENT(SandboxTimeoutException.class),
  /** LOG frames, forever, and never a result: the host stops reading at its flood bound, well before the timeout. */
  ENDLESS_LOG_FRAMES(SandboxProtocolException.class),
  /** Reads the call and never answers. */
  NO_ANSWER(SandboxTimeoutException.class),
  /**
   * Connects and never says HELLO (used by the fault tests to kill a worker mid-handshake): the start is bounded by
   * the call's deadline, so the call times out.
   */
  SILENT_HANDSHAKE(SandboxTimeoutException.class),
  /** A list that contains itself, written with Kryo references: results carry none, so it is not a result. */
  REFERENCE_CYCLE(SandboxProtocolException.class),
  /**
   * A {@code TreeMap} whose comparator is commons-collections4's {@code TransformingComparator} over an
   * {@code InvokerTransformer} chain that calls {@code System.setProperty}: decoding it would run the chain.
   */
  CC4_TRANSFORMING_COMPARATOR(SandboxProtocolException.class),
  /** A {@code TreeMap} ordered by {@link CanaryComparator}, a comparator from outside the JDK. */
  FOREIGN_COMPARATOR_IN_TREEMAP(SandboxProtocolException.class),
  /**
   * The 410-byte attack: a {@code HashSet} holding lists nested 60 deep, each level holding its child twice by
   * reference, so hashing it visits 2^60 elements.
   */
  SHARED_NESTED_LISTS_IN_HASHSET(SandboxProtocolException.class),
  /** A {@code HashSet} of 60,000 distinct lists with one hash code: inserting them compares every pair. */
  COLLIDING_HASH_LISTS(SandboxProtocolException.class),
  /** A list of strings for a call whose code returns an {@code Integer}: admitted classes, in the wrong place. */
  RESULT_OF_ANOTHER_TYPE(SandboxProtocolException.class),
  /**
   * LOG frames written straight to the channel whose text holds line breaks, control and bidi characters forging
   * host log lines, then a valid result: legitimate, but each frame must stay one inert line.
   */
  FORGED_LOG_LINES(null);

  private final Class<? extends SandboxExecutionException> expected;

  Lie(Class<? extends SandboxExecutionException> expected) {
    this.expected = expected;
  }

  /** What the caller must get, or {@code null} when the lie is valid data. */
  public Class<? extends SandboxExecutionException> expected() {
    return expected;
  }
}
