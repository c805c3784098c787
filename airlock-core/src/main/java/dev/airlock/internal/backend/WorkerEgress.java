package dev.airlock.internal.backend;

import dev.airlock.AirlockConfig;
import dev.airlock.SandboxExecutionException;
import dev.airlock.SandboxUnavailableException;
import dev.airlock.internal.egress.EgressGate;
import dev.airlock.internal.egress.EgressProxy;
import dev.airlock.internal.egress.EgressReport;
import dev.airlock.internal.egress.EgressRules;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * The egress path of a backend whose workers have no network of their own (local, Docker): one {@link EgressProxy}
 * on the host per pool, and per worker a gate, a unix socket in a host folder of its own that the backend binds into
 * the sandbox at {@link #SANDBOX_FOLDER}. Inside, the worker JVM forwards {@code 127.0.0.1:}{@link #SANDBOX_PORT} to
 * that socket and is started with the JDK's proxy properties pointing there, so {@code HttpClient},
 * {@code HttpURLConnection} and OkHttp use it unchanged. Nothing in the sandbox decides anything: the gate refuses
 * every connection outside a call and every host the call's rules do not allow, whoever connects to it.
 */
public final class WorkerEgress implements AutoCloseable {
  /** Where a worker sees its gate's folder. */
  public static final String SANDBOX_FOLDER = "/run/airlock-egress";
  public static final String SOCKET = "egress.sock";
  public static final String TRUST_STORE = "egress-truststore.p12";
  /** The loopback port the worker's forwarder listens on: each sandbox has its own network namespace. */
  public static final int SANDBOX_PORT = 3128;
  /** The worker's system property naming the socket: set, the worker starts its forwarder before saying hello. */
  public static final String SOCKET_PROPERTY = "airlock.egress.socket";

  private final EgressProxy proxy;
  private final Optional<byte[]> trustStore;

  private WorkerEgress(EgressProxy proxy) {
    this.proxy = proxy;
    this.trustStore = proxy.workerTrustStorePkcs12();
  }

  /**
   * The pool's egress, or empty when none is configured ({@link EgressSettings#enabled()}): then workers get nothing
   * extra. Secrets are resolved here, on the host; a missing one fails the backend naming its key.
   */
  public static Optional<WorkerEgress> start(AirlockConfig config) {
    return start(config, UnaryOperator.identity());
  }

  /** As above, with the proxy's builder adjusted (tests: a resolver for test names, a test CA upstream). */
  public static Optional<WorkerEgress> start(AirlockConfig config, UnaryOperator<EgressProxy.Builder> setup) {
    EgressSettings settings = EgressSettings.of(config);
    if (!settings.enabled()) {
      return Optional.empty();
    }
    return Optional.of(new WorkerEgress(setup.apply(EgressProxy.builder()
        .secrets(settings.resolveSecrets(System::getenv))).build()));
  }

  /**
   * Opens one worker's gate in a new folder under {@code parent} (which must be private to this host process): the
   * socket, and the trust store when secrets are configured. The backend binds {@link Gate#folder()} read-only at
   * {@link #SANDBOX_FOLDER} and adds {@link Gate#jvmOptions()} to the worker's java command.
   */
  public Gate open(Path parent, String workerId) {
    Path folder = null;
    try {
      folder = Files.createDirectory(parent.resolve("egress-" + workerId),
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
      if (trustStore.isPresent()) {
        Path store = Files.write(folder.resolve(TRUST_STORE), trustStore.get());
        Files.setPosixFilePermissions(store, PosixFilePermissions.fromString("rw-r--r--"));
      }
      EgressGate gate = proxy.openGate(folder.resolve(SOCKET));
      return new Gate(folder, gate, jvmOptions(trustStore.isPresent()));
    } catch (IOException e) {
      if (folder != null) {
        WorkerChannels.deleteTree(folder);
      }
      throw new SandboxUnavailableException("could not open the egress gate of worker " + workerId + ": "
          + e.getMessage(), e);
    }
  }

  private static List<String> jvmOptions(boolean trustStore) {
    List<String> options = new ArrayList<>();
    String port = Integer.toString(SANDBOX_PORT);
    options.add("-D" + SOCKET_PROPERTY + "=" + SANDBOX_FOLDER + "/" + SOCKET);
    for (String scheme : List.of("http", "https")) {
      options.add("-D" + scheme + ".proxyHost=127.0.0.1");
      options.add("-D" + scheme + ".proxyPort=" + port);
    }
    // Nothing bypasses the proxy, loopback included (set but empty: unset, the JDK sends localhost and 127.* direct):
    // the only thing listening on the sandbox's loopback is the forwarder, and a host the rules name as
    // 127.0.0.1:<port> is the host's loopback, reached through it.
    options.add("-Dhttp.nonProxyHosts=");
    if (trustStore) {
      options.add("-Djavax.net.ssl.trustStore=" + SANDBOX_FOLDER + "/" + TRUST_STORE);
      options.add("-Djavax.net.ssl.trustStorePassword=" + EgressProxy.WORKER_TRUSTSTORE_PASSWORD);
      options.add("-Djavax.net.ssl.trustStoreType=PKCS12");
    }
    return List.copyOf(options);
  }

  @Override
  public void close() {
    proxy.close();
  }

  /** Closes a worker's gate when the worker is gone. */
  public static void closeQuietly(AutoCloseable gate) {
    try {
      gate.close();
    } catch (Exception e) {
      // the worker is gone; its gate refuses everything once closed, and its folder goes with the backend's
    }
  }

  /** Why an {@link #unenforced()} call's report measures nothing. */
  public static final String UNENFORCED = "egress rules were not enforced: the worker runs without a network "
      + "namespace (no bubblewrap) and has the host's network, so nothing of what the call reached is known";

  /**
   * What a worker gets when egress is configured but its backend runs it without a network namespace (local without
   * bubblewrap): it already has the host's network, which the posture reports; there is nothing to open or close,
   * and its report says so instead of zeros.
   */
  public static EgressControl unenforced() {
    return new EgressControl() {
      @Override
      public void beginCall(EgressRules rules) {
      }

      @Override
      public EgressReport endCall() {
        return EgressReport.empty();
      }

      @Override
      public Optional<String> unmeasured() {
        return Optional.of(UNENFORCED);
      }
    };
  }

  /** One worker's gate: its host folder, the gate, and the JVM options that point the worker at it. */
  public static final class Gate implements EgressControl, AutoCloseable {
    private final Path folder;
    private final EgressGate gate;
    private final List<String> jvmOptions;

    Gate(Path folder, EgressGate gate, List<String> jvmOptions) {
      this.folder = folder;
      this.gate = gate;
      this.jvmOptions = jvmOptions;
    }

    public Path folder() {
      return folder;
    }

    public List<String> jvmOptions() {
      return jvmOptions;
    }

    @Override
    public void beginCall(EgressRules rules) {
      try {
        gate.beginCall(rules);
      } catch (RuntimeException e) {
        throw new SandboxExecutionException("the worker's egress gate could not open for the call: "
            + e.getMessage(), e);
      }
    }

    @Override
    public EgressReport endCall() {
      return gate.endCall();
    }

    /** Closes the gate and deletes its folder; the worker is gone or going. Idempotent. */
    @Override
    public void close() {
      try {
        gate.close();
      } finally {
        WorkerChannels.deleteTree(folder);
      }
    }
  }
}
