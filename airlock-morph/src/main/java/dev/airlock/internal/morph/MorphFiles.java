package dev.airlock.internal.morph;

import dev.airlock.internal.cloud.SandboxFile;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.config.hosts.HostConfigEntryResolver;
import org.apache.sshd.client.keyverifier.ServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.sftp.client.SftpClient;
import org.apache.sshd.sftp.client.SftpClientFactory;

/**
 * Files into a Morph instance over SFTP, as Morph's SDK does: Morph has no HTTP upload. The SSH gateway picks the
 * instance and checks the API key from the user name {@code <instance id>:<api key>}; the key pair offered is a
 * throw-away, as the SDK's. The API key goes to Morph's gateway only, never into the instance.
 */
final class MorphFiles {
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration AUTH_TIMEOUT = Duration.ofSeconds(10);

  private final MorphSettings settings;
  private final SshClient client;
  /** The known-hosts check when no key is pinned, else null. */
  private final GatewayHostKeys firstUse;
  /** Closes an upload's session at its deadline. */
  private final ScheduledExecutorService deadlines = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "airlock-morph-upload-deadline");
    t.setDaemon(true);
    return t;
  });

  MorphFiles(MorphSettings settings) {
    this.settings = settings;
    boolean pinned = settings.sshHostKey() != null && !settings.sshHostKey().isBlank();
    this.firstUse = pinned ? null : new GatewayHostKeys(settings.knownHosts());
    this.client = SshClient.setUpDefaultClient();
    client.setServerKeyVerifier(pinned ? pinned(settings.sshHostKey().trim()) : firstUse);
    // No ~/.ssh/config lookups: they would also log the user name, which carries the API key.
    client.setHostConfigEntryResolver(HostConfigEntryResolver.EMPTY);
    client.start();
  }

  /**
   * With {@code airlock.morph.ssh-host-key-sha256} set, only a gateway with that key fingerprint ({@code SHA256:...})
   * is accepted; without it, the key first seen is recorded and required from then on ({@link GatewayHostKeys}).
   */
  private static ServerKeyVerifier pinned(String fingerprint) {
    return (session, address, key) -> fingerprint.equals(KeyUtils.getFingerPrint(key));
  }

  /**
   * The whole upload ends by {@code deadline} (nanoTime), the launch's: the session is closed then, which fails
   * whatever waits on it. The SFTP server is the instance's own (root in the VM answers it), and MINA waits for an
   * SFTP answer as long as the session is not idle for its own timeout (minutes): a server that took a write and
   * never acknowledged it held the launch, on the caller's thread, past its call's timeout (attack review 36).
   */
  void upload(String instanceId, List<SandboxFile> files, long deadline) throws IOException {
    try (ClientSession session = client.connect(instanceId + ":" + settings.apiKey(), settings.sshHost(),
        settings.sshPort()).verify(until(CONNECT_TIMEOUT, deadline)).getSession()) {
      AtomicBoolean cut = new AtomicBoolean();
      ScheduledFuture<?> atDeadline = deadlines.schedule(() -> {
        cut.set(true);
        session.close(true);
      }, Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      try {
        send(session, files, deadline);
      } catch (IOException | RuntimeException e) {
        if (cut.get()) {
          throw new InterruptedIOException("the upload to Morph instance " + instanceId + " did not end by the "
              + "launch's deadline; its SSH session was closed (" + e + ")");
        }
        throw e;
      } finally {
        atDeadline.cancel(false);
      }
    }
  }

  private void send(ClientSession session, List<SandboxFile> files, long deadline) throws IOException {
    session.addPublicKeyIdentity(throwAwayKey());
    authenticate(session, deadline);
    try (SftpClient sftp = SftpClientFactory.instance().createSftpClient(session)) {
      Set<String> made = new HashSet<>();
      for (SandboxFile file : files) {
        makeParents(sftp, file.path(), made);
        try (InputStream in = file.open(); OutputStream out = sftp.write(file.path())) {
          in.transferTo(out);
        }
      }
    }
  }

  /** The gateway's key is checked first, so a refused key fails here, before the user name is sent. */
  private void authenticate(ClientSession session, long deadline) throws IOException {
    try {
      session.auth().verify(until(AUTH_TIMEOUT, deadline));
    } catch (IOException e) {
      if (firstUse != null && firstUse.refusal().isPresent()) {
        throw new IOException(firstUse.refusal().get(), e);
      }
      throw e;
    }
  }

  /** {@code timeout}, or the time left before {@code deadline} when that is shorter (at least 1 ms). */
  private static Duration until(Duration timeout, long deadline) {
    return Duration.ofNanos(Math.max(1_000_000L, Math.min(timeout.toNanos(), deadline - System.nanoTime())));
  }

  private static void makeParents(SftpClient sftp, String path, Set<String> made) throws IOException {
    int slash = path.indexOf('/', 1);
    while (slash > 0) {
      String dir = path.substring(0, slash);
      if (made.add(dir)) {
        try {
          sftp.stat(dir);
        } catch (IOException missing) {
          sftp.mkdir(dir);
        }
      }
      slash = path.indexOf('/', slash + 1);
    }
  }

  private static KeyPair throwAwayKey() throws IOException {
    try {
      return KeyPairGenerator.getInstance("EC").generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot make a key pair for the SSH gateway", e);
    }
  }

  void close() {
    deadlines.shutdownNow();
    try {
      client.stop();
    } catch (RuntimeException e) {
      // Nothing to release beyond the client's threads.
    }
  }
}
