package dev.airlock.internal.wire;

import dev.airlock.SandboxProtocolException;
import dev.airlock.internal.backend.GuestText;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Body layouts of the frames; every decoder treats its input as hostile. */
public final class Messages {

  /** Bumped on any incompatible change of frames or payloads; host and worker must agree. */
  public static final int PROTOCOL_VERSION = 6;

  /** The most class names one PREPARE frame carries. */
  public static final int MAX_PREPARED_CLASSES = 256;

  /**
   * What one printed line costs a call's output budget besides its text, on both sides: about what the host's log
   * line around it takes (time, thread, level, logger, worker). Without it a million empty or one-character lines
   * fit a budget counted in characters, and each is a whole host log line.
   */
  public static final int LOG_LINE_COST = 128;

  private Messages() {
  }

  public record Hello(int protocolVersion, String classpathFingerprint, long pid) {
  }

  /**
   * @param traceparent the W3C traceparent of the host's span for the call, or empty: at most
   *     {@link #MAX_TRACEPARENT_CHARS} ASCII characters, which the worker parses strictly (TraceIds)
   */
  public record Invoke(long callId, long timeoutMillis, int maxResultBytes, String traceparent, byte[] payload) {
    public Invoke {
      if (traceparent.length() > MAX_TRACEPARENT_CHARS) {
        throw new IllegalArgumentException("a traceparent has at most " + MAX_TRACEPARENT_CHARS + " characters");
      }
    }

    /** An invocation outside any trace. */
    public Invoke(long callId, long timeoutMillis, int maxResultBytes, byte[] payload) {
      this(callId, timeoutMillis, maxResultBytes, "", payload);
    }
  }

  /** The longest traceparent an INVOKE frame carries: a version-00 traceparent is exactly this long. */
  public static final int MAX_TRACEPARENT_CHARS = 55;

  /** The INVOKE header before the traceparent's characters: call id, timeout, result limit, traceparent length. */
  private static final int INVOKE_HEADER_BYTES = 21;

  public record Result(long callId, int printedLines, byte[] payload) {
  }

  public record Error(long callId, FailureKind kind, RemoteFailure failure) {
  }

  public record Log(boolean stderr, String text) {
  }

  public static byte[] hello(Hello h) {
    return write(out -> {
      out.writeInt(h.protocolVersion());
      out.writeUTF(h.classpathFingerprint());
      out.writeLong(h.pid());
    });
  }

  /**
   * Host side. The fingerprint is the worker's text, and the host names it in the error an application logs when it
   * is not the host's: it is kept escaped ({@link GuestText}) and at most {@link #MAX_FINGERPRINT_CHARS} characters, so
   * a worker cannot start or hide a line of the host's log with it (a real fingerprint is 16 hex digits).
   */
  public static Hello hello(byte[] body) {
    return read(body, "HELLO", in -> {
      int protocolVersion = in.readInt();
      String fingerprint = GuestText.escape(in.readUTF(), MAX_FINGERPRINT_CHARS);
      return new Hello(protocolVersion, fingerprint, in.readLong());
    });
  }

  /** The most characters of a worker's fingerprint the host keeps. */
  static final int MAX_FINGERPRINT_CHARS = 256;

  public static byte[] invoke(Invoke i) {
    return write(out -> {
      out.writeLong(i.callId());
      out.writeLong(i.timeoutMillis());
      out.writeInt(i.maxResultBytes());
      byte[] traceparent = i.traceparent().getBytes(StandardCharsets.US_ASCII);
      out.writeByte(traceparent.length);
      out.write(traceparent);
      out.write(i.payload());
    });
  }

  /** Worker side: a traceparent longer than {@link #MAX_TRACEPARENT_CHARS} makes the frame malformed. */
  public static Invoke invoke(byte[] body) {
    return read(body, "INVOKE", in -> {
      long callId = in.readLong();
      long timeoutMillis = in.readLong();
      int maxResultBytes = in.readInt();
      int traceparentLength = in.readUnsignedByte();
      if (traceparentLength > MAX_TRACEPARENT_CHARS) {
        throw new IOException("a traceparent of " + traceparentLength + " bytes, at most " + MAX_TRACEPARENT_CHARS);
      }
      byte[] traceparent = in.readNBytes(traceparentLength);
      if (traceparent.length != traceparentLength) {
        throw new IOException("the traceparent is cut short");
      }
      return new Invoke(callId, timeoutMillis, maxResultBytes, new String(traceparent, StandardCharsets.US_ASCII),
          Arrays.copyOfRange(body, INVOKE_HEADER_BYTES + traceparentLength, body.length));
    });
  }

  /** The RESULT header; the payload follows it in the same frame, written without copying. */
  public static byte[] resultHeader(long callId, int printedLines) {
    return write(out -> {
      out.writeLong(callId);
      out.writeInt(printedLines);
    });
  }

  public static final int RESULT_HEADER_BYTES = 12;

  public static Result result(byte[] body) {
    return read(body, "RESULT", in -> new Result(in.readLong(), in.readInt(),
        Arrays.copyOfRange(body, RESULT_HEADER_BYTES, body.length)));
  }

  public static byte[] error(Error e) {
    return write(out -> {
      out.writeLong(e.callId());
      out.writeByte(e.kind().ordinal());
      e.failure().writeTo(out);
    });
  }

  public static Error error(byte[] body) {
    return read(body, "ERROR", in -> {
      long callId = in.readLong();
      FailureKind kind = FailureKind.of(in.readByte());
      if (kind == null) {
        throw new IOException("unknown failure kind");
      }
      return new Error(callId, kind, RemoteFailure.readFrom(in));
    });
  }

  public static byte[] log(Log l) {
    byte[] text = l.text().getBytes(StandardCharsets.UTF_8);
    byte[] body = new byte[text.length + 1];
    body[0] = (byte) (l.stderr() ? 2 : 1);
    System.arraycopy(text, 0, body, 1, text.length);
    return body;
  }

  public static Log log(byte[] body) {
    if (body.length < 1) {
      throw new SandboxProtocolException("worker sent an empty LOG frame");
    }
    return new Log(body[0] == 2, new String(body, 1, body.length - 1, StandardCharsets.UTF_8));
  }

  public static byte[] prepare(List<String> classNames) {
    if (classNames.size() > MAX_PREPARED_CLASSES) {
      throw new IllegalArgumentException(classNames.size() + " class names, at most " + MAX_PREPARED_CLASSES);
    }
    return write(out -> {
      out.writeShort(classNames.size());
      for (String name : classNames) {
        out.writeUTF(name);
      }
    });
  }

  /** Worker side: the class names of a PREPARE frame, refused past {@link #MAX_PREPARED_CLASSES}. */
  public static List<String> prepare(byte[] body) {
    try {
      DataInputStream in = new DataInputStream(new ByteArrayInputStream(body));
      int count = in.readUnsignedShort();
      if (count > MAX_PREPARED_CLASSES) {
        throw new IOException(count + " class names, at most " + MAX_PREPARED_CLASSES);
      }
      List<String> names = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        names.add(in.readUTF());
      }
      return names;
    } catch (IOException e) {
      throw new SandboxProtocolException("host sent a malformed PREPARE frame: " + e.getMessage(), e);
    }
  }

  /** The body of WARM_UP and of WARMED: the warm-up's id, nothing else. */
  public static byte[] warmUp(long warmUpId) {
    return write(out -> out.writeLong(warmUpId));
  }

  /** The warm-up id of a WARM_UP or WARMED body, which must be exactly those 8 bytes. */
  public static long warmUp(byte[] body, String what) {
    return read(body, what, in -> {
      if (body.length != Long.BYTES) {
        throw new IOException(body.length + " bytes instead of " + Long.BYTES);
      }
      return in.readLong();
    });
  }

  private interface Writer {
    void write(DataOutputStream out) throws IOException;
  }

  private interface Reader<T> {
    T read(DataInputStream in) throws IOException;
  }

  private static byte[] write(Writer writer) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      writer.write(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  private static <T> T read(byte[] body, String what, Reader<T> reader) {
    try {
      return reader.read(new DataInputStream(new ByteArrayInputStream(body)));
    } catch (IOException | RuntimeException e) {
      throw new SandboxProtocolException("worker sent a malformed " + what + " frame: " + e.getMessage(), e);
    }
  }
}
