package dev.airlock.internal.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.airlock.internal.codec.ClassAllowlist;
import dev.airlock.internal.codec.Codec;
import dev.airlock.internal.wire.Frame;
import dev.airlock.internal.wire.FrameReader;
import dev.airlock.internal.wire.FrameType;
import dev.airlock.internal.wire.FrameWriter;
import dev.airlock.internal.wire.Messages;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/**
 * The caller's work beside a call ({@link WorkerSession.WhileRunning}) runs after the worker has the invocation and
 * before its answer is read, and its allowlist is the one the result is read against; when it fails, the worker,
 * which has the call, is not given another. Over a scripted worker speaking the real frames on piped streams.
 */
@Timeout(30)
class WorkerSessionWhileRunningTest {
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
  private final List<String> events = new CopyOnWriteArrayList<>();
  private final CountDownLatch invokeRead = new CountDownLatch(1);
  private final CountDownLatch besideRan = new CountDownLatch(1);
  private PipedWorker worker;

  @AfterEach
  void stop() {
    if (worker != null) {
      worker.kill();
    }
    scheduler.shutdownNow();
  }

  @Test
  void runsOnceTheWorkerHasTheCallAndBeforeItsAnswerIsRead() throws Throwable {
    WorkerSession session = connected();
    Object result = session.call(new byte[] {1}, Duration.ofSeconds(10), 1 << 20, () -> {
      // Written is not yet read: wait for the worker to have it (never, had it not been written first).
      awaitQuietly(invokeRead);
      events.add("beside");
      besideRan.countDown();
      return ClassAllowlist.jdkOnly();
    }, LoggerFactory.getLogger(getClass()));

    assertThat(result).isEqualTo(List.of("answer"));
    assertThat(events).containsExactly("worker has INVOKE", "beside", "worker answers");
    assertThat(session.usable()).isTrue();
  }

  @Test
  void aFailureBesideTheCallFailsItAndRetiresTheWorker() throws Exception {
    WorkerSession session = connected();
    assertThatThrownBy(() -> session.call(new byte[] {1}, Duration.ofSeconds(10), 1 << 20, () -> {
      besideRan.countDown();
      throw new IllegalStateException("beside failed");
    }, LoggerFactory.getLogger(getClass()))).isInstanceOf(IllegalStateException.class).hasMessage("beside failed");

    assertThat(session.usable()).as("a worker that may still run the call is not used again").isFalse();
  }

  private WorkerSession connected() {
    worker = new PipedWorker("scripted", this::play);
    WorkerSession session = new WorkerSession(worker, 1 << 20, scheduler);
    session.handshake(null, Duration.ofSeconds(10));
    return session;
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Says HELLO, reads one INVOKE, and answers it only once the caller's work beside the call has run. */
  private void play(InputStream fromHost, OutputStream toHost) throws Exception {
    FrameWriter writer = new FrameWriter(toHost);
    writer.write(FrameType.HELLO, Messages.hello(new Messages.Hello(Messages.PROTOCOL_VERSION, "fp", 4242)));
    Frame invoke = new FrameReader(fromHost, 1 << 20).read();
    long callId = Messages.invoke(invoke.body()).callId();
    events.add("worker has " + invoke.type());
    invokeRead.countDown();
    // Answers even if the caller read first (the order then shows it): never hangs the test.
    awaitQuietly(besideRan);
    events.add("worker answers");
    byte[] header = Messages.resultHeader(callId, 0);
    byte[] payload = Codec.encodeResult(List.of("answer"), 1 << 20);
    byte[] body = new byte[header.length + payload.length];
    System.arraycopy(header, 0, body, 0, header.length);
    System.arraycopy(payload, 0, body, header.length, payload.length);
    writer.write(FrameType.RESULT, body);
    toHost.flush();
  }
}
