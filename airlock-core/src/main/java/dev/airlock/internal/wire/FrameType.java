package dev.airlock.internal.wire;

/** The kinds of frame in the worker protocol, with their byte on the wire. */
public enum FrameType {
  /** worker → host, once: protocol version, classpath fingerprint, pid. */
  HELLO(1),
  /** host → worker: call id, timeout, result limit, Kryo payload of the invocation. */
  INVOKE(2),
  /** worker → host: call id, printed-line count, Kryo payload of the return value. */
  RESULT(3),
  /** worker → host: call id, failure kind, the failure as data. */
  ERROR(4),
  /** worker → host: a line the user code printed (stream byte, UTF-8 text). */
  LOG(5),
  /** host → worker: finish and exit. */
  SHUTDOWN(6),
  /**
   * host → worker, before a call: names of application classes recent calls shipped, for the worker to load
   * (without initializing) ahead of its first call.
   */
  PREPARE(7),
  /**
   * host → worker, only to a worker that waits idle: warm-up id. The worker runs one throw-away call through a real
   * call's path, then answers WARMED; a worker started for a waiting caller is never sent one, so that caller's INVOKE
   * does not wait behind it.
   */
  WARM_UP(8),
  /** worker → host: the warm-up id of the WARM_UP it finished; read by the host before the next call's answer. */
  WARMED(9);

  private final byte code;

  FrameType(int code) {
    this.code = (byte) code;
  }

  public byte code() {
    return code;
  }

  /** The type for a byte read from the wire, or {@code null} when it is not one. */
  public static FrameType of(byte code) {
    for (FrameType t : values()) {
      if (t.code == code) {
        return t;
      }
    }
    return null;
  }
}
