package dev.airlock.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The nested jars the doctor runs: unpacked once, reused only while private and byte-identical. */
class DoctorBundleTest {
  @TempDir
  Path temp;

  private Path agentJar(Map<String, String> nested) throws IOException {
    Path jar = temp.resolve("agent-" + nested.hashCode() + ".jar");
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
      out.putNextEntry(new JarEntry("dev/airlock/agent/AirlockAgent.class"));
      out.closeEntry();
      for (Map.Entry<String, String> entry : nested.entrySet()) {
        out.putNextEntry(new JarEntry(DoctorBundle.FOLDER + entry.getKey()));
        out.write(entry.getValue().getBytes(StandardCharsets.UTF_8));
        out.closeEntry();
      }
    }
    return jar;
  }

  @Test
  void unpacksOnceIntoAPrivateFolderKeyedByContentAndReusesIt() throws IOException {
    Path agent = agentJar(Map.of("core.jar", "core bytes", "kryo.jar", "kryo bytes"));
    Path cache = temp.resolve("cache");

    List<Path> first = DoctorBundle.unpack(agent, cache);
    List<Path> second = DoctorBundle.unpack(agent, cache);

    assertThat(first).extracting(p -> p.getFileName().toString()).containsExactly("core.jar", "kryo.jar");
    assertThat(second).isEqualTo(first);
    assertThat(Files.readString(first.get(0))).isEqualTo("core bytes");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(cache))).isEqualTo("rwx------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(first.get(0).getParent())))
        .isEqualTo("rwx------");
    List<Path> other = DoctorBundle.unpack(agentJar(Map.of("core.jar", "newer core")), cache);
    assertThat(other.get(0).getParent()).isNotEqualTo(first.get(0).getParent());
  }

  @Test
  void aJarChangedInTheCacheIsRefusedNotRun() throws IOException {
    Path agent = agentJar(Map.of("core.jar", "core bytes"));
    Path cache = temp.resolve("cache");
    Path core = DoctorBundle.unpack(agent, cache).get(0);
    try (OutputStream out = Files.newOutputStream(core)) {
      out.write("planted".getBytes(StandardCharsets.UTF_8));
    }

    assertThatThrownBy(() -> DoctorBundle.unpack(agent, cache)).isInstanceOf(IOException.class)
        .hasMessageContaining("differs from the jar the agent carries").hasMessageContaining("delete");
  }

  @Test
  void aCacheFolderOthersCanWriteIsRefused() throws IOException {
    Path cache = Files.createDirectory(temp.resolve("cache"));
    Files.setPosixFilePermissions(cache, PosixFilePermissions.fromString("rwxrwxrwx"));

    assertThatThrownBy(() -> DoctorBundle.unpack(agentJar(Map.of("core.jar", "x")), cache))
        .isInstanceOf(IOException.class).hasMessageContaining("is not a private folder")
        .hasMessageContaining("rwxrwxrwx");
  }

  @Test
  void aSymlinkInPlaceOfTheCacheFolderIsRefused() throws IOException {
    Path elsewhere = Files.createDirectory(temp.resolve("elsewhere"),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    Path cache = Files.createSymbolicLink(temp.resolve("cache"), elsewhere);

    assertThatThrownBy(() -> DoctorBundle.unpack(agentJar(Map.of("core.jar", "x")), cache))
        .isInstanceOf(IOException.class).hasMessageContaining("is not a private folder");
  }
}
