package dev.airlock.security.guest;

import java.io.IOException;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** What hostile guest code does inside a worker; each method reports what it achieved instead of failing. */
public final class GuestAttacks {
  public static final long TMP_FILL_CAP = 256L * 1024 * 1024;

  private GuestAttacks() {
  }

  public static int recurse(int depth) {
    return recurse(depth + 1) + 1;
  }

  /** How many of {@code count} sleeping threads could be started. */
  public static int startThreads(int count) {
    int started = 0;
    try {
      for (; started < count; started++) {
        Thread t = new Thread(() -> {
          try {
            Thread.sleep(60_000);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
        t.setDaemon(true);
        t.start();
      }
    } catch (Throwable refused) {
      // OutOfMemoryError: unable to create native thread, the limit held.
    }
    return started;
  }

  /** Bytes written to {@code /tmp} before the disk said no, stopping at {@link #TMP_FILL_CAP}. */
  public static long fillTmp(String name) {
    byte[] chunk = new byte[1024 * 1024];
    long written = 0;
    try (OutputStream out = Files.newOutputStream(Path.of("/tmp", name))) {
      while (written < TMP_FILL_CAP) {
        out.write(chunk);
        written += chunk.length;
      }
    } catch (IOException full) {
      // No space left on device: the bound held.
    }
    return written;
  }

  /** The environment of every process the guest can see, as one string. */
  public static String readAllEnvirons() {
    StringBuilder seen = new StringBuilder();
    try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
      for (Path proc : procs) {
        try {
          seen.append(new String(Files.readAllBytes(proc.resolve("environ")))).append('\n');
        } catch (IOException denied) {
          seen.append(proc).append(": ").append(denied).append('\n');
        }
      }
    } catch (IOException e) {
      seen.append("/proc unreadable: ").append(e);
    }
    return seen.toString();
  }

  /** The names in {@code dir}, or empty when the guest cannot list it. */
  public static List<String> list(String dir) {
    List<String> names = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(Path.of(dir))) {
      entries.forEach(p -> names.add(p.getFileName().toString()));
    } catch (IOException | SecurityException denied) {
      // Not there or not readable: contained.
    }
    return names;
  }

  /** "connected" or why not. */
  public static String connectUnix(String path) {
    try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      channel.connect(UnixDomainSocketAddress.of(path));
      return "connected";
    } catch (IOException refused) {
      return "refused: " + refused;
    }
  }

  public static int halt(int status) {
    Runtime.getRuntime().halt(status);
    return status;
  }
}
