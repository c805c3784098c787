package dev.airlock.internal.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.InspectContainerResponse.ContainerState;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Frame;
import dev.airlock.internal.backend.EgressControl;
import dev.airlock.internal.backend.GuestText;
import dev.airlock.internal.backend.WorkerEgress;
import dev.airlock.spi.WorkerHandle;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One worker container: its id, its channel, and how it ended as the engine recorded it. */
final class DockerWorker implements WorkerHandle, EgressControl.Source {
  private static final Logger LOG = LoggerFactory.getLogger(DockerWorker.class);
  private static final int CONSOLE_TAIL_LINES = 20;
  private static final long DEATH_WAIT_MILLIS = 3000;
  /**
   * Bytes from the worker prove it alive for this long, so the pool's checks around every call cost no engine round
   * trip (an inspect takes tens of milliseconds); a worker quiet for longer is asked about.
   */
  private static final long ALIVE_EVIDENCE_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final DockerClient docker;
  private final String id;
  private final String containerId;
  /** PID 1 of the worker's PID namespace, ended with the worker. */
  private final Lifeline lifeline;
  private final long memoryLimitMb;
  private final AtomicBoolean killed = new AtomicBoolean();
  private volatile SocketChannel channel;
  private InputStream input;
  private OutputStream output;
  /** The state once the container stopped, kept because {@link #kill()} removes the container. */
  private volatile ContainerState finalState;
  private volatile String finalConsole = "";
  private volatile long aliveSeenAt = System.nanoTime() - ALIVE_EVIDENCE_NANOS;
  /**
   * Past this the worker counts as not alive: its container's expiry label lets reapers of other PID namespaces
   * remove it after retirement plus the longest call, so it must take no call after retiring ({@link Owner}).
   */
  private final long retireAt;
  /** The container's egress gate, or null; set before the worker is handed out, closed when it is killed. */
  private volatile WorkerEgress.Gate egress;

  /** @param retireAt nanoTime from which the worker reports itself not alive, so the pool gives it no new call */
  DockerWorker(DockerClient docker, String id, String containerId, Lifeline lifeline, long memoryLimitMb,
      long retireAt) {
    this.docker = docker;
    this.id = id;
    this.containerId = containerId;
    this.lifeline = lifeline;
    this.memoryLimitMb = memoryLimitMb;
    this.retireAt = retireAt;
  }

  void egress(WorkerEgress.Gate gate) {
    this.egress = gate;
  }

  @Override
  public Optional<EgressControl> egressControl() {
    return Optional.ofNullable(egress);
  }

  void connected(SocketChannel channel, InputStream input, OutputStream output) {
    this.channel = channel;
    this.input = new FilterInputStream(input) {
      @Override
      public int read() throws IOException {
        return heard(() -> super.read());
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        return heard(() -> super.read(b, off, len));
      }
    };
    this.output = output;
  }

  private interface Read {
    int run() throws IOException;
  }

  /** Data is evidence of life; the end of the stream or a broken channel withdraws it at once. */
  private int heard(Read read) throws IOException {
    try {
      int result = read.run();
      aliveSeenAt = result >= 0 ? System.nanoTime() : System.nanoTime() - 2 * ALIVE_EVIDENCE_NANOS;
      return result;
    } catch (IOException e) {
      aliveSeenAt = System.nanoTime() - 2 * ALIVE_EVIDENCE_NANOS;
      throw e;
    }
  }

  String containerId() {
    return containerId;
  }

  @Override
  public String id() {
    return id + "/" + containerId.substring(0, Math.min(12, containerId.length()));
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
    if (killed.get() || finalState != null || System.nanoTime() - retireAt > 0) {
      return false;
    }
    if (System.nanoTime() - aliveSeenAt < ALIVE_EVIDENCE_NANOS) {
      return true;
    }
    boolean running = state().map(s -> Boolean.TRUE.equals(s.getRunning())).orElse(false);
    if (running) {
      aliveSeenAt = System.nanoTime();
    }
    return running;
  }

  /** The engine's view of the container; empty when it is gone or the engine does not answer. */
  Optional<ContainerState> state() {
    if (finalState != null) {
      return Optional.of(finalState);
    }
    try {
      ContainerState state = docker.inspectContainerCmd(containerId).exec().getState();
      if (state != null && !Boolean.TRUE.equals(state.getRunning())) {
        finalConsole = consoleTail();
        finalState = state;
      }
      return Optional.ofNullable(state);
    } catch (RuntimeException e) {
      LOG.debug("cannot inspect container {}: {}", containerId, e.toString());
      return Optional.empty();
    }
  }

  /**
   * Kill and remove in one engine call, then the lifeline; a container the engine no longer knows is already gone.
   */
  @Override
  public void kill() {
    if (!killed.compareAndSet(false, true)) {
      return;
    }
    SocketChannel c = channel;
    try {
      if (c != null) {
        c.close();
      }
    } catch (IOException e) {
      // The container's removal below is what frees the worker.
    }
    try {
      docker.removeContainerCmd(containerId).withForce(true).withRemoveVolumes(true).exec();
    } catch (NotFoundException gone) {
      // Removed from outside: nothing left to free.
    } catch (RuntimeException e) {
      LOG.warn("could not remove worker container {} ({}); the shutdown hook or the next start removes it",
          containerId, e.toString());
    }
    lifeline.end(docker);
    WorkerEgress.Gate gate = egress;
    if (gate != null) {
      gate.close();
    }
  }

  @Override
  public Optional<String> resourceLimitHit() {
    return awaitStopped()
        .filter(s -> Boolean.TRUE.equals(s.getOOMKilled()))
        .map(s -> "the worker container hit its memory limit of " + memoryLimitMb
            + " MiB (heap plus native headroom) and the engine OOM-killed it");
  }

  @Override
  public String describeExit() {
    Optional<ContainerState> state = awaitStopped();
    if (state.isEmpty()) {
      return isAlive() ? "still running" : "container " + containerId + " is gone (removed from outside?)";
    }
    ContainerState s = state.get();
    Long code = s.getExitCodeLong();
    StringBuilder how = new StringBuilder();
    if (code == null) {
      how.append("exit status unknown");
    } else if (code > 128) {
      how.append("exit code ").append(code).append(", killed by signal ").append(code - 128);
    } else {
      how.append("exit code ").append(code);
    }
    if (Boolean.TRUE.equals(s.getOOMKilled())) {
      how.append(", OOM-killed");
    }
    if (s.getError() != null && !s.getError().isEmpty()) {
      how.append(", engine error: ").append(s.getError());
    }
    return finalConsole.isEmpty() ? how.toString() : how + "; console: " + finalConsole;
  }

  /** The channel closes a moment before the engine records the exit; wait briefly for the record. */
  private Optional<ContainerState> awaitStopped() {
    long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DEATH_WAIT_MILLIS);
    while (true) {
      Optional<ContainerState> state = state();
      if (state.isEmpty() || finalState != null || System.nanoTime() > until) {
        return finalState == null ? Optional.empty() : Optional.of(finalState);
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return Optional.empty();
      }
    }
  }

  /** The last lines the JVM itself printed (user output goes over the channel, not here). */
  String consoleTail() {
    StringBuilder out = new StringBuilder();
    try (ResultCallback.Adapter<Frame> logs = docker.logContainerCmd(containerId).withStdOut(true).withStdErr(true)
        .withTail(CONSOLE_TAIL_LINES).exec(new ResultCallback.Adapter<>() {
          @Override
          public void onNext(Frame frame) {
            synchronized (out) {
              int room = 4096 - out.length();
              if (room > 0) {
                byte[] payload = frame.getPayload();
                out.append(new String(payload, 0, Math.min(room, payload.length), StandardCharsets.UTF_8));
              }
            }
          }
        })) {
      logs.awaitCompletion(5, TimeUnit.SECONDS);
    } catch (IOException | RuntimeException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
    synchronized (out) {
      // What a container printed is guest text by the time it is quoted in a caller's exception.
      return out.toString().strip().lines().map(GuestText::escape).collect(Collectors.joining(" | "));
    }
  }
}
