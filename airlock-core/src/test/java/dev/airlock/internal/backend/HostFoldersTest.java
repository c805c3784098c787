package dev.airlock.internal.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which leftover folders the next JVM removes: only those of an owner proven dead, in this user's name. */
class HostFoldersTest {
  private static final String PREFIX = "airlock-test-";

  @TempDir
  Path parent;

  private final HostProcess self = HostProcess.current();

  @Test
  void tokenNamesItsOwnerAndNothingElseParses() {
    assertThat(HostProcess.fromToken(self.token())).get()
        .satisfies(owner -> assertThat(owner.pid()).isEqualTo(self.pid()))
        .satisfies(owner -> assertThat(owner.provenDeadFrom(self)).isFalse());
    assertThat(self.token()).matches("[0-9]+\\.[0-9]+\\.[A-Za-z0-9]+\\.[A-Za-z0-9]+");
    for (String notAToken : new String[] {"", "123", "1.2.3", "1.2.3.4.5", "a.2.3.4", "1.2.3-x.4", "../../etc.1.2.3",
        "99999999999999999999.1.ns.boot", "1.2.pid:[4].boot"}) {
      assertThat(HostProcess.fromToken(notAToken)).as(notAToken).isEmpty();
    }
  }

  @Test
  void removesTheFolderOfADeadOwnerAndKeepsTheLiveOnes() throws Exception {
    Path dead = folderOf(deadProcess());
    Path mine = folderOf(self);
    Path reusedPid = folderOf(new HostProcess(self.boot(), self.pidNamespace(), self.pid(), self.started() - 1000));

    Path made = HostFolders.create(parent, PREFIX, "rwx------");

    assertThat(dead).doesNotExist();
    assertThat(reusedPid).as("a live process with the owner's pid but another start time is not the owner")
        .doesNotExist();
    assertThat(mine).exists();
    assertThat(made).exists().isDirectory();
    assertThat(made.getFileName().toString()).startsWith(PREFIX + self.pid() + "-");
    assertThat(made.resolve(HostFolders.OWNER_FILE)).hasContent(self.token());
  }

  @Test
  void keepsWhatItCannotProveDead() throws Exception {
    HostProcess gone = deadProcess();
    Path otherNamespace = folderOf(new HostProcess(gone.boot(), "pid:[1]", gone.pid(), gone.started()));
    Path otherBoot = folderOf(new HostProcess("another-boot", gone.pidNamespace(), gone.pid(), gone.started()));
    Path unknownNamespace = folderOf(new HostProcess(gone.boot(), "", gone.pid(), gone.started()));
    Path olderFormat = Files.createDirectory(parent.resolve(PREFIX + gone.pid() + "-x"));
    Path linkedOwner = Files.createDirectory(parent.resolve(PREFIX + gone.pid() + "-link"));
    Files.createSymbolicLink(linkedOwner.resolve(HostFolders.OWNER_FILE),
        Files.writeString(parent.resolve("owner-elsewhere"), gone.token()));
    Path plantedFile = Files.createFile(parent.resolve(PREFIX + gone.pid() + "-file"));

    HostFolders.create(parent, PREFIX, "rwx------");

    assertThat(otherNamespace).as("a JVM in another PID namespace shares this folder").exists();
    assertThat(otherBoot).exists();
    assertThat(unknownNamespace).exists();
    assertThat(olderFormat).as("a pid alone proves nothing").exists();
    assertThat(linkedOwner).as("an owner file is never read through a link").exists();
    assertThat(plantedFile).exists();
  }

  @Test
  void leavesAnotherUsersFolderAlone() throws Exception {
    assumeTrue("root".equals(System.getProperty("user.name")), "changing a folder's owner needs root");
    Path planted = folderOf(deadProcess());
    Files.setAttribute(planted, "unix:uid", 65534);

    HostFolders.create(parent, PREFIX, "rwx------");

    assertThat(planted).exists();
  }

  private Path folderOf(HostProcess owner) throws Exception {
    Path folder = Files.createDirectory(parent.resolve(PREFIX + owner.pid() + "-" + System.nanoTime()));
    Files.writeString(folder.resolve(HostFolders.OWNER_FILE), owner.token());
    return folder;
  }

  private HostProcess deadProcess() throws Exception {
    Process process = new ProcessBuilder("true").start();
    long started = process.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
    process.waitFor();
    return new HostProcess(self.boot(), self.pidNamespace(), process.pid(), started);
  }
}
