package dev.airlock.internal.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.airlock.SandboxUnavailableException;
import dev.airlock.internal.worker.WorkerClasspath.Mount;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14 item 8 and issue 20 item 3: what a worker may read of the host's classpath, and where a Spring Boot jar is
 * unpacked. The view is one piece every backend that mounts the classpath uses.
 */
class ClasspathViewTest {
  private static final String SECRET = "classpath-secret-must-not-leak";
  private static final byte[] CLASS_BYTES = "not really a class, but bytes a worker must read".getBytes();

  @Test
  void aJarWithConfigurationAndKeysIsSeenAsACopyWithThoseEntriesUnreadable(@TempDir Path dir) throws IOException {
    Path jar = jar(dir.resolve("app.jar"), null, "com/acme/Tool.class", "application.properties",
        "config/application-prod.yaml", ".env", "keys/server.p12", "META-INF/spring.factories",
        "META-INF/spring/org.springframework.boot.autoconfigure.AutoConfiguration.imports");

    List<Mount> view = WorkerClasspath.readableView(List.of(jar), false);

    assertThat(view).hasSize(1);
    Mount mount = view.get(0);
    assertThat(mount.target()).isEqualTo(jar);
    assertThat(mount.source()).isNotEqualTo(jar);
    assertThat(Files.size(mount.source())).as("same size: the classpath fingerprint still matches")
        .isEqualTo(Files.size(jar));
    assertThat(Files.getLastModifiedTime(mount.source())).isEqualTo(Files.getLastModifiedTime(jar));
    try (ZipFile copy = new ZipFile(mount.source().toFile())) {
      assertThat(copy.getInputStream(copy.getEntry("com/acme/Tool.class")).readAllBytes()).isEqualTo(CLASS_BYTES);
      for (String secret : List.of("application.properties", "config/application-prod.yaml", ".env",
          "keys/server.p12", "META-INF/spring.factories")) {
        assertThat(read(copy, secret)).as(secret).doesNotContain(SECRET);
      }
    }
    try (ZipFile original = new ZipFile(jar.toFile())) {
      assertThat(read(original, "application.properties")).as("the host's own jar is untouched").contains(SECRET);
    }
    assertThat(WorkerClasspath.readableView(List.of(jar), false)).as("made once").isEqualTo(view);
  }

  @Test
  void aJarWithoutSecretsIsBoundAsItIs(@TempDir Path dir) throws IOException {
    Path jar = jar(dir.resolve("lib.jar"), null, "com/acme/Lib.class", "com/acme/messages.properties");
    assertThat(WorkerClasspath.readableView(List.of(jar), false)).containsExactly(new Mount(jar, jar));
  }

  @Test
  void aBuildOutputFolderIsBoundWithItsSecretsCovered(@TempDir Path dir) throws IOException {
    Path classes = Files.createDirectories(dir.resolve("app/target/classes"));
    for (String name : List.of("com/acme/Tool.class", "application.yml", "bootstrap.properties", "certs/ca.pem",
        "store.jks", "META-INF/spring/imports")) {
      write(classes.resolve(name), SECRET);
    }

    List<Mount> view = WorkerClasspath.readableView(List.of(classes), false);

    assertThat(view.get(0)).isEqualTo(new Mount(classes, classes));
    assertThat(view.stream().skip(1).map(Mount::target)).containsExactlyInAnyOrder(
        classes.resolve("application.yml"), classes.resolve("bootstrap.properties"), classes.resolve("certs/ca.pem"),
        classes.resolve("store.jks"), classes.resolve("META-INF/spring"));
    for (Mount mask : view.subList(1, view.size())) {
      Path source = mask.source();
      assertThat(Files.isDirectory(source) ? Files.list(source).count() : Files.size(source)).isZero();
    }
  }

  @Test
  void configurationAndKeysOfEveryCommonShapeAreCoveredButCodeAndDataResourcesAreNot(@TempDir Path dir)
      throws IOException {
    List<String> secrets = List.of("application.conf", "application.json", "application-prod.toml",
        "applicationContext.xml", "bootstrap.json", "hibernate.cfg.xml", "hibernate.properties",
        "META-INF/persistence.xml", "credentials.json", "gcp/application_default_credentials.json",
        "client_secret_123.json", "secrets.yaml", "keys/id_rsa", "keys/id_ed25519", "kube/prod.kubeconfig",
        "netrc", "certs/tls.KEY", "trust.truststore", "AuthKey.p8");
    List<String> dotted = List.of(".env.local", ".netrc", ".npmrc", ".pgpass");
    List<String> visible = List.of("com/acme/ApplicationRunner.class", "com/acme/credentials/CredentialStore.class",
        "com/acme/credentials/messages.properties", "logback.xml", "log4j2.xml", "templates/mail.html",
        "reference.conf", "com/acme/schema.json", "META-INF/services/com.acme.Plugin");
    Path classes = Files.createDirectories(dir.resolve("app/build/classes/java/main"));
    for (String name : concat(secrets, dotted, visible, List.of(".aws/credentials", ".ssh/config", ".git/config"))) {
      write(classes.resolve(name), SECRET);
    }

    List<Mount> view = WorkerClasspath.readableView(List.of(classes), false);

    List<Path> covered = view.stream().skip(1).map(Mount::target).toList();
    List<Path> expected = new ArrayList<>(concat(secrets, dotted).stream().map(classes::resolve).toList());
    expected.addAll(List.of(classes.resolve(".aws"), classes.resolve(".ssh"), classes.resolve(".git")));
    assertThat(covered).containsExactlyInAnyOrderElementsOf(expected);

    Path jar = jar(dir.resolve("app.jar"), null, concat(secrets, dotted, visible).toArray(String[]::new));
    Path copy = WorkerClasspath.readableView(List.of(jar), false).get(0).source();
    try (ZipFile zip = new ZipFile(copy.toFile())) {
      for (String secret : concat(secrets, dotted)) {
        assertThat(read(zip, secret)).as(secret).doesNotContain(SECRET);
      }
      for (String resource : visible) {
        assertThat(read(zip, resource)).as(resource).doesNotStartWith("unreadable");
      }
    }
  }

  /**
   * Attack review 15: credentials that are neither configuration nor a key store by the list's names, and commonly
   * shipped as class-path resources for the clients that read them: a Kerberos keytab (Kafka, Hadoop, HTTP SPNEGO
   * clients log in with it), a JAAS file with a Kafka SASL user and password, an IBM key database with its stash
   * (the stash holds the database's password), a GnuPG secret keyring and Terraform variables. A guest read each.
   */
  @Test
  void keytabsJaasFilesKeyDatabasesKeyringsAndTerraformVariablesAreCovered(@TempDir Path dir) throws IOException {
    List<String> secrets = List.of("kafka/client.keytab", "krb5.KEYTAB", "kafka_client_jaas.conf", "jaas.conf",
        "login-jaas.config", "ibm/key.kdb", "ibm/key.sth", "gpg/secring.gpg", "signing-key.pgp", "prod.tfvars",
        "keys/service.pk8", "keys/client.pkcs12");
    List<String> visible = List.of("com/acme/Jaas.class", "krb5.conf", "reference.conf", "templates/keytab-help.html",
        "public/signature.asc");
    Path classes = Files.createDirectories(dir.resolve("app/build/classes/java/main"));
    for (String name : concat(secrets, visible)) {
      write(classes.resolve(name), SECRET);
    }

    List<Path> covered = WorkerClasspath.readableView(List.of(classes), false).stream().skip(1).map(Mount::target)
        .toList();

    assertThat(covered).containsExactlyInAnyOrderElementsOf(secrets.stream().map(classes::resolve).toList());
  }

  /**
   * Attack review 15: a classpath entry that is a plain file, not a jar (a launch script's {@code -cp app.jar:conf/db.env},
   * a password file named by mistake), gives the JVM no class and no resource, yet it was bound into every local and
   * Docker sandbox as it is, and uploaded as it is by the cloud backends: the guest read it by its path.
   */
  @Test
  void aClasspathEntryThatIsNoJarIsSeenBlankAtItsSizeAndTime(@TempDir Path dir) throws IOException {
    Path notes = dir.resolve("conf/db.env");
    write(notes, "DB_PASSWORD=" + SECRET);
    Files.setLastModifiedTime(notes, java.nio.file.attribute.FileTime.fromMillis(1_700_000_000_000L));

    Path bound = WorkerClasspath.readableView(List.of(notes), false).get(0).source();
    Path uploaded = WorkerClasspath.readableEntry(notes, false);

    for (Path seen : List.of(bound, uploaded)) {
      assertThat(Files.readString(seen)).as(seen.toString()).doesNotContain(SECRET);
      assertThat(Files.size(seen)).isEqualTo(Files.size(notes));
      assertThat(Files.getLastModifiedTime(seen)).isEqualTo(Files.getLastModifiedTime(notes));
    }
  }

  @SafeVarargs
  private static List<String> concat(List<String>... lists) {
    return Arrays.stream(lists).flatMap(List::stream).toList();
  }

  @Test
  void aFolderThatIsNotBuildOutputIsRefusedNamingTheOptIn(@TempDir Path dir) throws IOException {
    Path workingDirectory = Files.createDirectories(dir.resolve("project"));
    write(workingDirectory.resolve(".aws/credentials"), "aws_secret_access_key=" + SECRET);
    write(workingDirectory.resolve("Tool.class"), "class");

    assertThatThrownBy(() -> WorkerClasspath.readableView(List.of(workingDirectory), false))
        .isInstanceOf(SandboxUnavailableException.class)
        .hasMessageContaining(workingDirectory.toString())
        .hasMessageContaining("airlock.local.classpath-folders=any");
    assertThat(WorkerClasspath.readableView(List.of(workingDirectory), true)).first()
        .isEqualTo(new Mount(workingDirectory, workingDirectory));
  }

  @Test
  void aPlantedUnpackFolderInTmpIsNeverUsed(@TempDir Path dir) throws IOException {
    Path bootJar = springBootJar(dir.resolve("tool.jar"));
    // What another local user creates first at the old, guessable place.
    Path planted = Path.of(System.getProperty("java.io.tmpdir"), "airlock-boot-" + bootJar.getFileName() + "-"
        + Files.size(bootJar) + "-" + Files.getLastModifiedTime(bootJar).toMillis());
    try {
      write(planted.resolve("BOOT-INF/classes/com/acme/Tool.class"), "planted");
      Files.createDirectories(planted.resolve("BOOT-INF/lib"));

      List<Path> parts = SpringBootJar.unpackedEntries(bootJar);

      assertThat(parts).isNotEmpty().noneMatch(p -> p.startsWith(planted));
      Path classes = parts.get(0);
      assertThat(Files.readAllBytes(classes.resolve("com/acme/Tool.class"))).isEqualTo(CLASS_BYTES);
      Path base = classes.getParent().getParent().getParent();
      assertThat(Files.getPosixFilePermissions(base)).as("the unpack base is the user's alone")
          .allMatch(p -> p.name().startsWith("OWNER"));
    } finally {
      dev.airlock.internal.backend.WorkerChannels.deleteTree(planted);
    }
  }

  @Test
  void aTamperedUnpackedFileIsNotUsed(@TempDir Path dir) throws IOException {
    Path bootJar = springBootJar(dir.resolve("tamper.jar"));
    Path tool = SpringBootJar.unpackedEntries(bootJar).get(0).resolve("com/acme/Tool.class");
    Files.writeString(tool, "tampered");

    Path again = SpringBootJar.unpackedEntries(bootJar).get(0).resolve("com/acme/Tool.class");

    assertThat(Files.readAllBytes(again)).isEqualTo(CLASS_BYTES);
  }

  private static Path springBootJar(Path file) throws IOException {
    Manifest manifest = new Manifest();
    manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    manifest.getMainAttributes().putValue("Spring-Boot-Classes", "BOOT-INF/classes/");
    Path lib = jar(file.resolveSibling("inner-" + System.nanoTime() + ".jar"), null, "org/lib/Lib.class");
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(file), manifest)) {
      out.putNextEntry(new JarEntry("BOOT-INF/classes/com/acme/Tool.class"));
      out.write(CLASS_BYTES);
      out.putNextEntry(new JarEntry("BOOT-INF/lib/lib.jar"));
      out.write(Files.readAllBytes(lib));
    }
    return file;
  }

  private static Path jar(Path file, Manifest manifest, String... entries) throws IOException {
    try (OutputStream raw = Files.newOutputStream(file);
        JarOutputStream out = manifest == null ? new JarOutputStream(raw) : new JarOutputStream(raw, manifest)) {
      for (String name : entries) {
        out.putNextEntry(new JarEntry(name));
        out.write(name.endsWith(".class") ? CLASS_BYTES : (name + "=" + SECRET).getBytes(StandardCharsets.UTF_8));
      }
    }
    return file;
  }

  private static String read(ZipFile zip, String entry) {
    try {
      return new String(zip.getInputStream(zip.getEntry(entry)).readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException | RuntimeException unreadable) {
      return "unreadable: " + unreadable;
    }
  }

  private static void write(Path file, String text) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, text);
  }
}
