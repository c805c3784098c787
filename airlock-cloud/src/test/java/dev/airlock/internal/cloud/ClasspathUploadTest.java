package dev.airlock.internal.cloud;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.airlock.SandboxUnavailableException;
import dev.airlock.internal.worker.WorkerClasspath;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attack review 3 (f80e1bf, cloud part): the cloud backends uploaded the host's classpath whole, so application
 * configuration, keys and dot folders in a jar or folder reached the VM. An upload is now the same readable view the
 * local and Docker backends bind.
 */
class ClasspathUploadTest {
  private static final String SECRET = "HOSTSECRET-upload";

  @Test
  void aFolderIsUploadedWithoutItsConfigurationKeysAndDotFolders(@TempDir Path dir) throws IOException {
    Path classes = Files.createDirectories(dir.resolve("app/target/classes"));
    for (String name : List.of("com/acme/Tool.class", "templates/mail.html", "application.conf",
        "META-INF/persistence.xml", "credentials.json", ".aws/credentials", ".git/config", "keys/id_rsa")) {
      write(classes.resolve(name));
    }

    List<SandboxFile> uploads = ClasspathEntry.of(classes).uploads("/home/airlock", classes);

    assertThat(uploads.get(uploads.size() - 1).path()).endsWith(ClasspathEntry.COMPLETE_MARKER);
    assertThat(uploads.subList(0, uploads.size() - 1).stream().map(SandboxFile::path)
        .map(p -> p.substring(p.lastIndexOf("/classes/") + 9)))
        .containsExactly("com/acme/Tool.class", "templates/mail.html");
  }

  /**
   * Attack review 16: a bound folder shows a symbolic link as the link, resolved inside the sandbox, where nothing of
   * the host but the classpath is; an upload read it on the host and shipped the target's content, a file from
   * anywhere the host user can read. Only links that stay inside the folder are followed now.
   */
  @Test
  void aSymbolicLinkOutOfAFolderIsNotUploaded(@TempDir Path dir) throws IOException {
    Path classes = Files.createDirectories(dir.resolve("app/target/classes"));
    write(classes.resolve("com/acme/Tool.class"));
    Path outside = dir.resolve("home/user/notes.txt");
    write(outside);
    Files.createSymbolicLink(classes.resolve("com/acme/notes.txt"), outside);
    Files.createSymbolicLink(classes.resolve("com/acme/Alias.class"), Path.of("Tool.class"));

    List<SandboxFile> uploads = ClasspathEntry.of(classes).uploads("/home/airlock", classes);

    assertThat(uploads.subList(0, uploads.size() - 1).stream().map(SandboxFile::path)
        .map(p -> p.substring(p.lastIndexOf("/classes/") + 9)))
        .containsExactly("com/acme/Alias.class", "com/acme/Tool.class");
  }

  @Test
  void aJarIsUploadedAsItsCopyWithConfigurationZeroed(@TempDir Path dir) throws IOException {
    Path jar = dir.resolve("app.jar");
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
      for (String name : List.of("com/acme/Tool.class", "application.json", "hibernate.cfg.xml")) {
        out.putNextEntry(new JarEntry(name));
        out.write(SECRET.getBytes(StandardCharsets.UTF_8));
      }
    }

    List<SandboxFile> uploads = ClasspathEntry.of(jar).uploads("/home/airlock", jar);

    assertThat(uploads).hasSize(1);
    Path shipped = uploads.get(0).source();
    assertThat(shipped).isNotEqualTo(jar);
    assertThat(Files.size(shipped)).isEqualTo(Files.size(jar));
    try (ZipFile zip = new ZipFile(shipped.toFile())) {
      assertThat(read(zip, "com/acme/Tool.class")).isEqualTo(SECRET);
      assertThat(read(zip, "application.json")).doesNotContain(SECRET);
      assertThat(read(zip, "hibernate.cfg.xml")).doesNotContain(SECRET);
    }
    assertThat(ClasspathEntry.of(jar).hash()).as("named by what is shipped")
        .isEqualTo(ClasspathEntry.hashFile(shipped));
  }

  @Test
  void aWorkingDirectoryIsRefusedUnlessOptedIn(@TempDir Path dir) throws IOException {
    Path project = Files.createDirectories(dir.resolve("project"));
    write(project.resolve("notes.txt"));

    assertThatThrownBy(() -> WorkerClasspath.readableEntry(project, false))
        .isInstanceOf(SandboxUnavailableException.class).hasMessageContaining("classpath-folders=any");
    assertThat(WorkerClasspath.readableEntry(project, true)).isEqualTo(project);
  }

  private static String read(ZipFile zip, String entry) {
    try (InputStream in = zip.getInputStream(zip.getEntry(entry))) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException | RuntimeException unreadable) {
      return "unreadable: " + unreadable;
    }
  }

  private static void write(Path file) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, SECRET);
  }
}
