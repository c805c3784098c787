package dev.airlock.internal.morph;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PublicKey;
import java.util.Collection;
import java.util.Optional;
import java.util.Set;
import org.apache.sshd.client.config.hosts.KnownHostEntry;
import org.apache.sshd.client.keyverifier.AcceptAllServerKeyVerifier;
import org.apache.sshd.client.keyverifier.KnownHostsServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SSH gateway's host key, trusted on first use as OpenSSH's {@code StrictHostKeyChecking=accept-new} does: the
 * first key a gateway shows is recorded in a known-hosts file, and a later, different key is refused. The user name
 * of every upload carries the API key, so accepting any key handed it to whoever could answer on the gateway's
 * address. A known-hosts file that cannot be read refuses too: it is no proof of anything.
 */
final class GatewayHostKeys extends KnownHostsServerKeyVerifier {
  private static final Logger LOG = LoggerFactory.getLogger(GatewayHostKeys.class);

  /** Why the last key was refused, for the upload's error: verification runs on an SSH thread, not the caller's. */
  private volatile String refusal;

  GatewayHostKeys(Path file) {
    super(AcceptAllServerKeyVerifier.INSTANCE, file);
  }

  @Override
  public boolean verifyServerKey(ClientSession session, SocketAddress remote, PublicKey key) {
    Optional<String> unsafe = writableByOthers(getPath());
    if (unsafe.isPresent()) {
      refusal = "the known SSH host keys in " + getPath() + " " + unsafe.get() + ", so another user could plant a "
          + "key there; the Morph gateway at " + remote + " was not trusted and nothing was sent. Make the file "
          + "yours and private (chmod 600), or pin the gateway's key with " + MorphSettings.SSH_HOST_KEY;
      LOG.error("Airlock: {}", refusal);
      return false;
    }
    return super.verifyServerKey(session, remote, key);
  }

  /** What makes {@code file} (or its folder) not the user's own: another owner, or writable by group or others. */
  private static Optional<String> writableByOthers(Path file) {
    try {
      for (Path p : new Path[] {file, file.toAbsolutePath().getParent()}) {
        if (p == null || !Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
          continue;
        }
        PosixFileAttributes attributes = Files.readAttributes(p, PosixFileAttributes.class,
            LinkOption.NOFOLLOW_LINKS);
        if (!attributes.owner().getName().equals(System.getProperty("user.name"))) {
          return Optional.of("(" + p + ") belong to " + attributes.owner().getName());
        }
        Set<PosixFilePermission> mode = attributes.permissions();
        if (mode.contains(PosixFilePermission.GROUP_WRITE) || mode.contains(PosixFilePermission.OTHERS_WRITE)) {
          return Optional.of("(" + p + ") are writable by others");
        }
      }
      return Optional.empty();
    } catch (IOException | UnsupportedOperationException e) {
      return Optional.of("cannot be checked (" + e.getMessage() + ")");
    }
  }

  /** Why the gateway's key was refused, if it was. */
  Optional<String> refusal() {
    return Optional.ofNullable(refusal);
  }

  @Override
  public boolean acceptModifiedServerKey(ClientSession session, SocketAddress remote, KnownHostEntry entry,
      PublicKey expected, PublicKey actual) {
    refusal = "the Morph SSH gateway at " + remote + " showed host key " + KeyUtils.getFingerPrint(actual) + ", but "
        + getPath() + " recorded " + KeyUtils.getFingerPrint(expected) + " for it; the connection may be intercepted, "
        + "and its user name carries the API key, so nothing was sent. If Morph changed its key, delete that line of "
        + getPath() + " or pin the new key with " + MorphSettings.SSH_HOST_KEY;
    LOG.error("Airlock: {}", refusal);
    return false;
  }

  @Override
  protected boolean acceptIncompleteHostKeys(ClientSession session, SocketAddress remote, PublicKey key,
      Throwable reason) {
    refusal = "cannot read the known SSH host keys in " + getPath() + " (" + reason.getMessage() + "), so the Morph "
        + "gateway at " + remote + " cannot be checked and nothing was sent: fix or delete the file, or pin the "
        + "gateway's key with " + MorphSettings.SSH_HOST_KEY;
    LOG.error("Airlock: {}", refusal);
    return false;
  }

  @Override
  protected KnownHostEntry updateKnownHostsFile(ClientSession session, SocketAddress remote, PublicKey key, Path file,
      Collection<HostEntryPair> known) throws Exception {
    Path folder = file.toAbsolutePath().getParent();
    if (folder != null && !Files.isDirectory(folder)) {
      Files.createDirectories(folder, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(
          "rwx------")));
    }
    KnownHostEntry recorded = super.updateKnownHostsFile(session, remote, key, file, known);
    LOG.info("Airlock: recorded the Morph SSH gateway's host key {} for {} in {}; a different key will be refused",
        KeyUtils.getFingerPrint(key), remote, file);
    return recorded;
  }
}
