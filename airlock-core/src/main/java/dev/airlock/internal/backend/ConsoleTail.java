package dev.airlock.internal.backend;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.Consumer;

/**
 * The last lines a worker process wrote to its own stdout/stderr (the JVM's and its launcher's; user code's travels
 * as LOG frames, but guest code can write to the descriptors too), drained on a daemon thread and kept for error
 * messages about a worker that would not start or died.
 *
 * <p>The console is guest-controlled, so it is read as bytes under two bounds: a line keeps at most
 * {@link #MAX_LINE_BYTES} (the rest of it is counted, not kept), and after {@link #MAX_TOTAL_BYTES} the host stops
 * reading and closes its end. Closing rather than draining on: draining would let a guest make a host thread copy
 * its output at pipe speed for as long as the worker lives, while a closed pipe costs the host nothing and only
 * fails the worker's own later writes (EPIPE). Everything a worker says before that is far below the bound.
 */
public final class ConsoleTail {
  static final int KEPT_LINES = 20;
  static final int MAX_LINE_BYTES = 2048;
  static final long MAX_TOTAL_BYTES = 1024 * 1024;
  /**
   * The most of the kept lines {@link #text()} quotes. A line is kept at {@link #MAX_LINE_BYTES} and escaped after,
   * a control byte becoming six characters, so the kept lines alone came to 245,000 characters of guest text in one
   * crash message (attack review 21); the cloud bridge's text is clipped to as many.
   */
  static final int MAX_QUOTED_CHARS = 2048;

  private final Deque<String> lines = new ArrayDeque<>();

  private ConsoleTail() {
  }

  /** Starts draining {@code console}; each line, escaped, also goes to {@code eachLine} (a debug log, say). */
  public static ConsoleTail drain(InputStream console, String threadName, Consumer<String> eachLine) {
    ConsoleTail tail = new ConsoleTail();
    Thread reader = new Thread(() -> tail.read(console, eachLine), threadName);
    reader.setDaemon(true);
    reader.start();
    return tail;
  }

  private void read(InputStream console, Consumer<String> eachLine) {
    byte[] buffer = new byte[8192];
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    long total = 0;
    long cutFromLine = 0;
    try (console) {
      int n;
      while ((n = console.read(buffer)) >= 0) {
        for (int i = 0; i < n; i++) {
          if (buffer[i] == '\n') {
            keep(line, cutFromLine, eachLine);
            cutFromLine = 0;
          } else if (line.size() < MAX_LINE_BYTES) {
            line.write(buffer[i]);
          } else {
            cutFromLine++;
          }
        }
        total += n;
        if (total >= MAX_TOTAL_BYTES) {
          keep(line, cutFromLine, eachLine);
          keep("[console passed " + MAX_TOTAL_BYTES + " bytes; the host stopped reading it]", eachLine);
          return;
        }
      }
      if (line.size() > 0 || cutFromLine > 0) {
        keep(line, cutFromLine, eachLine);
      }
    } catch (IOException e) {
      // The process is gone.
    }
  }

  private void keep(ByteArrayOutputStream line, long cut, Consumer<String> eachLine) {
    String text = GuestText.escape(line.toString(StandardCharsets.UTF_8));
    line.reset();
    keep(cut == 0 ? text : text + " [" + cut + " more bytes]", eachLine);
  }

  private void keep(String text, Consumer<String> eachLine) {
    eachLine.accept(text);
    synchronized (lines) {
      lines.addLast(text);
      if (lines.size() > KEPT_LINES) {
        lines.removeFirst();
      }
    }
  }

  /** The kept lines, joined for one message line: their last {@link #MAX_QUOTED_CHARS} characters. */
  public String text() {
    String joined;
    synchronized (lines) {
      joined = String.join(" | ", lines);
    }
    if (joined.length() <= MAX_QUOTED_CHARS) {
      return joined;
    }
    int start = joined.length() - MAX_QUOTED_CHARS;
    if (Character.isLowSurrogate(joined.charAt(start))) {
      start++;
    }
    return "…" + joined.substring(start);
  }
}
