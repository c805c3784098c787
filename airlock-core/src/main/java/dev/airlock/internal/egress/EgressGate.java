package dev.airlock.internal.egress;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One worker's way out: a Unix-domain socket whose connections belong to that worker's current call. Before the
 * first {@link #beginCall} and after {@link #endCall} there is no call, and every connection is refused.
 */
public final class EgressGate implements AutoCloseable {
  private final EgressProxy proxy;
  private final ServerSocketChannel server;
  private final Path socketPath;
  private final AtomicInteger open = new AtomicInteger();
  private volatile CallLedger call;
  private volatile boolean secretEchoed;

  EgressGate(EgressProxy proxy, ServerSocketChannel server, Path socketPath) {
    this.proxy = proxy;
    this.server = server;
    this.socketPath = socketPath;
  }

  /** The rules of the call now assigned to this worker; a call still running on it is ended first. */
  public synchronized void beginCall(EgressRules rules) {
    CallLedger previous = call;
    call = null;
    if (previous != null) {
      previous.end();
    }
    call = new CallLedger(rules);
  }

  /** Ends the call: closes its connections and returns what it did (empty when no call was running). */
  public synchronized EgressReport endCall() {
    CallLedger ending = call;
    call = null;
    return ending == null ? EgressReport.empty() : ending.end();
  }

  /** Stops listening, ends the call and unlinks the socket file. */
  @Override
  public void close() {
    EgressProxy.closeQuietly(server);
    endCall();
    try {
      Files.deleteIfExists(socketPath);
    } catch (IOException e) {
      // The folder is the pool's and goes with it.
    }
    proxy.gateClosed(this);
  }

  /**
   * Whether a server sent back an injected secret to this worker; then no later request of it gets one, in this
   * call or the next (a reused worker keeps what its guest learned).
   */
  boolean secretEchoed() {
    return secretEchoed;
  }

  void markSecretEchoed() {
    secretEchoed = true;
  }

  CallLedger call() {
    return call;
  }

  void acceptLoop() {
    while (server.isOpen()) {
      SocketChannel guest;
      try {
        guest = server.accept();
      } catch (IOException e) {
        return; // closed
      }
      if (open.incrementAndGet() > proxy.maxConnectionsPerGate()) {
        turnAway(guest, new Refusal(503, "connection", "the worker has " + proxy.maxConnectionsPerGate()
            + " egress connections open already", "close connections before opening more"));
        continue;
      }
      try {
        proxy.execute(new ProxyConnection(proxy, this, guest));
      } catch (RejectedExecutionException e) {
        turnAway(guest, new Refusal(503, "connection", "the egress proxy is at its thread limit", null));
      }
    }
  }

  /** Answers and closes a connection the gate did not take; a fresh socket's buffer holds the short answer. */
  private void turnAway(SocketChannel guest, Refusal refusal) {
    released();
    CallLedger current = call;
    if (current != null) {
      current.refused(refusal);
    }
    try {
      guest.write(ByteBuffer.wrap(ProxyConnection.answer(refusal, false).getBytes(StandardCharsets.ISO_8859_1)));
    } catch (IOException e) {
      // The guest is gone.
    } finally {
      EgressProxy.closeQuietly(guest);
    }
  }

  void released() {
    open.decrementAndGet();
  }
}
