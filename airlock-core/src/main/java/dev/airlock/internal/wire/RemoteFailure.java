package dev.airlock.internal.wire;

import dev.airlock.internal.backend.GuestText;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * An exception as data: it crosses the wire as class name, message, stack and causes, never as a Java object, so
 * nothing of the sandbox's choosing is instantiated until the host decides the type is allowed.
 *
 * <p>Every string of a record the host reads is the guest's text, and it ends up in an exception an application
 * logs: the host escapes it as it escapes a relayed log line ({@link GuestText}), so a line break, a terminal escape
 * or a bidi override in a class name, message or frame cannot forge or hide a line of the host's log. Escaping makes
 * text longer (a control character becomes six characters), so one record keeps at most {@link #MAX_RECORD_CHARS} of
 * it and each string at most {@link #MAX_TEXT}, whatever the frame's size.
 */
public record RemoteFailure(String className, String message, List<StackTraceElement> stack, RemoteFailure cause) {
  static final int MAX_CAUSES = 16;
  static final int MAX_FRAMES = 512;
  static final int MAX_TEXT = 16 * 1024;
  /** The guest text one record read by the host keeps, escaped: far more than any real exception's. */
  static final int MAX_RECORD_CHARS = 2 * 1024 * 1024;

  public RemoteFailure {
    stack = List.copyOf(stack);
  }

  public static RemoteFailure of(Throwable t) {
    return of(t, 0);
  }

  private static RemoteFailure of(Throwable t, int depth) {
    StackTraceElement[] trace = t.getStackTrace();
    List<StackTraceElement> frames = new ArrayList<>();
    for (int i = 0; i < trace.length && i < MAX_FRAMES; i++) {
      frames.add(trace[i]);
    }
    Throwable cause = t.getCause();
    RemoteFailure remoteCause = cause != null && cause != t && depth < MAX_CAUSES ? of(cause, depth + 1) : null;
    return new RemoteFailure(t.getClass().getName(), t.getMessage(), frames, remoteCause);
  }

  public void writeTo(DataOutputStream out) throws IOException {
    RemoteFailure f = this;
    int depth = 0;
    while (f != null && depth <= MAX_CAUSES) {
      out.writeBoolean(true);
      out.writeUTF(clip(f.className));
      out.writeBoolean(f.message != null);
      if (f.message != null) {
        out.writeUTF(clip(f.message));
      }
      out.writeShort(f.stack.size());
      for (StackTraceElement e : f.stack) {
        out.writeUTF(clip(e.getClassName()));
        out.writeUTF(clip(e.getMethodName()));
        out.writeUTF(e.getFileName() == null ? "" : clip(e.getFileName()));
        out.writeInt(e.getLineNumber());
      }
      f = f.cause;
      depth++;
    }
    out.writeBoolean(false);
  }

  /** Reads a failure written by {@link #writeTo}, within the same bounds; the input may be hostile. */
  public static RemoteFailure readFrom(DataInputStream in) throws IOException {
    GuestStrings text = new GuestStrings();
    List<String> classNames = new ArrayList<>();
    List<String> messages = new ArrayList<>();
    List<List<StackTraceElement>> stacks = new ArrayList<>();
    while (in.readBoolean()) {
      if (classNames.size() > MAX_CAUSES) {
        throw new IOException("exception cause chain longer than " + MAX_CAUSES);
      }
      classNames.add(text.read(in));
      messages.add(in.readBoolean() ? text.read(in) : null);
      int frames = in.readUnsignedShort();
      if (frames > MAX_FRAMES) {
        throw new IOException("stack of " + frames + " frames, over " + MAX_FRAMES);
      }
      List<StackTraceElement> stack = new ArrayList<>(frames);
      for (int i = 0; i < frames; i++) {
        String cls = text.read(in);
        String method = text.read(in);
        String file = text.read(in);
        int line = in.readInt();
        stack.add(new StackTraceElement(cls, method, file.isEmpty() ? null : file, line));
      }
      stacks.add(stack);
    }
    RemoteFailure result = null;
    for (int i = classNames.size() - 1; i >= 0; i--) {
      result = new RemoteFailure(classNames.get(i), messages.get(i), stacks.get(i), result);
    }
    if (result == null) {
      throw new IOException("empty exception record");
    }
    return result;
  }

  private static String clip(String s) {
    return s.length() <= MAX_TEXT ? s : cut(s, MAX_TEXT);
  }

  /** The first {@code length} characters and an ellipsis, never half of a surrogate pair. */
  private static String cut(String s, int length) {
    int end = length > 0 && Character.isHighSurrogate(s.charAt(length - 1)) ? length - 1 : length;
    return s.substring(0, end) + "…";
  }

  /** The strings of one record as the host keeps them: escaped, each clipped, all together within a bound. */
  private static final class GuestStrings {
    private int left = MAX_RECORD_CHARS;

    /**
     * Escaped only as far as it is kept: escaping all of every string and clipping it afterwards, past the record's
     * bound too, cost the host 25 times a record's bytes (8.5 MiB of U+0001: 230 MiB on the calling
     * thread, GuestTextEscapeCostTest), however little of it was kept.
     */
    String read(DataInputStream in) throws IOException {
      String kept = GuestText.escape(in.readUTF(), Math.min(MAX_TEXT, left));
      left -= Math.min(left, kept.length());
      return kept;
    }
  }
}
