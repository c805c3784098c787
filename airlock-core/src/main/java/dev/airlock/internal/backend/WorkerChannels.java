package dev.airlock.internal.backend;

import dev.airlock.SandboxCrashedException;
import dev.airlock.spi.WorkerHandle;
import java.io.IOException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host's side of a worker's unix-socket channel, shared by backends whose workers connect back to a socket the
 * host listens on: waiting for the connection, and cleaning up the socket folders hosts leave behind.
 */
public final class WorkerChannels {
  private static final Logger LOG = LoggerFactory.getLogger(WorkerChannels.class);

  private WorkerChannels() {
  }

  /**
   * Waits until {@code worker} connects to {@code server}. Checks that the worker is still alive every
   * {@code aliveCheck} (asking an engine costs a round trip), and gives up at {@code startTimeout}. A worker that
   * never connects is that worker's failure ({@link SandboxCrashedException}), not the backend's unavailability.
   */
  public static SocketChannel accept(ServerSocketChannel server, WorkerHandle worker, Duration startTimeout,
      Duration aliveCheck, Supplier<String> console) throws IOException {
    server.configureBlocking(false);
    long deadline = System.nanoTime() + startTimeout.toNanos();
    long nextAliveCheck = 0;
    try (Selector selector = Selector.open()) {
      server.register(selector, SelectionKey.OP_ACCEPT);
      while (true) {
        selector.select(100);
        SocketChannel channel = server.accept();
        if (channel != null) {
          channel.configureBlocking(true);
          return channel;
        }
        if (System.nanoTime() > nextAliveCheck) {
          nextAliveCheck = System.nanoTime() + aliveCheck.toNanos();
          if (!worker.isAlive()) {
            throw new SandboxCrashedException("worker " + worker.id() + " exited before connecting ("
                + worker.describeExit() + ")");
          }
        }
        if (System.nanoTime() > deadline) {
          throw new SandboxCrashedException("worker " + worker.id() + " did not connect within "
              + startTimeout.toSeconds() + " s; console: " + console.get());
        }
      }
    }
  }

  /** Deletes a folder and everything in it, as far as possible; never throws. */
  public static void deleteTree(Path root) {
    try (Stream<Path> files = Files.walk(root)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      LOG.debug("could not remove {}", root, e);
    }
  }
}
