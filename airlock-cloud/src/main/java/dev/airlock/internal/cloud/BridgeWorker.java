package dev.airlock.internal.cloud;

import dev.airlock.internal.cloud.BridgeProtocol.WorkerState;
import dev.airlock.internal.wire.FrameType;
import dev.airlock.spi.WorkerHandle;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
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
 * the response into {@link #input()}. A response that ends before the call's RESULT or ERROR means the worker died,
 * and the bridge is asked how. Killing the worker kills its sandbox.
 */
final class BridgeWorker implements WorkerHandle {
  private static final Logger LOG = LoggerFactory.getLogger(BridgeWorker.class);
  private static final long PIPE_BYTES = 1024 * 1024;
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
  private final InputStream input = Okio.buffer(pipe.source()).inputStream();
  private final OutputStream output = new RelayOnFlush();
  private final AtomicBoolean killed = new AtomicBoolean();
  private volatile boolean dead;
  private volatile String goneReason;
  private volatile Call inFlight;
  private volatile WorkerState finalState;

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

  @Override
  public void kill() {
    if (!killed.compareAndSet(false, true)) {
      return;
    }
    Call call = inFlight;
    if (call != null) {
      call.cancel();
    }
    pipe.cancel();
    if (goneReason == null) {
      try {
        bridge.deleteWorker(workerId);
      } catch (IOException | RuntimeException e) {
        LOG.debug("could not delete worker {}: {}", id(), e.toString());
      }
    }
    killSandbox.run();
  }

  @Override
  public Optional<String> resourceLimitHit() {
    return Optional.ofNullable(state()).map(WorkerState::resourceLimit);
  }

  @Override
  public String describeExit() {
    if (goneReason != null) {
      return goneReason;
    }
    WorkerState state = state();
    return state == null ? "unknown: the bridge could not be asked" : state.exit();
  }

  private WorkerState state() {
    if (goneReason != null) {
      return null;
    }
    if (finalState == null) {
      try {
        WorkerState state = bridge.state(workerId);
        if (!state.alive()) {
          finalState = state;
        }
        return state;
      } catch (SandboxGoneException e) {
        goneReason = e.getMessage();
      } catch (IOException | RuntimeException e) {
        LOG.debug("could not ask about worker {}: {}", id(), e.toString());
      }
    }
    return finalState;
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
      FrameBoundaries batch = new FrameBoundaries();
      batch.advance(frames, 0, frames.length);
      if (!batch.saw(FrameType.INVOKE)) {
        // Frames that expect no answer (PREPARE) ride with the next call: the bridge relays one request per worker
        // at a time, so a request of their own could collide with the call's.
        return;
      }
      if (!isAlive()) {
        throw new IOException("worker " + id() + " is no longer running");
      }
      pending.reset();
      Request request = bridge.request("/workers/" + workerId + "/frames")
          .post(RequestBody.create(frames, BridgeClient.FRAMES)).build();
      Call call = bridge.relayClient().newCall(request);
      inFlight = call;
      RELAYS.execute(() -> relay(call));
    }
  }

  private void relay(Call call) {
    FrameBoundaries answer = new FrameBoundaries();
    try (Response response = call.execute()) {
      if (response.code() == 204) {
        return;
      }
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
    } catch (IOException | RuntimeException e) {
      if (!killed.get()) {
        LOG.debug("relay for worker {} ended: {}", id(), e.toString());
      }
    } finally {
      inFlight = null;
    }
    if (!answer.callAnswered() && !killed.get()) {
      dead = true;
      try {
        toPool.close();
      } catch (IOException e) {
        pipe.cancel();
      }
    }
  }
}
