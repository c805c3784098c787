package dev.airlock.internal.backend;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.Consumer;

/**
 * The last lines a worker process wrote to its own stdout/stderr (the JVM's and its launcher's, not user code's,
 * which travels as LOG frames), drained on a daemon thread so the process never blocks on a full pipe, and kept for
 * error messages about a worker that would not start or died.
 */
public final class ConsoleTail {
  private static final int KEPT_LINES = 20;

  private final Deque<String> lines = new ArrayDeque<>();

  private ConsoleTail() {
  }

  /** Starts draining {@code console}; each line also goes to {@code eachLine} (a debug log, say). */
  public static ConsoleTail drain(InputStream console, String threadName, Consumer<String> eachLine) {
    ConsoleTail tail = new ConsoleTail();
    Thread reader = new Thread(() -> tail.read(console, eachLine), threadName);
    reader.setDaemon(true);
    reader.start();
    return tail;
  }

  private void read(InputStream console, Consumer<String> eachLine) {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(console, StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        eachLine.accept(line);
        synchronized (lines) {
          lines.addLast(line);
          if (lines.size() > KEPT_LINES) {
            lines.removeFirst();
          }
        }
      }
    } catch (IOException e) {
      // The process is gone.
    }
  }

  /** The kept lines, joined for one message line. */
  public String text() {
    synchronized (lines) {
      return String.join(" | ", lines);
    }
  }
}
