package dev.airlock.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.airlock.AirlockConfig;
import dev.airlock.SandboxCrashedException;
import dev.airlock.SandboxPool;
import dev.airlock.SandboxProtocolException;
import dev.airlock.security.hostile.ChildJvmBackend;
import dev.airlock.security.hostile.HostileWorker;
import dev.airlock.security.hostile.Lie;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 14 item 3: LOG frames written straight to the channel (guest code can open it) reach the host's log through
 * the host's own budget and escaping. A flood ends the call long before its timeout at a bounded cost, and no text of
 * the guest's starts a host log line. The host's log is slf4j-simple on {@code System.err}, captured here.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LogForgeryTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(20);

  private final CapturedLog captured = new CapturedLog();
  private PrintStream originalErr;
  private ChildJvmBackend backend;
  private SandboxPool pool;

  @BeforeEach
  void startPool() {
    backend = new ChildJvmBackend();
    AirlockConfig config = AirlockConfig.builder().timeoutSeconds((int) TIMEOUT.toSeconds()).build();
    pool = SandboxPool.builder(config).minSize(0).maxSize(1).reuse(false).memoryMb(64)
        .backend("child-jvm", () -> backend).build();
    originalErr = System.err;
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
  }

  @AfterEach
  void nothingLeftBehind() throws InterruptedException {
    System.setErr(originalErr);
    pool.close();
    for (Process p : backend.processes()) {
      assertThat(p.waitFor(10, TimeUnit.SECONDS)).as("worker %d exited", p.pid()).isTrue();
    }
  }

  @Test
  void aGuestCannotStartALineOfTheHostsLog() {
    backend.thenLie(Lie.FORGED_LOG_LINES);

    assertThat(pool.call(() -> 0)).isEqualTo(42);

    System.err.flush();
    String log = captured.text();
    List<String> lines = log.lines().toList();
    assertThat(lines).as("lines forwarded from the sandbox")
        .filteredOn(l -> l.contains("[sandbox ")).hasSize(2 * HostileWorker.FORGED_LINES.size());
    assertThat(lines).as("no line of the guest's starts a host log line")
        .noneMatch(l -> l.contains("com.acme.Billing") && !l.contains("[sandbox "));
    assertThat(log).as("every line break, separator, control and bidi character escaped")
        .doesNotContain("\r", "\u2028", "\u2029", "\u0085", "\u000b", "\u000c", "\u001b", "\u202e")
        .contains("ok\\n[main] INFO com.acme.Billing", "ok\\u2028[main]", "\\u202E", "\\u001B[2K");
    assertThat(pool.stats().fallbacks()).isZero();
  }

  @Test
  void aFloodOfLogFramesEndsTheCallLongBeforeItsTimeoutAndIsNotForwarded() {
    backend.thenLie(Lie.ENDLESS_LOG_FRAMES);
    long start = System.nanoTime();

    Throwable thrown = catchThrowable(() -> pool.call(() -> 0));

    Duration took = Duration.ofNanos(System.nanoTime() - start);
    System.err.flush();
    assertThat(thrown).isExactlyInstanceOf(SandboxProtocolException.class).hasMessageContaining("LOG frames");
    assertThat(took).as("stopped at the flood bound, not at the %s timeout", TIMEOUT).isLessThan(TIMEOUT);
    assertThat(captured.bytes()).as("bytes the flood put into the host's log").isLessThan(2L * 1024 * 1024);
    assertThat(captured.text()).as("the drop is said once")
        .containsOnlyOnce("were dropped: a call may log");
    assertThat(pool.call(() -> 7)).as("the next call, on a fresh worker").isEqualTo(7);
  }

  /**
   * Attack review 7: the worker's HELLO names its classpath fingerprint, and the host named it verbatim in the
   * SandboxCrashedException an application logs, so a worker could start a host log line or hide text with it.
   */
  @Test
  void aForgedFingerprintInTheHandshakeCannotStartALineOfTheHostsLog() {
    backend.thenLie(Lie.FORGED_FINGERPRINT);

    Throwable thrown = catchThrowable(() -> pool.call(() -> 0));

    assertThat(thrown).isExactlyInstanceOf(SandboxCrashedException.class)
        .hasMessageContaining("another classpath");
    assertThat(thrown.getMessage()).as("the worker's fingerprint, escaped")
        .doesNotContain("\n", "\r", "\u001b", "\u202e")
        .contains("x\\n2026-01-01 [main] INFO com.acme.Billing", "\\u001B[2K", "\\u202E");
    assertThat(pool.stats().fallbacks()).isZero();
    assertThat(pool.call(() -> 7)).as("the next call, on a fresh worker").isEqualTo(7);
  }

  /** Keeps the first 4 MiB written and counts all of it. */
  private static final class CapturedLog extends OutputStream {
    private static final int KEPT = 4 * 1024 * 1024;
    private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
    private long bytes;

    @Override
    public synchronized void write(int b) {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) {
      bytes += len;
      int room = KEPT - kept.size();
      if (room > 0) {
        kept.write(b, off, Math.min(room, len));
      }
    }

    synchronized long bytes() {
      return bytes;
    }

    synchronized String text() {
      return kept.toString(StandardCharsets.UTF_8);
    }
  }
}
