package dev.airlock.internal.wire;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * An exception as data: it crosses the wire as class name, message, stack and causes, never as a Java object, so
 * nothing of the sandbox's choosing is instantiated until the host decides the type is allowed.
 */
public record RemoteFailure(String className, String message, List<StackTraceElement> stack, RemoteFailure cause) {
  static final int MAX_CAUSES = 16;
  static final int MAX_FRAMES = 512;
  static final int MAX_TEXT = 16 * 1024;

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
    List<String> classNames = new ArrayList<>();
    List<String> messages = new ArrayList<>();
    List<List<StackTraceElement>> stacks = new ArrayList<>();
    while (in.readBoolean()) {
      if (classNames.size() > MAX_CAUSES) {
        throw new IOException("exception cause chain longer than " + MAX_CAUSES);
      }
      classNames.add(in.readUTF());
      messages.add(in.readBoolean() ? in.readUTF() : null);
      int frames = in.readUnsignedShort();
      if (frames > MAX_FRAMES) {
        throw new IOException("stack of " + frames + " frames, over " + MAX_FRAMES);
      }
      List<StackTraceElement> stack = new ArrayList<>(frames);
      for (int i = 0; i < frames; i++) {
        String cls = in.readUTF();
        String method = in.readUTF();
        String file = in.readUTF();
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
    return s.length() <= MAX_TEXT ? s : s.substring(0, MAX_TEXT) + "…";
  }
}
