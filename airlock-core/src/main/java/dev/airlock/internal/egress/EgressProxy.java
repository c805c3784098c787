package dev.airlock.internal.egress;

import java.io.Closeable;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * The host side of controlled egress, one per pool: an HTTP/1.1 forward proxy listening on one Unix-domain socket
 * per worker ({@link EgressGate}). It accepts {@code CONNECT host:port} and absolute {@code http://} requests to the
 * destinations the running call allows, resolves names itself and connects to the address it checked, requires a
 * tunnel's TLS server name to be the CONNECT host, and bounds what each call and connection may cost the host. For
 * hosts with a {@link SecretInjection} it terminates TLS with the pool's own CA and adds the header, so the value
 * never enters the sandbox.
 *
 * <p>Threads: one acceptor per gate and at most two per open connection, with at most
 * {@link Builder#maxConnectionsPerGate} connections per gate; every blocking read is ended by a deadline that closes
 * the connection (the handshake timeout, then the call's maxConnectionTime), so a silent guest cannot pin a thread.
 */
public final class EgressProxy implements AutoCloseable {
  /** Not a secret: the worker trust store holds only public certificates. */
  public static final String WORKER_TRUSTSTORE_PASSWORD = "airlock";
  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
  private static final int MAX_THREADS = 2048;

  private final Map<String, List<SecretInjection>> secrets;
  private final HostResolver resolver;
  private final X509TrustManager upstreamTrust;
  private final Duration handshakeTimeout;
  private final int maxConnectionsPerGate;
  private final PoolAuthority authority;
  private final Set<EgressGate> gates = new HashSet<>();
  private SSLContext upstreamContext;
  private ThreadPoolExecutor threads;
  private ScheduledThreadPoolExecutor timer;
  private boolean closed;

  private EgressProxy(Builder builder) {
    this.secrets = builder.secrets.stream().collect(Collectors.groupingBy(SecretInjection::host));
    this.resolver = builder.resolver;
    this.upstreamTrust = builder.upstreamTrust;
    this.handshakeTimeout = builder.handshakeTimeout;
    this.maxConnectionsPerGate = builder.maxConnectionsPerGate;
    this.authority = secrets.isEmpty() ? null : new PoolAuthority();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Configuration of one proxy; immutable once built. */
  public static final class Builder {
    private List<SecretInjection> secrets = List.of();
    private HostResolver resolver = HostResolver.SYSTEM;
    private X509TrustManager upstreamTrust;
    private Duration handshakeTimeout = Duration.ofSeconds(10);
    private int maxConnectionsPerGate = 16;

    private Builder() {
    }

    /** Headers to inject per host; default none (then no TLS is terminated and no CA exists). */
    public Builder secrets(List<SecretInjection> secrets) {
      this.secrets = List.copyOf(secrets);
      return this;
    }

    /** How names are resolved on the host; default the system resolver. */
    public Builder resolver(HostResolver resolver) {
      this.resolver = Objects.requireNonNull(resolver, "resolver");
      return this;
    }

    /** What upstream certificates are trusted when TLS is terminated; default the JDK's default trust. */
    public Builder upstreamTrust(X509TrustManager trust) {
      this.upstreamTrust = Objects.requireNonNull(trust, "trust");
      return this;
    }

    /** How long a connection may take to send its request (and finish TLS when terminated); default 10 s. */
    public Builder handshakeTimeout(Duration timeout) {
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("egress handshakeTimeout must be positive, was " + timeout);
      }
      this.handshakeTimeout = timeout;
      return this;
    }

    /** How many connections one worker may have open at once; default 16. */
    public Builder maxConnectionsPerGate(int max) {
      if (max < 1) {
        throw new IllegalArgumentException("egress maxConnectionsPerGate must be at least 1, was " + max);
      }
      this.maxConnectionsPerGate = max;
      return this;
    }

    /** Builds the proxy; no socket or thread exists until a gate opens. */
    public EgressProxy build() {
      return new EgressProxy(this);
    }
  }

  /**
   * Listens on {@code socketPath} for one worker. The socket file is mode 0666 so a container user can connect;
   * keeping others out is the job of its parent folder, which the caller makes private to the pool.
   */
  public EgressGate openGate(Path socketPath) throws IOException {
    ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    EgressGate gate;
    try {
      server.bind(UnixDomainSocketAddress.of(socketPath));
      Files.setPosixFilePermissions(socketPath, PosixFilePermissions.fromString("rw-rw-rw-"));
      synchronized (this) {
        if (closed) {
          throw new IOException("the egress proxy is closed");
        }
        startThreads();
        gate = new EgressGate(this, server, socketPath);
        gates.add(gate);
      }
    } catch (IOException | RuntimeException e) {
      closeQuietly(server);
      Files.deleteIfExists(socketPath);
      throw e;
    }
    try {
      execute(gate::acceptLoop);
    } catch (RejectedExecutionException e) {
      gate.close();
      throw new IOException("the egress proxy is at its thread limit; no gate was opened", e);
    }
    return gate;
  }

  /**
   * The trust store for this pool's workers: the JDK's default trusted certificates plus this pool's CA (no private
   * key), PKCS12 with password {@link #WORKER_TRUSTSTORE_PASSWORD}; empty when no secret is configured, since then
   * the proxy terminates no TLS.
   */
  public Optional<byte[]> workerTrustStorePkcs12() {
    return authority == null ? Optional.empty() : Optional.of(authority.workerTrustStore(WORKER_TRUSTSTORE_PASSWORD));
  }

  /** Closes every gate, connection and thread. */
  @Override
  public void close() {
    List<EgressGate> open;
    synchronized (this) {
      closed = true;
      open = new ArrayList<>(gates);
      gates.clear();
    }
    open.forEach(EgressGate::close);
    synchronized (this) {
      if (threads != null) {
        threads.shutdownNow();
        timer.shutdownNow();
      }
    }
  }

  synchronized void gateClosed(EgressGate gate) {
    gates.remove(gate);
  }

  private void startThreads() {
    if (threads != null) {
      return;
    }
    AtomicInteger count = new AtomicInteger();
    ThreadFactory factory = task -> {
      Thread thread = new Thread(task, "airlock-egress-" + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
    threads = new ThreadPoolExecutor(0, MAX_THREADS, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), factory);
    timer = new ScheduledThreadPoolExecutor(1, factory);
    timer.setRemoveOnCancelPolicy(true);
  }

  /** Runs {@code task} on a proxy thread; RejectedExecutionException when the proxy is closed or saturated. */
  void execute(Runnable task) {
    ThreadPoolExecutor pool;
    synchronized (this) {
      pool = threads;
    }
    if (pool == null) {
      throw new RejectedExecutionException("the egress proxy has no threads");
    }
    pool.execute(task);
  }

  Future<?> schedule(Runnable task, Duration delay) {
    ScheduledThreadPoolExecutor scheduler;
    synchronized (this) {
      scheduler = timer;
    }
    return scheduler.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
  }

  HostResolver resolver() {
    return resolver;
  }

  Duration handshakeTimeout() {
    return handshakeTimeout;
  }

  int maxConnectionsPerGate() {
    return maxConnectionsPerGate;
  }

  /** The headers for a request to {@code host} on {@code port}, through a CONNECT ({@code tls}) or plain http. */
  List<SecretInjection> secretsFor(String host, int port, boolean tls) {
    return host == null ? List.of() : secrets.getOrDefault(host, List.of()).stream()
        .filter(secret -> secret.appliesTo(port, tls)).toList();
  }

  PoolAuthority authority() {
    return authority;
  }

  synchronized SSLContext upstreamContext() {
    if (upstreamContext == null) {
      try {
        SSLContext context = SSLContext.getInstance("TLS");
        X509TrustManager trust = upstreamTrust != null ? upstreamTrust : PoolAuthority.defaultTrust();
        context.init(null, new TrustManager[] {trust}, null);
        upstreamContext = context;
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("could not set up TLS towards upstream hosts", e);
      }
    }
    return upstreamContext;
  }

  static void closeQuietly(Closeable closeable) {
    if (closeable == null) {
      return;
    }
    try {
      closeable.close();
    } catch (IOException | RuntimeException e) {
      // Closing is best effort: the peer may already be gone.
    }
  }
}
