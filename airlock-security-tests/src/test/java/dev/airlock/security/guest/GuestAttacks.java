package dev.airlock.security.guest;

import java.io.IOException;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.WatchService;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

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

  /**
   * How many sleeping threads, at most {@code count}, could be started in {@code holdMillis}: when refused, the guest
   * tries again every millisecond, so it takes every slot that frees up.
   */
  public static int startThreadsAndHold(int count, long holdMillis) {
    long end = System.nanoTime() + holdMillis * 1_000_000;
    int started = 0;
    while (System.nanoTime() < end) {
      started += startThreads(count - started);
      try {
        Thread.sleep(1);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    return started;
  }

  /**
   * How many of {@code count} file watchers (each an inotify instance, counted against the host user's 128 when the
   * sandbox's user is the host user's) could be opened, and why the next one could not; all are closed before the
   * answer, so only what the kernel allowed is measured.
   */
  public static String openFileWatchers(int count) {
    List<WatchService> opened = new ArrayList<>();
    String refusal = "none";
    try {
      while (opened.size() < count) {
        opened.add(FileSystems.getDefault().newWatchService());
      }
    } catch (Throwable refused) {
      refusal = refused.toString();
    } finally {
      for (WatchService watcher : opened) {
        try {
          watcher.close();
        } catch (IOException e) {
          // closing on the way out: the count is the answer
        }
      }
    }
    return opened.size() + " opened; then " + refusal;
  }

  /** The line of {@code /proc/self/limits} that starts with {@code name}, or why it could not be read. */
  public static String ownLimit(String name) {
    try {
      return Files.readAllLines(Path.of("/proc/self/limits")).stream().filter(l -> l.startsWith(name)).findFirst()
          .orElse("no such limit");
    } catch (IOException e) {
      return "unreadable: " + e;
    }
  }

  /**
   * How many of {@code count} pseudo-terminals (each an open of {@code /dev/ptmx}) the guest could hold at once, and why
   * the next could not be had; all are closed before the answer. The kernel's pty limit is one for every devpts
   * instance on the host but its first ({@code kernel.pty.max} less its reserve).
   */
  public static String openPtys(int count) {
    List<java.io.FileInputStream> opened = new ArrayList<>();
    String refusal = "none";
    try {
      while (opened.size() < count) {
        opened.add(new java.io.FileInputStream("/dev/ptmx"));
      }
    } catch (IOException | RuntimeException refused) {
      refusal = refused.toString();
    } finally {
      for (java.io.FileInputStream pty : opened) {
        try {
          pty.close();
        } catch (IOException e) {
          // closing on the way out: the count is the answer
        }
      }
    }
    return "opened " + opened.size() + "; then " + refusal;
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

  /** Where the guest could create a file outside its scratch folders: "path: how it failed" per path tried. */
  public static List<String> writeOutsideScratch() {
    List<String> outcomes = new ArrayList<>();
    for (String dir : List.of("/", "/dev", "/etc", "/usr", "/opt", System.getProperty("java.home"))) {
      Path file = Path.of(dir, "airlock-guest-" + ProcessHandle.current().pid());
      try {
        Files.writeString(file, "planted");
        outcomes.add(dir + ": WRITTEN");
        Files.deleteIfExists(file);
      } catch (IOException | SecurityException refused) {
        outcomes.add(dir + ": " + refused.getClass().getSimpleName());
      }
    }
    return outcomes;
  }

  /** The per-mount options and superblock options of the mount at {@code point}, from mountinfo. */
  public static String mountOptions(String point) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
        String[] fields = line.split(" ");
        if (fields.length > 5 && fields[4].equals(point)) {
          String[] fs = line.substring(line.indexOf(" - ") + 3).split(" ");
          return fields[5] + " " + fs[0] + " " + (fs.length > 2 ? fs[2] : "");
        }
      }
      return "not mounted";
    } catch (IOException e) {
      return "unreadable: " + e;
    }
  }

  /** Bytes written to {@code /dev/shm} before it said no, stopping at {@link #TMP_FILL_CAP}; the file is removed. */
  public static long fillDevShm() {
    Path file = Path.of("/dev/shm", "airlock-fill-" + ProcessHandle.current().pid());
    byte[] chunk = new byte[1024 * 1024];
    long written = 0;
    try (OutputStream out = Files.newOutputStream(file)) {
      while (written < TMP_FILL_CAP) {
        out.write(chunk);
        written += chunk.length;
      }
    } catch (IOException full) {
      // No space left on device: the bound held.
    }
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      // Gone with the sandbox.
    }
    return written;
  }

  /** Copies the JDK's own launcher into {@code dir} and runs it: the outcome, or why it could not run. */
  public static String runBinaryDroppedIn(String dir) {
    Path copy = Path.of(dir, "dropped-" + ProcessHandle.current().pid());
    try {
      Files.copy(Path.of(System.getProperty("java.home"), "bin", "java"), copy);
      copy.toFile().setExecutable(true);
      Process process = new ProcessBuilder(copy.toString(), "-version").redirectErrorStream(true).start();
      process.getInputStream().readAllBytes();
      return "ran, exit " + process.waitFor();
    } catch (IOException refused) {
      return "refused: " + refused.getMessage();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    } finally {
      copy.toFile().delete();
    }
  }

  /** The {@code Seccomp}, {@code NoNewPrivs} and {@code CapEff} lines of the guest's own status. */
  public static String securityStatus() {
    try {
      return String.join("\n", Files.readAllLines(Path.of("/proc/self/status")).stream()
          .filter(l -> l.startsWith("Seccomp:") || l.startsWith("NoNewPrivs:") || l.startsWith("CapEff:")).toList());
    } catch (IOException e) {
      return "unreadable: " + e;
    }
  }

  /** What the guest reads of a classpath resource: its text, "absent", or why it could not. */
  public static String readResource(String name) {
    try (var in = GuestAttacks.class.getClassLoader().getResourceAsStream(name)) {
      return in == null ? "absent" : new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    } catch (IOException | RuntimeException unreadable) {
      return "unreadable: " + unreadable;
    }
  }

  /** What the guest reads of a file: its text, or why it could not. */
  public static String readFile(String path) {
    try {
      return Files.readString(Path.of(path));
    } catch (IOException | RuntimeException unreadable) {
      return "unreadable: " + unreadable;
    }
  }

  /**
   * A JDK 17 program (incubator foreign API): each system call a guest could take a host-wide kernel budget with,
   * made through libc's {@code syscall}, and its answer as {@code name=result/errno}. {@code mmap} asks for 2 MiB of
   * the host's huge page pool, {@code shmget} for a huge page segment, {@code memfd_create} for a huge page file,
   * {@code io_setup} for 16 AIO events, {@code io_uring_setup} for a ring of 4, {@code memfd_secret} for a file of
   * memory the kernel takes out of its own map of all memory, {@code socket} for a vsock stream socket, which no
   * network namespace confines, and a vsock and a UDP socket again with a bit set in the family's upper half, which the
   * kernel drops (an {@code int}) but a profile's comparison of the whole argument sees, and {@code fcntl} for a read
   * lease on the program's own source file (the guest's: its owner may lease it), the command again with a bit in its
   * upper half, which the kernel drops too.
   */
  private static final String NATIVE_CALLS_17 = """
      import jdk.incubator.foreign.*;
      import java.lang.invoke.*;
      public class NativeCalls {
        static MethodHandle syscall;
        static MethodHandle errno;
        public static void main(String[] args) throws Throwable {
          CLinker c = CLinker.getInstance();
          syscall = c.downcallHandle(CLinker.systemLookup().lookup("syscall").get(), MethodType.methodType(long.class,
              long.class, long.class, long.class, long.class, long.class, long.class, long.class),
              FunctionDescriptor.of(CLinker.C_LONG, CLinker.C_LONG, CLinker.C_LONG, CLinker.C_LONG, CLinker.C_LONG,
              CLinker.C_LONG, CLinker.C_LONG, CLinker.C_LONG));
          errno = c.downcallHandle(CLinker.systemLookup().lookup("__errno_location").get(),
              MethodType.methodType(MemoryAddress.class), FunctionDescriptor.of(CLinker.C_POINTER));
          MemorySegment scratch = MemorySegment.allocateNative(256, ResourceScope.globalScope());
          scratch.fill((byte) 0);
          long at = scratch.address().toRawLongValue();
          StringBuilder out = new StringBuilder();
          call(out, "mmap", 9, 0, 2 << 20, 3, 0x22 | 0x40000, -1);
          call(out, "shmget", 29, 0, 2 << 20, 01600 | 0x800, 0, 0);
          call(out, "memfd_create", 319, at + 128, 4, 0, 0, 0);
          call(out, "io_setup", 206, 16, at, 0, 0, 0);
          call(out, "io_uring_setup", 425, 4, at + 8, 0, 0, 0);
          call(out, "memfd_secret", 447, 0, 0, 0, 0, 0);
          call(out, "vsock", 41, 40, 1, 0, 0, 0);
          call(out, "vsock_upper", 41, 40 | 1L << 32, 1, 0, 0, 0);
          call(out, "udp_upper", 41, 2 | 1L << 32, 2, 0, 0, 0);
          long own = (long) syscall.invokeExact(257L, -100L,
              CLinker.toCString(args[0], ResourceScope.globalScope()).address().toRawLongValue(), 0L, 0L, 0L, 0L);
          call(out, "lease", 72, own, 1024, 0, 0, 0);
          call(out, "lease_upper", 72, own, 1024 | 1L << 32, 0, 0, 0);
          call(out, "sync", 162, 0, 0, 0, 0, 0);
          call(out, "syncfs", 306, 0, 0, 0, 0, 0);
          System.out.print(out.toString().trim());
        }
        static void call(StringBuilder out, String name, long nr, long a, long b, long c, long d, long e)
            throws Throwable {
          long result = (long) syscall.invokeExact(nr, a, b, c, d, e, 0L);
          MemoryAddress location = (MemoryAddress) errno.invokeExact();
          int error = MemoryAccess.getInt(location.asSegment(4, ResourceScope.globalScope()));
          out.append(name).append('=').append(result).append('/').append(result == -1 ? error : 0).append(' ');
        }
      }
      """;

  /**
   * What the kernel answered to {@link #NATIVE_CALLS_17}, run by a JVM the guest starts with native access: a guest
   * needs no native code of its own to make any system call (attack review 24). x86-64, JDK 17 workers only.
   */
  public static String nativeCallsThroughAChildJvm() throws IOException, InterruptedException {
    Path source = Files.writeString(Files.createTempDirectory("native").resolve("NativeCalls.java"), NATIVE_CALLS_17);
    Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--add-modules", "jdk.incubator.foreign", "--enable-native-access=ALL-UNNAMED", "-Xmx32m", "-Xss512k",
        "-XX:TieredStopAtLevel=1", source.toString(), source.toString()).redirectErrorStream(true).start();
    if (!child.waitFor(60, TimeUnit.SECONDS)) {
      child.destroyForcibly();
      return "no answer in 60 s";
    }
    String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    int at = out.indexOf("mmap=");
    return at < 0 ? out : out.substring(at).strip();
  }
}
