package dev.airlock.security.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.airlock.SandboxExecutionException;
import dev.airlock.internal.codec.ClassAllowlist;
import dev.airlock.internal.codec.Codec;
import dev.airlock.internal.wire.Frame;
import dev.airlock.internal.wire.FrameReader;
import dev.airlock.internal.wire.Messages;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.util.List;

/**
 * Fuzzes what the host reads from a worker: frames and their bodies, and Kryo result payloads. Any input must give
 * a value or a {@link SandboxExecutionException} (a clean end of stream for frames), never another exception, an
 * {@code Error}, a hang or an allocation out of proportion to the input.
 *
 * <p>{@code mvn verify} replays the committed corpus under {@code src/test/resources/.../HostDecodingFuzzTestInputs}
 * (regression mode). A long run: {@code JAZZER_FUZZ=1 mvn -pl airlock-security-tests -am verify
 * -Dsurefire.failIfNoSpecifiedTests=false -Dtest=HostDecodingFuzzTest#resultDecoding}; see docs/security.md.
 */
class HostDecodingFuzzTest {
  /** A small frame limit, so a lying length can only cost this much. */
  private static final int MAX_PAYLOAD = 64 * 1024;
  /** Per input byte: Kryo objects and collection slots cost a few dozen bytes each. */
  private static final long BYTES_PER_INPUT_BYTE = 512;
  /** Two frames' worth, plus room for caches filled on a serializer's first use. */
  private static final long FIXED_ALLOWANCE = 2L * (MAX_PAYLOAD + FrameReader.HEADER_ALLOWANCE) + 16 * 1024 * 1024;
  private static final ClassAllowlist ALLOWLIST = ClassAllowlist.of(List.of("dev.airlock.security.*"));
  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  static {
    // Kryo's own start-up is paid once per JVM, not per input.
    Codec.decodeResult(Codec.encodeResult(List.of(1), MAX_PAYLOAD), ALLOWLIST);
  }

  @FuzzTest(maxDuration = "30s")
  void framesAndBodies(byte[] input) throws IOException {
    boundedAllocation(input, () -> {
      FrameReader reader = new FrameReader(new ByteArrayInputStream(input), MAX_PAYLOAD);
      try {
        while (true) {
          decodeBody(reader.read());
        }
      } catch (EOFException | SandboxExecutionException expected) {
        // A clean end of stream, or a clean refusal.
      }
    });
  }

  @FuzzTest(maxDuration = "30s")
  void resultDecoding(byte[] input) throws IOException {
    boundedAllocation(input, () -> {
      try {
        Codec.decodeResult(input, ALLOWLIST);
      } catch (SandboxExecutionException expected) {
        // A clean refusal.
      }
    });
  }

  private static void decodeBody(Frame frame) {
    switch (frame.type()) {
      case HELLO -> Messages.hello(frame.body());
      case INVOKE -> Messages.invoke(frame.body());
      case RESULT -> Codec.decodeResult(Messages.result(frame.body()).payload(), ALLOWLIST);
      case ERROR -> Messages.error(frame.body());
      case LOG -> Messages.log(frame.body());
      case SHUTDOWN -> assertThat(frame.body()).isNotNull();
      case PREPARE -> Messages.prepare(frame.body());
    }
  }

  private interface Decoding {
    void run() throws IOException;
  }

  /** Measures a second decoding of the input: the first pays for loading (and instrumenting) serializers. */
  private static void boundedAllocation(byte[] input, Decoding decoding) throws IOException {
    decoding.run();
    long thread = Thread.currentThread().getId();
    long before = THREADS.getThreadAllocatedBytes(thread);
    decoding.run();
    long allocated = THREADS.getThreadAllocatedBytes(thread) - before;
    assertThat(allocated).as("bytes allocated decoding %d input bytes", input.length)
        .isLessThanOrEqualTo(FIXED_ALLOWANCE + BYTES_PER_INPUT_BYTE * input.length);
  }
}
