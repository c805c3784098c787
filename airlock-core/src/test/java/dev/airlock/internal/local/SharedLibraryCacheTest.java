package dev.airlock.internal.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The per-machine ldd cache: its entries become read-only binds of every sandbox, so only a list the user alone may
 * write, of existing shared libraries, is used; a changed executable names another entry.
 */
class SharedLibraryCacheTest {
  private static final Path JAVA = Path.of(System.getProperty("java.home"), "bin", "java");

  @Test
  void keepsWhatLddListedAndReadsItBack(@TempDir Path folder) throws Exception {
    SharedLibraryCache cache = new SharedLibraryCache(folder);
    List<String> command = List.of("ldd", JAVA.toString());
    List<Path> listed = JdkFiles.sharedLibraries(List.of(JAVA));
    assertThat(cache.read(command)).isEmpty();

    cache.write(command, listed);

    assertThat(cache.read(command)).hasValueSatisfying(libs -> assertThat(libs).isNotEmpty()
        .allMatch(lib -> lib.isAbsolute() && Files.isRegularFile(lib)).containsAll(listed.stream()
            .filter(Files::isRegularFile).toList()));
    assertThat(cache.read(List.of("ldd", "/bin/sh"))).as("another command, another entry").isEmpty();
  }

  @Test
  void refusesAListOthersMayWriteOrThatNamesWhatIsNotALibrary(@TempDir Path folder) throws Exception {
    SharedLibraryCache cache = new SharedLibraryCache(folder);
    List<String> command = List.of("ldd", JAVA.toString());
    cache.write(command, JdkFiles.sharedLibraries(List.of(JAVA)));
    Path file = only(folder);

    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-rw-"));
    assertThat(cache.read(command)).as("world-writable").isEmpty();

    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    Files.writeString(file, "/etc/shadow\n", java.nio.file.StandardOpenOption.APPEND);
    assertThat(cache.read(command)).as("a host file that is not a library").isEmpty();

    Files.writeString(file, "relative/libc.so.6\n");
    assertThat(cache.read(command)).as("not absolute").isEmpty();
  }

  private static Path only(Path folder) throws Exception {
    try (Stream<Path> files = Files.list(folder)) {
      return files.filter(f -> f.getFileName().toString().startsWith("ldd-")).findFirst().orElseThrow();
    }
  }
}
