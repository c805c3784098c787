package dev.airlock.internal.cloud;

import dev.airlock.SandboxUnavailableException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sandboxes one backend has running. Each lives a short lifetime that one scheduled task extends, every third of
 * it, for as long as the sandbox is wanted (its worker is alive) and not killed; closing kills what is left. A
 * sandbox that vanished on its own (the provider no longer knows it) is dropped from the extensions.
 *
 * <p>Kills go through the provider's control plane on threads of their own, never on the caller's: the pool kills
 * workers from threads every call shares (its watchdog), and one slow kill there would hold every other call's
 * timeout. {@link #close()} waits for the kills under way.
 */
final class LiveSandboxes implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LiveSandboxes.class);
  /** How long {@link #close()} waits for kills under way; a sandbox not killed by then dies at its lifetime. */
  private static final Duration CLOSE_WAIT = CloudHttp.REQUEST_TIMEOUT;

  private final String provider;
  private final Duration lifetime;
  /** Each live sandbox with whether it is still wanted. */
  private final Map<CloudSandbox, BooleanSupplier> live = new ConcurrentHashMap<>();
  private final ScheduledExecutorService keepAlive;
  private final ExecutorService killer;
  /** Held while one sandbox is extended. */
  private final Object extending = new Object();
  private boolean closed;

  LiveSandboxes(String provider, Duration lifetime) {
    this.provider = provider;
    this.lifetime = lifetime;
    this.keepAlive = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "airlock-" + provider + "-keepalive"));
    this.killer = Executors.newCachedThreadPool(r -> daemon(r, "airlock-" + provider + "-kill"));
    long every = Math.max(1, lifetime.toMillis() / 3);
    keepAlive.scheduleAtFixedRate(this::extendAll, every, every, TimeUnit.MILLISECONDS);
  }

  static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  /**
   * Keeps a sandbox alive from its creation on: preparing it (the classpath upload above all) may take longer than
   * its lifetime. A sandbox created while the backend closed is killed at once.
   */
  void add(CloudSandbox sandbox) {
    synchronized (this) {
      if (!closed) {
        live.put(sandbox, () -> true);
        return;
      }
    }
    sandbox.kill();
    throw new SandboxUnavailableException("the " + provider + " backend is closed");
  }

  /** From now on the sandbox is extended only while {@code wanted} holds (its worker is alive). */
  void extendWhile(CloudSandbox sandbox, BooleanSupplier wanted) {
    live.replace(sandbox, wanted);
  }

  /** Stops extending the sandbox at once and kills it on a thread of its own. Never blocks, never throws. */
  void kill(CloudSandbox sandbox) {
    if (live.remove(sandbox) == null) {
      return;
    }
    try {
      killer.execute(() -> forgetAndKill(sandbox));
    } catch (RejectedExecutionException closing) {
      // close() has taken over every sandbox it could see; this one left the set first, so kill it here.
      sandbox.kill();
    }
  }

  /**
   * Stops extending the sandbox and kills it on this thread: for a sandbox whose preparation failed, before any guest
   * code ran in it, so that the launch fails only once it is gone. Never throws.
   */
  void killNow(CloudSandbox sandbox) {
    if (live.remove(sandbox) != null) {
      forgetAndKill(sandbox);
    }
  }

  /** Out of the set already; an extension under way ends first, so none reaches the provider after the delete. */
  private void forgetAndKill(CloudSandbox sandbox) {
    synchronized (extending) {
      LOG.debug("killing {} sandbox {}", provider, sandbox.id());
    }
    sandbox.kill();
  }

  private void extendAll() {
    for (var entry : live.entrySet()) {
      CloudSandbox sandbox = entry.getKey();
      if (!entry.getValue().getAsBoolean()) {
        // Its worker died or was killed: the kill that follows ends it, and if none comes its lifetime does.
        continue;
      }
      synchronized (extending) {
        if (live.containsKey(sandbox)) {
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

  /** Kills every sandbox still running, and waits (bounded) for the kills under way. */
  @Override
  public void close() {
    List<CloudSandbox> left;
    synchronized (this) {
      closed = true;
      left = new ArrayList<>(live.keySet());
    }
    keepAlive.shutdownNow();
    left.forEach(this::kill);
    killer.shutdown();
    try {
      if (!killer.awaitTermination(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
        LOG.warn("{} sandboxes were still being killed after {} s; their lifetime ends them", provider,
            CLOSE_WAIT.toSeconds());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
