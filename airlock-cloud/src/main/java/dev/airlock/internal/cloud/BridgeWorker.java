package dev.airlock.internal.cloud;

import dev.airlock.SandboxProtocolException;
import dev.airlock.internal.backend.EgressControl;
import dev.airlock.internal.cloud.BridgeProtocol.WorkerState;
import dev.airlock.internal.wire.Frame;
import dev.airlock.internal.wire.FrameReader;
import dev.airlock.internal.wire.FrameType;
import dev.airlock.internal.wire.Messages;
import dev.airlock.spi.WorkerHandle;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import okhttp3.Call;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.Buffer;
import okio.BufferedSink;
import okio.BufferedSource;
import okio.Okio;
import okio.Pipe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A worker in a cloud sandbox of its own, seen by the pool as the same frame streams as a local worker. What the pool
 * writes is sent, frame batch by frame batch, as one POST to the bridge; the worker's answer frames stream back from
 * the response into {@link #input()}. A response that ends before the call's RESULT or ERROR (a warm-up's WARMED)
 * means the worker died, and the bridge is asked how. Killing the worker kills its sandbox.
 *
 * <p>The bridge runs as the same user as the guest, so once a call ran, whatever answers for it may be guest code.
 * Every request to it therefore ends by the call's deadline, a redirect is a {@link SandboxProtocolException}, and
 * {@link #kill()} never waits for it: the sandbox is killed through the provider's control plane, off the caller's
 * and the pool's threads.
 */
final class BridgeWorker implements WorkerHandle, EgressControl.Source {
  private static final Logger LOG = LoggerFactory.getLogger(BridgeWorker.class);
  private static final long PIPE_BYTES = 1024 * 1024;
  /**
   * How long past a call's timeout its relay may run: beyond the pool's own watchdog (timeout + 1.5 s), which kills
   * the worker first, so this only bounds a relay the pool's kill did not end.
   */
  static final Duration RELAY_GRACE = Duration.ofSeconds(3);
  /**
   * How long a warm-up's relay may run: the pool kills a worker whose warm-up took 10 s, so this only bounds a relay
   * that kill did not end.
   */
  static final Duration WARM_UP_RELAY = Duration.ofSeconds(10);
  /** The most a question about the worker's end may take when no call bounds it. */
  static final Duration STATE_TIMEOUT = Duration.ofSeconds(5);
  private static final ExecutorService RELAYS = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "airlock-bridge-relay");
    t.setDaemon(true);
    return t;
  });

  private final BridgeClient bridge;
  private final String workerId;
  private final Runnable killSandbox;
  private final Pipe pipe = new Pipe(PIPE_BYTES);
  private final BufferedSink toPool = Okio.buffer(pipe.sink());
  private final InputStream input = new ProtocolCheckedInput(Okio.buffer(pipe.source()).inputStream());
  private final OutputStream output = new RelayOnFlush();
  private final AtomicBoolean killed = new AtomicBoolean();
  private volatile boolean dead;
  private volatile String goneReason;
  private volatile String protocolViolation;
  /**
   * The request being relayed, which a kill cancels. Cleared by its own relay only: a warm-up's relay can end after
   * the host read its WARMED and sent the first call, and must not clear that call's request.
   */
  private final AtomicReference<Call> inFlight = new AtomicReference<>();
  private volatile WorkerState finalState;
  /** Set once asking about the worker's end failed: it is not asked again. */
  private volatile boolean stateUnavailable;
  /** nanoTime by which the current call's relay, and any question about how it ended, must be over. */
  private volatile long callDeadline = Long.MAX_VALUE;
  private volatile EgressControl egress;
  private volatile String egressUnsupported;

  /**
   * Set by the backend before the worker is handed out: its sandbox's egress control ({@code null}: none), or why
   * the provider can give it none ({@code null}: egress is just not configured).
   */
  void egress(EgressControl control, String unsupported) {
    this.egress = control;
    this.egressUnsupported = unsupported;
  }

  @Override
  public Optional<EgressControl> egressControl() {
    return Optional.ofNullable(egress);
  }

  @Override
  public Optional<String> egressUnsupported() {
    return Optional.ofNullable(egressUnsupported);
  }

  /** {@code killSandbox} must return at once: it runs on whichever thread kills the worker. */
  BridgeWorker(BridgeClient bridge, String workerId, byte[] hello, Runnable killSandbox) throws IOException {
    this.bridge = bridge;
    this.workerId = workerId;
    this.killSandbox = killSandbox;
    toPool.write(hello).flush();
  }

  @Override
  public String id() {
    return bridge.sandbox().id() + "/" + workerId;
  }

  @Override
  public InputStream input() {
    return input;
  }

  @Override
  public OutputStream output() {
    return output;
  }

  @Override
  public boolean isAlive() {
    return !killed.get() && !dead;
  }

  /**
   * Ends the relay, fails blocked reads, and has the sandbox killed through the control plane. Nothing here talks to
   * the bridge: a bridge that stopped answering would hold the thread that kills, and the pool kills from threads
   * every call shares.
   */
  @Override
  public void kill() {
    if (!killed.compareAndSet(false, true)) {
      return;
    }
    Call call = inFlight.get();
    if (call != null) {
      call.cancel();
    }
    pipe.cancel();
    killSandbox.run();
  }

  @Override
  public Optional<String> resourceLimitHit() {
    // The bridge runs as the guest's user: what it says is guest text, clipped and escaped before it joins a
    // caller's message (up to 64 KiB of answer, each character escaped to as many as ten, unclipped).
    return Optional.ofNullable(state()).map(WorkerState::resourceLimit).map(BridgeClient::guestText);
  }

  @Override
  public String describeExit() {
    if (goneReason != null) {
      return goneReason;
    }
    if (protocolViolation != null) {
      return protocolViolation;
    }
    WorkerState state = state();
    return state == null ? "unknown: the bridge could not be asked before the call's deadline"
        : BridgeClient.guestText(String.valueOf(state.exit()));
  }

  /** The bridge's word on the worker, asked at most until the call's deadline and never again once that failed. */
  private WorkerState state() {
    if (goneReason != null || protocolViolation != null || stateUnavailable) {
      return finalState;
    }
    if (finalState == null) {
      long deadline = Math.min(callDeadline, System.nanoTime() + STATE_TIMEOUT.toNanos());
      try {
        WorkerState state = bridge.state(workerId, deadline);
        if (!state.alive()) {
          finalState = state;
        }
        return state;
      } catch (SandboxGoneException e) {
        goneReason = e.getMessage();
      } catch (IOException | RuntimeException e) {
        stateUnavailable = true;
        LOG.debug("could not ask about worker {}: {}", id(), e.toString());
      }
    }
    return finalState;
  }

  /** Turns the end of the answer stream into a {@link SandboxProtocolException} when the bridge broke the protocol. */
  private final class ProtocolCheckedInput extends FilterInputStream {
    ProtocolCheckedInput(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      try {
        return checked(super.read());
      } catch (IOException e) {
        throw violationOr(e);
      }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      try {
        return checked(super.read(b, off, len));
      } catch (IOException e) {
        throw violationOr(e);
      }
    }

    private int checked(int result) {
      if (result < 0 && protocolViolation != null) {
        throw new SandboxProtocolException(protocolViolation);
      }
      return result;
    }

    private IOException violationOr(IOException e) {
      if (protocolViolation != null) {
        throw new SandboxProtocolException(protocolViolation, e);
      }
      return e;
    }
  }

  /** Sends what was written when the pool flushes a frame, and relays the answer on another thread. */
  private final class RelayOnFlush extends OutputStream {
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

    @Override
    public void write(int b) {
      pending.write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) {
      pending.write(b, off, len);
    }

    @Override
    public void flush() throws IOException {
      if (pending.size() == 0) {
        return;
      }
      byte[] frames = pending.toByteArray();
      Asked asked = asked(frames);
      long timeoutMillis = asked.invokeTimeoutMillis();
      if (timeoutMillis < 0 && !asked.warmUp()) {
        // Frames without an answer of their own (PREPARE) ride with the next call: the bridge relays one request per
        // worker at a time, so a request of their own could collide with the call's.
        return;
      }
      if (!isAlive()) {
        throw new IOException("worker " + id() + " is no longer running");
      }
      pending.reset();
      // A warm-up is answered like a call, by its WARMED: the pool reads it before it lists the worker idle.
      long bound = timeoutMillis < 0 ? WARM_UP_RELAY.toNanos() : TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
      long deadline = System.nanoTime() + bound + RELAY_GRACE.toNanos();
      callDeadline = deadline;
      Request request = bridge.request("/workers/" + workerId + "/frames")
          .post(RequestBody.create(frames, BridgeClient.FRAMES)).build();
      Call call = HttpCalls.newCall(bridge.relayClient(), request, deadline);
      inFlight.set(call);
      RELAYS.execute(() -> relay(call));
    }
  }

  /** What the host's own frames ask: the INVOKE's timeout (-1 without one), and whether a WARM_UP is among them. */
  private record Asked(long invokeTimeoutMillis, boolean warmUp) {
  }

  private static Asked asked(byte[] frames) throws IOException {
    FrameReader reader = new FrameReader(new ByteArrayInputStream(frames), frames.length);
    long timeout = -1;
    boolean warmUp = false;
    for (int read = 0; read < frames.length; ) {
      Frame frame = reader.read();
      read += 5 + frame.body().length;
      if (frame.type() == FrameType.INVOKE) {
        timeout = Messages.invoke(frame.body()).timeoutMillis();
      }
      warmUp |= frame.type() == FrameType.WARM_UP;
    }
    return new Asked(timeout, warmUp);
  }

  private void relay(Call call) {
    FrameBoundaries answer = new FrameBoundaries();
    try (Response response = call.execute()) {
      if (response.code() != 200) {
        String body = BridgeClient.peek(response);
        ProxyAnswers.throwIfGone(bridge.sandbox().id(), response.code(), body);
        throw new IOException("the bridge answered " + response.code() + ": " + body);
      }
      BufferedSource source = response.body().source();
      Buffer chunk = new Buffer();
      while (source.read(chunk, 64 * 1024) != -1) {
        byte[] bytes = chunk.readByteArray();
        answer.advance(bytes, 0, bytes.length);
        toPool.write(bytes).flush();
      }
    } catch (SandboxGoneException e) {
      goneReason = e.getMessage();
    } catch (RedirectRefusedException e) {
      protocolViolation = "the bridge of worker " + id() + " broke the protocol: " + e.getMessage();
    } catch (IOException | RuntimeException e) {
      if (!killed.get()) {
        LOG.debug("relay for worker {} ended: {}", id(), e.toString());
      }
    } finally {
      inFlight.compareAndSet(call, null);
    }
    if (!answer.answered() && !killed.get()) {
      dead = true;
      try {
        toPool.close();
      } catch (IOException e) {
        pipe.cancel();
      }
    }
  }
}
