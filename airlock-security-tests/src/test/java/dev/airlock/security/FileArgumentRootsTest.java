package dev.airlock.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.airlock.AirlockConfig;
import dev.airlock.UnshippableInvocationException;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14 item 7: a {@code Path} or {@code File} argument ships a file's content only from the roots configured
 * in {@code airlock.files.roots}, after resolving symlinks, and never from {@code /proc}, {@code /sys} or
 * {@code /dev}. A model that controls the argument must not read the host's environment or password files.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FileArgumentRootsTest {

  public static final class Reader {
    public String read(Path file) throws IOException {
      return Files.readString(file);
    }

    public String readFile(File file) throws IOException {
      return Files.readString(file.toPath());
    }
  }

  @TempDir
  Path dir;

  @Test
  void theHostsEnvironmentIsNotShippedByDefault() throws Exception {
    try (HostilePool hostile = new HostilePool()) {
      Throwable thrown = catchThrowable(() -> hostile.invoke(new Reader(), "read", Path.of("/proc/self/environ")));

      assertThat(thrown).isExactlyInstanceOf(UnshippableInvocationException.class)
          .hasMessageContaining("args[0]").hasMessageContaining("airlock.files.roots");
      assertThat(hostile.backend.processes()).as("refused before any worker was involved").isEmpty();
    }
  }

  @Test
  void aFileOutsideEveryRootIsRefusedAsAFileArgumentToo() throws Exception {
    try (HostilePool hostile = new HostilePool()) {
      Throwable thrown = catchThrowable(() -> hostile.invoke(new Reader(), "readFile", new File("/etc/passwd")));

      assertThat(thrown).isExactlyInstanceOf(UnshippableInvocationException.class)
          .hasMessageContaining("/etc/passwd").hasMessageContaining("airlock.files.roots");
    }
  }

  @Test
  void aSymlinkIsJudgedByWhereItLeads() throws Exception {
    Path link = Files.createSymbolicLink(dir.resolve("innocent.txt"), Path.of("/etc/passwd"));
    try (HostilePool hostile = new HostilePool()) {
      Throwable thrown = catchThrowable(() -> hostile.invoke(new Reader(), "read", link));

      assertThat(thrown).isExactlyInstanceOf(UnshippableInvocationException.class)
          .hasMessageContaining("/etc/passwd").hasMessageContaining("airlock.files.roots");
    }
  }
  @Test
  void aFileUnderAConfiguredRootShipsAndALinkOutOfTheRootDoesNot() throws Throwable {
    Path note = Files.writeString(dir.resolve("note.txt"), "a note");
    Path link = Files.createSymbolicLink(dir.resolve("shadow.txt"), Path.of("/etc/passwd"));
    try (HostilePool hostile = new HostilePool(AirlockConfig.builder().filesRoots(List.of(dir)))) {
      assertThat(hostile.invoke(new Reader(), "read", note)).isEqualTo("a note");
      assertThat(hostile.invoke(new Reader(), "readFile", note.toFile())).isEqualTo("a note");

      Throwable thrown = catchThrowable(() -> hostile.invoke(new Reader(), "read", link));

      assertThat(thrown).isExactlyInstanceOf(UnshippableInvocationException.class)
          .hasMessageContaining("/etc/passwd").hasMessageContaining(dir.toString());
    }
  }

  @Test
  void procIsNeverShippedEvenUnderARootThatHoldsIt() throws Exception {
    try (HostilePool hostile = new HostilePool(AirlockConfig.builder().filesRoots(List.of(Path.of("/"))))) {
      Throwable thrown = catchThrowable(() -> hostile.invoke(new Reader(), "read", Path.of("/proc/self/environ")));

      assertThat(thrown).isExactlyInstanceOf(UnshippableInvocationException.class)
          .hasMessageContaining("/proc, /sys and /dev");
    }
  }
}
