package dev.airlock.internal.backend;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Private folders a host JVM makes under a shared parent ({@code java.io.tmpdir}), so that the next JVM can remove
 * what a crashed one left. Each is named {@code <prefix><pid>-<random>} (short: Unix socket paths inside are limited
 * to 108 bytes) and holds an {@value #OWNER_FILE} file naming its owner as a {@link HostProcess#token()}. A folder is
 * removed only when that owner is proven dead from here (same boot and PID namespace, no process with that pid and
 * start time) and the folder belongs to this user: a JVM in another container that shares the folder, a reused pid,
 * or a folder another local user planted under the same prefix is left alone.
 */
public final class HostFolders {
  static final String OWNER_FILE = ".airlock-owner";
  private static final int OWNER_FILE_MAX_BYTES = 256;
  private static final Logger LOG = LoggerFactory.getLogger(HostFolders.class);

  private HostFolders() {
  }

  /**
   * Removes the folders of dead owners under {@code parent} with {@code prefix}, then makes this JVM's new one.
   *
   * @param permissions POSIX permissions of the new folder, as {@code rwx------}
   */
  public static Path create(Path parent, String prefix, String permissions) throws IOException {
    HostProcess self = HostProcess.current();
    reapDeadOwners(parent, prefix, self);
    Path folder = Files.createTempDirectory(parent, prefix + self.pid() + "-",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(permissions)));
    // Written through the descriptor that creates it read-only: opening it again to write fails for any user but root.
    try (SeekableByteChannel owner = Files.newByteChannel(folder.resolve(OWNER_FILE),
        EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("r--------")))) {
      owner.write(ByteBuffer.wrap(self.token().getBytes(StandardCharsets.US_ASCII)));
    }
    return folder;
  }

  static void reapDeadOwners(Path parent, String prefix, HostProcess self) {
    Object myUid = uidOf(Path.of("/proc/self"));
    try (Stream<Path> entries = Files.list(parent)) {
      for (Path folder : entries.toList()) {
        String name = folder.getFileName().toString();
        if (name.startsWith(prefix) && Files.isDirectory(folder, LinkOption.NOFOLLOW_LINKS) && myUid != null
            && myUid.equals(uidOf(folder)) && owner(folder).map(owner -> owner.provenDeadFrom(self)).orElse(false)) {
          LOG.debug("removing {}, left by a JVM that is gone", folder);
          WorkerChannels.deleteTree(folder);
        }
      }
    } catch (IOException | RuntimeException e) {
      LOG.debug("could not look for abandoned folders in {}", parent, e);
    }
  }

  /** The owner a folder names, read without following links and within a small bound; empty when unreadable. */
  private static Optional<HostProcess> owner(Path folder) {
    try (SeekableByteChannel file = Files.newByteChannel(folder.resolve(OWNER_FILE), LinkOption.NOFOLLOW_LINKS)) {
      ByteBuffer text = ByteBuffer.allocate(OWNER_FILE_MAX_BYTES);
      while (text.hasRemaining() && file.read(text) >= 0) {
        // read to the bound or the end
      }
      return text.hasRemaining()
          ? HostProcess.fromToken(new String(text.array(), 0, text.position(), StandardCharsets.US_ASCII).trim())
          : Optional.empty();
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  private static Object uidOf(Path path) {
    try {
      return Files.getAttribute(path, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }
}
