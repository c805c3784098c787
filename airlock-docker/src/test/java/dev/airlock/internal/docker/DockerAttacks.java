package dev.airlock.internal.docker;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;

/** What the Docker tests run inside workers. Static, so the calls capture only their arguments. */
final class DockerAttacks {

  private DockerAttacks() {
  }

  /** "wrote" or the exception the filesystem answered with. */
  static String tryWrite(String path) {
    try {
      Files.writeString(Path.of(path), "written from the sandbox");
      return "wrote";
    } catch (IOException | RuntimeException e) {
      return e.toString();
    }
  }

  /** The "Max core file size" line of the worker's own limits. */
  static String coreLimit() throws IOException {
    return Files.readAllLines(Path.of("/proc/self/limits")).stream().filter(l -> l.startsWith("Max core file size"))
        .findFirst().orElse("none");
  }

  /** The real uid of the guest's process, from {@code /proc/self/status}. */
  static long uid() throws IOException {
    String line = Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("Uid:"))
        .findFirst().orElseThrow();
    return Long.parseLong(line.split("\\s+")[1]);
  }

  /** Opens pseudo-terminals until refused (at most {@code max}); how many, and the refusal. */
  static String openPtys(int max) {
    List<java.io.RandomAccessFile> opened = new ArrayList<>();
    String refusal = "never refused";
    try {
      for (int i = 0; i < max; i++) {
        opened.add(new java.io.RandomAccessFile("/dev/ptmx", "rw"));
      }
    } catch (IOException e) {
      refusal = e.toString();
    } finally {
      for (java.io.RandomAccessFile pty : opened) {
        try {
          pty.close();
        } catch (IOException e) {
          // Closed with the worker anyway.
        }
      }
    }
    return "opened " + opened.size() + ": " + refusal;
  }

  static boolean exists(String path) {
    return Files.exists(Path.of(path));
  }

  static List<String> list(String folder) throws IOException {
    try (Stream<Path> files = Files.list(Path.of(folder))) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  /** Starts parked threads until the JVM cannot get another one; returns how many started and why it stopped. */
  static String threadStorm(int attempts) {
    CountDownLatch release = new CountDownLatch(1);
    List<Thread> started = new ArrayList<>();
    String stoppedBy = "never refused";
    for (int i = 0; i < attempts; i++) {
      Thread t = new Thread(() -> {
        try {
          release.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      t.setDaemon(true);
      try {
        t.start();
        started.add(t);
      } catch (OutOfMemoryError e) {
        stoppedBy = e.toString();
        break;
      }
    }
    release.countDown();
    for (Thread t : started) {
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return started.size() + " started; " + stoppedBy;
  }

  /**
   * What the guest can do to its PID namespace's PID 1 (the host's lifeline): its command line, then for each way to
   * hold or stop it the outcome: open its stdin pipe as a second writer, open its memory, signal it.
   */
  static List<String> attackPid1() {
    List<String> out = new ArrayList<>();
    try {
      out.add("cmdline " + new String(Files.readAllBytes(Path.of("/proc/1/cmdline"))).replace('\0', ' ').strip());
    } catch (IOException e) {
      out.add("cmdline " + e);
    }
    out.add("stdin " + tryOpen("/proc/1/fd/0", StandardOpenOption.WRITE));
    out.add("mem " + tryOpen("/proc/1/mem", StandardOpenOption.READ));
    out.add("kill " + ProcessHandle.of(1).map(ProcessHandle::destroyForcibly).orElse(false));
    out.add("self " + ProcessHandle.current().pid());
    return out;
  }

  private static String tryOpen(String path, StandardOpenOption mode) {
    try (FileChannel channel = FileChannel.open(Path.of(path), mode)) {
      return "opened";
    } catch (IOException | RuntimeException e) {
      return e.getClass().getSimpleName();
    }
  }

  static String sleep(long millis) throws InterruptedException {
    Thread.sleep(millis);
    return "slept";
  }
}
