package dev.airlock.internal.cloud;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.internal.cloud.fake.Eventually;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.Request;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Keep-alive and kill of cloud sandboxes, with a control plane that is slow or hangs. */
@Timeout(60)
class LiveSandboxesTest {

  /** A sandbox that counts its extensions and whose kill blocks until released, as a hung control plane would. */
  private static final class CountingSandbox implements CloudSandbox {
    final AtomicInteger extensions = new AtomicInteger();
    final CountDownLatch killStarted = new CountDownLatch(1);
    final CountDownLatch releaseKill = new CountDownLatch(1);
    final String id;

    CountingSandbox(String id) {
      this.id = id;
    }

    @Override
    public String id() {
      return id;
    }

    @Override
    public Request.Builder bridgeRequest(String path) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void upload(List<SandboxFile> files, long deadline) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void startBridge(List<String> command, long deadline) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void extendLifetime(Duration lifetime) {
      extensions.incrementAndGet();
    }

    @Override
    public void kill() {
      killStarted.countDown();
      try {
        releaseKill.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Test
  void aSandboxWhoseWorkerIsDeadIsNoLongerExtended() throws Exception {
    CountingSandbox alive = new CountingSandbox("alive");
    CountingSandbox dead = new CountingSandbox("dead");
    try (LiveSandboxes live = new LiveSandboxes("test", Duration.ofMillis(300))) {
      live.add(alive);
      live.add(dead);
      live.extendWhile(alive, () -> true);
      live.extendWhile(dead, () -> false);
      Eventually.await("the live sandbox extended three times", Duration.ofSeconds(10),
          () -> alive.extensions.get() >= 3);
      assertThat(dead.extensions.get()).as("extensions of a sandbox whose worker died").isZero();
      alive.releaseKill.countDown();
      dead.releaseKill.countDown();
    }
  }

  @Test
  void killReturnsAtOnceWhenTheControlPlaneHangsAndEndsTheExtensions() throws Exception {
    CountingSandbox sandbox = new CountingSandbox("hung");
    try (LiveSandboxes live = new LiveSandboxes("test", Duration.ofMillis(300))) {
      live.add(sandbox);
      long start = System.nanoTime();
      live.kill(sandbox);
      assertThat(Duration.ofNanos(System.nanoTime() - start)).as("time kill() held its caller")
          .isLessThan(Duration.ofSeconds(1));
      assertThat(sandbox.killStarted.await(10, TimeUnit.SECONDS)).as("the kill went to the control plane").isTrue();
      int extensions = sandbox.extensions.get();
      Thread.sleep(500);
      assertThat(sandbox.extensions.get()).as("extensions after the kill").isEqualTo(extensions);
      sandbox.releaseKill.countDown();
    }
  }
}
