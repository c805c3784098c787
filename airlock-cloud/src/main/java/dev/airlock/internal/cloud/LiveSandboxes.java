package dev.airlock.internal.cloud;

import dev.airlock.SandboxUnavailableException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sandboxes one backend has running. Each lives a short lifetime that one scheduled task extends, every third of
 * it, for all of them until they are killed; closing kills what is left. A sandbox that vanished on its own (the
 * provider no longer knows it) is dropped from the extensions.
 */
final class LiveSandboxes implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LiveSandboxes.class);

  private final String provider;
  private final Duration lifetime;
  private final Set<CloudSandbox> live = ConcurrentHashMap.newKeySet();
  private final ScheduledExecutorService keepAlive;
  /** Held while one sandbox is extended. */
  private final Object extending = new Object();
  private boolean closed;

  LiveSandboxes(String provider, Duration lifetime) {
    this.provider = provider;
    this.lifetime = lifetime;
    this.keepAlive = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "airlock-" + provider + "-keepalive");
      t.setDaemon(true);
      return t;
    });
    long every = Math.max(1, lifetime.toMillis() / 3);
    keepAlive.scheduleAtFixedRate(this::extendAll, every, every, TimeUnit.MILLISECONDS);
  }

  /**
   * Keeps a sandbox alive from its creation on: preparing it (the classpath upload above all) may take longer than
   * its lifetime. A sandbox created while the backend closed is killed at once.
   */
  void add(CloudSandbox sandbox) {
    synchronized (this) {
      if (!closed) {
        live.add(sandbox);
        return;
      }
    }
    sandbox.kill();
    throw new SandboxUnavailableException("the " + provider + " backend is closed");
  }

  /** Stops extending the sandbox and kills it. Never throws. */
  void kill(CloudSandbox sandbox) {
    forget(sandbox);
    sandbox.kill();
  }

  /** Waits for an extension under way, so none reaches the provider after the sandbox is deleted. */
  private boolean forget(CloudSandbox sandbox) {
    synchronized (extending) {
      return live.remove(sandbox);
    }
  }

  private void extendAll() {
    for (CloudSandbox sandbox : live) {
      synchronized (extending) {
        if (live.contains(sandbox)) {
          extend(sandbox);
        }
      }
    }
  }

  private void extend(CloudSandbox sandbox) {
    try {
      sandbox.extendLifetime(lifetime);
    } catch (SandboxGoneException e) {
      live.remove(sandbox);
      LOG.warn("{} sandbox {} is gone", provider, sandbox.id());
    } catch (IOException | RuntimeException e) {
      LOG.warn("could not extend the life of {} sandbox {}: {}", provider, sandbox.id(), e.getMessage());
    }
  }

  /** Kills every sandbox still running. */
  @Override
  public void close() {
    List<CloudSandbox> left;
    synchronized (this) {
      closed = true;
      left = new ArrayList<>(live);
    }
    keepAlive.shutdownNow();
    for (CloudSandbox sandbox : left) {
      if (forget(sandbox)) {
        sandbox.kill();
      }
    }
  }
}
