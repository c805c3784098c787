package dev.airlock.internal.docker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.IsolationPosture.Control;
import dev.airlock.SandboxPool;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Attack review 24: the engine's default seccomp profile allows {@code io_setup}, and the kernel counts AIO events
 * host-wide ({@code fs.aio-max-nr}, 65536 by default): a process that holds them all makes every other process on
 * the host fail to make an AIO context. The docs said Java could not make one without native code, but a guest needs
 * none of its own: it starts a JVM of the image with the JDK's foreign function API enabled and calls libc's
 * {@code syscall}. By hand, 64 contexts of 1024 events took all 65536 of the host's. The posture said nothing of it.
 * Containers now run under Airlock's own profile ({@link DockerSeccompProfile}), which refuses it, and io_uring, which
 * the default profile of engines before 23.0 (this machine's 20.10) allows too.
 */
@Timeout(120)
class DockerAioContextsTest {
  /**
   * A child JVM's program: one AIO context of 16 events and one io_uring of 4 entries (freed when it exits), and
   * what the kernel answered to each.
   */
  private static final String PROGRAM = """
      import jdk.incubator.foreign.*;
      import java.lang.invoke.MethodType;
      public class Aio {
        public static void main(String[] args) throws Throwable {
          var syscall = CLinker.getInstance().downcallHandle(CLinker.systemLookup().lookup("syscall").get(),
              MethodType.methodType(long.class, long.class, long.class, MemoryAddress.class),
              FunctionDescriptor.of(CLinker.C_LONG, CLinker.C_LONG, CLinker.C_LONG, CLinker.C_POINTER));
          MemorySegment context = MemorySegment.allocateNative(8, ResourceScope.globalScope());
          System.out.print("io_setup " + (long) syscall.invokeExact(206L, 16L, context.address()));
          MemorySegment params = MemorySegment.allocateNative(120, ResourceScope.globalScope());
          params.fill((byte) 0);
          System.out.print(" io_uring_setup " + (long) syscall.invokeExact(425L, 4L, params.address()));
        }
      }
      """;

  @Test
  void theGuestCanMakeNeitherAnAioContextNorAnIoUring() {
    DockerTestEngine.require();
    try (SandboxPool pool = SandboxPool.builder(DockerTestEngine.config()).minSize(0).maxSize(1).build()) {
      Control syscalls = pool.posture().control("syscalls").orElseThrow();
      assertThat(syscalls.enforced()).as(syscalls.toString()).isTrue();
      assertThat(syscalls.how()).contains("Airlock's seccomp profile", "AIO");
      String answer = pool.call(DockerAioContextsTest::makeAnAioContextThroughAChildJvm);
      assertThat(answer).as("the guest's attempts").matches("io_setup -1 io_uring_setup -1");
    }
  }

  /**
   * Writes {@link #PROGRAM} to {@code /tmp} and runs it in a JVM of the image (the source launcher: the test image
   * is a whole JDK; with a JRE the guest would write a class file instead); what it printed, or how it failed.
   */
  static String makeAnAioContextThroughAChildJvm() throws IOException, InterruptedException {
    Path source = Files.writeString(Files.createTempDirectory("aio").resolve("Aio.java"), PROGRAM);
    Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--add-modules", "jdk.incubator.foreign", "--enable-native-access=ALL-UNNAMED", "-Xmx32m",
        source.toString()).redirectErrorStream(true).start();
    if (!child.waitFor(60, TimeUnit.SECONDS)) {
      child.destroyForcibly();
      return "no answer in 60 s";
    }
    String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    int at = out.indexOf("io_setup ");
    return at < 0 ? out : out.substring(at).strip();
  }
}
