package dev.airlock.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.airlock.AirlockConfig;
import dev.airlock.SandboxPool;
import dev.airlock.SandboxProtocolException;
import dev.airlock.internal.codec.Codec;
import dev.airlock.internal.intercept.Invocation;
import dev.airlock.internal.intercept.PoolAccess;
import dev.airlock.internal.wire.FrameType;
import dev.airlock.internal.wire.FrameWriter;
import dev.airlock.internal.wire.Messages;
import java.io.ByteArrayOutputStream;
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attack review 14: with {@code reuse=true}, guest code answered the next call of its worker before that call was
 * sent, with no thread or process left behind for the idle proof to see. Call ids counted up by one, so a call that
 * knows its own id knows the next one; and a call with a file argument reads its own id in the name of the folder
 * its file is written to ({@code airlock-files/<call id>-0}). It writes its own answer and, behind it in the channel,
 * an answer to the next id, and returns. The host reads the first, proves the worker idle (it is: no thread beyond
 * its own), and the next call of the session read the second, the guest's value, without its method ever running.
 * Call ids are now unpredictable.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AnswerAheadTest {
  private SandboxPool pool;

  @AfterEach
  void close() {
    if (pool != null) {
      pool.close();
    }
  }

  @Test
  void aCallCannotAnswerTheNextCallOfItsWorkerAhead(@TempDir Path folder) throws Throwable {
    runAhead(folder, 0);
    String next = pool.call(() -> "honest");

    assertThat(next).as("the call after it").isEqualTo("honest");
  }

  /**
   * The same answer written a moment after the call's own, while the call's thread still runs (no thread is left
   * behind when it returns): nothing waits in the channel when the worker is released, so only the id refuses it.
   */
  @Test
  void aCallCannotAnswerTheNextCallOfItsWorkerAMomentLater(@TempDir Path folder) throws Throwable {
    runAhead(folder, 300);
    Throwable next = catchThrowable(() -> assertThat(pool.call(() -> "honest")).isEqualTo("honest"));

    assertThat(next).as("the call after it").satisfiesAnyOf(
        thrown -> assertThat(thrown).isNull(),
        thrown -> assertThat(thrown).isInstanceOf(SandboxProtocolException.class));
  }

  private void runAhead(Path folder, long pauseMillis) throws Exception {
    Path input = Files.writeString(folder.resolve("input.txt"), "data");
    AirlockConfig config = AirlockConfig.builder().backend("local")
        .localIsolation(AirlockConfig.LocalIsolation.STRICT).timeoutSeconds(30).filesRoots(List.of(folder)).build();
    pool = SandboxPool.builder(config).minSize(0).maxSize(1).reuse(true).build();
    assertThat(pool.call(() -> "warm")).isEqualTo("warm");
    Method method = Guest.class.getMethod("answerAhead", Path.class, long.class);

    catchThrowable(() -> PoolAccess.invoke(pool, new Invocation(new Guest(), method,
        new Object[] {input, pauseMillis}, Duration.ofSeconds(30), false, () -> {
          throw new AssertionError("ran on the host");
        })));
  }

  /** Guest code. */
  public static final class Guest {
    /** Its own call's answer and the next call's, in one write to the worker's channel. */
    public String answerAhead(Path input, long pauseMillis) throws Exception {
      String folder = input.getParent().getFileName().toString();
      long own = Long.parseLong(folder.substring(0, folder.indexOf('-')));
      ByteArrayOutputStream frames = new ByteArrayOutputStream();
      FrameWriter writer = new FrameWriter(frames);
      writer.write(FrameType.RESULT, result(own, "own"));
      try (OutputStream out = new FileOutputStream("/dev/fd/4")) {
        if (pauseMillis > 0) {
          out.write(frames.toByteArray());
          out.flush();
          frames.reset();
          Thread.sleep(pauseMillis);
        }
        writer.write(FrameType.RESULT, result(own + 1, "forged"));
        out.write(frames.toByteArray());
      }
      return "real";
    }

    private static byte[] result(long callId, String value) {
      byte[] header = Messages.resultHeader(callId, 0);
      byte[] payload = Codec.encodeResult(value, 1024);
      byte[] body = Arrays.copyOf(header, header.length + payload.length);
      System.arraycopy(payload, 0, body, header.length, payload.length);
      return body;
    }
  }
}
