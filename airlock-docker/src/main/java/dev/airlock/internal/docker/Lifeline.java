package dev.airlock.internal.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Frame;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host's end of a worker's {@link HostLifeline}: an attach to the lifeline container whose stdin stays open until
 * {@link #end} or until this JVM dies, whichever comes first. Invariant: attached before the container starts, so there
 * is no moment in which the lifeline runs without the host holding it.
 */
final class Lifeline {
  private static final Logger LOG = LoggerFactory.getLogger(Lifeline.class);

  private final String containerId;
  private final CountDownLatch ended = new CountDownLatch(1);
  private final ResultCallback.Adapter<Frame> attach;

  private Lifeline(DockerClient lifelines, String containerId, Duration timeout) {
    this.containerId = containerId;
    this.attach = lifelines.attachContainerCmd(containerId).withStdIn(new HeldOpen()).withFollowStream(true)
        .exec(new ResultCallback.Adapter<>() {
          // An attach the engine ended (restart, removal) holds nothing: let the stdin thread go with it.
          @Override
          public void onComplete() {
            ended.countDown();
            super.onComplete();
          }

          @Override
          public void onError(Throwable error) {
            ended.countDown();
            LOG.debug("the attach to lifeline container {} ended: {}", containerId, error.toString());
            try {
              close();
            } catch (IOException e) {
              // Ended either way.
            }
          }
        });
    boolean started;
    try {
      started = attach.awaitStarted(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      started = false;
    }
    if (!started || ended.getCount() == 0) {
      closeAttach();
      throw new IllegalStateException("the engine did not attach to lifeline container " + containerId + " within "
          + timeout + (started ? " (the attach ended at once)" : ""));
    }
  }

  /** Attaches to the created, not yet started, lifeline container {@code containerId}. */
  static Lifeline attach(DockerClient lifelines, String containerId, Duration timeout) {
    return new Lifeline(lifelines, containerId, timeout);
  }

  String containerId() {
    return containerId;
  }

  /** Ends the stdin, the attach and the container; the worker in its PID namespace ends with it. Idempotent. */
  void end(DockerClient docker) {
    ended.countDown();
    closeAttach();
    try {
      docker.removeContainerCmd(containerId).withForce(true).withRemoveVolumes(true).exec();
    } catch (NotFoundException | ConflictException gone) {
      // Removed, or being removed, by the engine since it stopped (auto-remove).
    } catch (RuntimeException e) {
      LOG.warn("could not remove lifeline container {} ({}); the shutdown hook or the next start removes it",
          containerId, e.toString());
    }
  }

  private void closeAttach() {
    ended.countDown();
    try {
      attach.close();
    } catch (IOException | RuntimeException e) {
      // The container's removal ends the attach too.
    }
  }

  /** The lifeline's stdin as the host writes it: nothing, until the end. */
  private final class HeldOpen extends InputStream {
    @Override
    public int read() throws IOException {
      return read(new byte[1], 0, 1);
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      try {
        ended.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return -1;
    }
  }
}
