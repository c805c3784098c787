package dev.airlock.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.AirlockConfig;
import dev.airlock.SandboxPool;
import dev.airlock.internal.worker.InstalledJdks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Budgets the kernel keeps per host user, which a bubblewrap guest shares with the host user's own processes (it is
 * that user in the kernel's books): descriptors in flight over Unix sockets ({@code SCM_RIGHTS}), which the kernel
 * refuses to a sender once the user's count passes the sender's {@code RLIMIT_NOFILE}, and locked shared memory
 * ({@code shmctl(SHM_LOCK)}), bounded by {@code RLIMIT_MEMLOCK} for all the user's processes together. Attack review
 * 36: a guest took both whole, and the host user's processes could pass no descriptor and lock no segment while it
 * held them. Run as a uid of its own ({@code setpriv}), whose budgets only this test touches; the guest and the host
 * each run the same JDK 25 source program (the FFM API), which a guest may run with the JDK it is given.
 */
@Timeout(180)
class GuestUserBudgetsTest {
  /** Sends descriptors over Unix socket pairs, 253 a message, until refused or {@code args[0]}; holds them. */
  static final String IN_FLIGHT = """
      import java.lang.foreign.*;
      import java.lang.invoke.*;
      public class Inflight {
        public static void main(String[] a) throws Throwable {
          Linker l = Linker.nativeLinker();
          StructLayout cs = Linker.Option.captureStateLayout();
          VarHandle errno = cs.varHandle(MemoryLayout.PathElement.groupElement("errno"));
          MethodHandle pair = l.downcallHandle(l.defaultLookup().find("socketpair").orElseThrow(),
              FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                  ValueLayout.ADDRESS));
          MethodHandle send = l.downcallHandle(l.defaultLookup().find("sendmsg").orElseThrow(),
              FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT),
              Linker.Option.captureCallState("errno"));
          long max = Long.parseLong(a[0]);
          long n = 0;
          int err = 0;
          int pairs = 0;
          try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(cs);
            MemorySegment fds = arena.allocate(8);
            MemorySegment byteBuf = arena.allocate(1);
            MemorySegment iov = arena.allocate(16);
            iov.set(ValueLayout.ADDRESS, 0, byteBuf);
            iov.set(ValueLayout.JAVA_LONG, 8, 1);
            outer:
            while (n < max && pairs < 4096) {
              // AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK
              if ((int) pair.invokeExact(1, 1 | 04000, 0, fds) != 0) {
                err = -1;
                break;
              }
              pairs++;
              int fd = fds.get(ValueLayout.JAVA_INT, 0);
              while (n < max) {
                int k = (int) Math.min(253, max - n);
                MemorySegment control = arena.allocate(16 + ((4L * k + 7) & ~7L));
                control.set(ValueLayout.JAVA_LONG, 0, 16 + 4L * k);
                control.set(ValueLayout.JAVA_INT, 8, 1);
                control.set(ValueLayout.JAVA_INT, 12, 1);
                for (int i = 0; i < k; i++) {
                  control.set(ValueLayout.JAVA_INT, 16 + 4L * i, fd);
                }
                MemorySegment msg = arena.allocate(56);
                msg.set(ValueLayout.ADDRESS, 16, iov);
                msg.set(ValueLayout.JAVA_LONG, 24, 1);
                msg.set(ValueLayout.ADDRESS, 32, control);
                msg.set(ValueLayout.JAVA_LONG, 40, control.byteSize());
                long r = (long) send.invokeExact(state, fds.get(ValueLayout.JAVA_INT, 4), msg, 0x4000);
                if (r < 0) {
                  err = (int) errno.get(state, 0L);
                  if (err == 11) {
                    continue outer;
                  }
                  break outer;
                }
                n += k;
              }
            }
            System.out.println(n + " in flight, errno " + err + ", pairs " + pairs);
            System.out.flush();
            Thread.sleep(Long.parseLong(a[1]));
          }
        }
      }
      """;

  /** Makes 4 KiB SysV segments and locks each until refused or {@code args[0]}; holds them, then removes them. */
  static final String SHM_LOCK = """
      import java.lang.foreign.*;
      import java.lang.invoke.*;
      public class ShmLock {
        public static void main(String[] a) throws Throwable {
          Linker l = Linker.nativeLinker();
          StructLayout cs = Linker.Option.captureStateLayout();
          VarHandle errno = cs.varHandle(MemoryLayout.PathElement.groupElement("errno"));
          MethodHandle get = l.downcallHandle(l.defaultLookup().find("shmget").orElseThrow(),
              FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
          MethodHandle ctl = l.downcallHandle(l.defaultLookup().find("shmctl").orElseThrow(),
              FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS),
              Linker.Option.captureCallState("errno"));
          long pages = Long.parseLong(a[0]);
          long locked = 0;
          int err = 0;
          java.util.List<Integer> ids = new java.util.ArrayList<>();
          try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(cs);
            while (locked < pages) {
              int id = (int) get.invokeExact(0, 4096L, 01000 | 0600);
              if (id < 0) { err = -1; break; }
              if ((int) ctl.invokeExact(state, id, 11, MemorySegment.NULL) != 0) {
                err = (int) errno.get(state, 0L);
                int r0 = (int) ctl.invokeExact(state, id, 0, MemorySegment.NULL);
                break;
              }
              ids.add(id);
              locked++;
            }
            System.out.println(locked + " pages locked, errno " + err);
            System.out.flush();
            Thread.sleep(Long.parseLong(a[1]));
            for (int id : ids) { int r1 = (int) ctl.invokeExact(state, id, 0, MemorySegment.NULL); }
          }
        }
      }
      """;

  @Test
  void aGuestCannotTakeTheHostUsersDescriptorsInFlight() throws Exception {
    String out = run(61_237, "Inflight", IN_FLIGHT, "100000000");

    assertThat(out).as(out).contains("host: 1 in flight").contains("host-user enforced: true")
        .doesNotContain("failed: ");
    long guest = Long.parseLong(out.replaceAll("(?s).*guest: (\\d+) in flight.*", "$1"));
    assertThat(guest).as(out).isLessThan(1_024);
  }

  @Test
  void aGuestCannotTakeTheHostUsersLockedMemory() throws Exception {
    String out = run(61_238, "ShmLock", SHM_LOCK, "100000");

    assertThat(out).as(out).contains("host: 1 pages locked").contains("guest: 0 pages locked")
        .doesNotContain("failed: ");
  }

  /** The output of a host JVM run as {@code uid} with {@link BudgetHungryGuestHost}. */
  private static String run(int uid, String name, String source, String guestMax) throws Exception {
    // The FFM API is final from JDK 22.
    List<Path> javas = InstalledJdks.atLeast(22);
    if (javas.isEmpty()) {
      InstalledJdks.missing("no JDK 22 or later in JAVA_HOME or under /usr/lib/jvm; install one to run this test");
    }
    Path folder = Files.createTempDirectory("budget");
    Path file = folder.resolve(name + ".java");
    Files.writeString(file, source);
    folder.toFile().setExecutable(true, false);
    file.toFile().setReadable(true, false);
    try {
      return NonRootJvm.run(List.of(), uid, BudgetHungryGuestHost.class, javas.get(0).toString(), file.toString(),
          guestMax);
    } finally {
      Files.delete(file);
      Files.delete(folder);
    }
  }

  /**
   * The host JVM: a call whose guest runs the program {@code args[1]} up to {@code args[2]} and holds what it took;
   * meanwhile the host runs it for one. Its workers, and so the guest, run on the JDK {@code args[0]}.
   */
  public static final class BudgetHungryGuestHost {
    public static void main(String[] args) throws Exception {
      Path java = Path.of(args[0]);
      Path hostSource = Path.of(args[1]);
      AirlockConfig config = AirlockConfig.builder().poolMinSize(0).poolMaxSize(1).sandboxRequired(true)
          .timeoutSeconds(90).localJava(java.toString()).localClassCache("off").build();
      try (SandboxPool pool = SandboxPool.builder(config).build()) {
        System.out.println("host-user enforced: " + pool.posture().enforces("host-user"));
        String source = Files.readString(hostSource);
        String name = hostSource.getFileName().toString();
        String max = args[2];
        CompletableFuture<String> guest = CompletableFuture.supplyAsync(() -> pool.call(() -> {
          Path file = Path.of("/tmp", name);
          Files.writeString(file, source);
          return GuestSignalQueueTest.firstLine(Path.of(System.getProperty("java.home"), "bin", "java"), file, max,
              "15000");
        }));
        // The guest's first line comes when it holds what it took; the host tries while it holds it.
        Thread.sleep(9_000);
        String host = GuestSignalQueueTest.firstLine(java, hostSource, "1", "0");
        System.out.println("guest: " + guest.join());
        System.out.println("host: " + host);
      } catch (RuntimeException e) {
        System.out.println("failed: " + e);
      }
      System.exit(0);
    }
  }
}
