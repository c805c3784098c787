package dev.airlock.internal.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.AirlockConfig;
import dev.airlock.internal.wire.FrameReader;
import dev.airlock.internal.wire.FrameWriter;
import dev.airlock.internal.wire.Messages;
import dev.airlock.internal.wire.FrameType;
import dev.airlock.internal.worker.WorkerClasspath;
import dev.airlock.internal.worker.WorkerCommand;
import dev.airlock.spi.WorkerSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real training workers and real worker JVMs: the archive is made in the sandbox, mapped by later workers (read from
 * their {@code /proc/<pid>/maps}), renewed when a jar changes, and never made for a classpath with folders.
 */
@Timeout(180)
class ClassDataArchiveTest {
  private static final Path JAVA = Path.of(System.getProperty("java.home"), "bin", "java");

  @TempDir
  static Path jars;
  private static List<Path> jarClasspath;

  /** The test JVM runs from target/classes; the JDK archives classes from jars only, so the test packs them. */
  @BeforeAll
  static void packTheClasspathAsJars() throws IOException {
    jarClasspath = new ArrayList<>();
    int n = 0;
    for (Path entry : WorkerClasspath.ofThisJvm()) {
      if (Files.isDirectory(entry)) {
        Path jar = jars.resolve("entry-" + n++ + ".jar");
        pack(entry, jar);
        jarClasspath.add(jar);
      } else {
        jarClasspath.add(entry);
      }
    }
  }

  private static void pack(Path folder, Path jar) throws IOException {
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar));
        Stream<Path> files = Files.walk(folder)) {
      for (Path file : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
        out.putNextEntry(new JarEntry(folder.relativize(file).toString().replace('\\', '/')));
        Files.copy(file, out);
        out.closeEntry();
      }
    }
  }

  private static AirlockConfig cacheIn(Path cache) {
    return AirlockConfig.builder().localClassCache(cache.toString()).build();
  }

  @Test
  void workersMapTheArchiveOnceTheTrainingWorkerMadeIt(@TempDir Path cache) throws Exception {
    LocalBackend backend = new LocalBackend(cacheIn(cache), jarClasspath);
    Path archive;
    try {
      archive = awaitArchives(cache, 1).get(0);
      LocalWorker worker = (LocalWorker) backend.launch(new WorkerSpec(64, Duration.ofSeconds(30)));
      try {
        assertThat(new FrameReader(worker.input(), 1 << 16).read().type()).isEqualTo(FrameType.HELLO);
        assertThat(mapsOfJavaIn(worker)).as("the worker JVM maps the archive").contains(archive.toString());
      } finally {
        worker.kill();
      }
    } finally {
      backend.close();
    }
    try (Stream<Path> left = Files.list(cache)) {
      assertThat(left).as("the training folder is gone").containsExactly(archive);
    }

    Path jar = jarClasspath.get(0);
    Files.setLastModifiedTime(jar, FileTime.fromMillis(Files.getLastModifiedTime(jar).toMillis() + 2000));
    LocalBackend afterRebuild = new LocalBackend(cacheIn(cache), jarClasspath);
    try {
      assertThat(awaitArchives(cache, 2)).as("a changed jar gets its own archive").contains(archive);
    } finally {
      afterRebuild.close();
    }
  }

  /**
   * The application's jar holds a tool and a plain class; it is the classpath's smallest, as an application's own jar
   * usually is, so the scan reads it first whatever the machine's load does to its time budget.
   */
  @Test
  void theArchiveHoldsTheClasspathsAirlockClassesAndNoOtherApplicationClass(@TempDir Path cache,
      @TempDir Path app) throws Exception {
    Path appJar = app.resolve("app.jar");
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(appJar))) {
      for (Class<?> type : List.of(ArchivedTool.class, PlainNeighbour.class)) {
        String name = type.getName().replace('.', '/') + ".class";
        out.putNextEntry(new JarEntry(name));
        try (var in = type.getClassLoader().getResourceAsStream(name)) {
          in.transferTo(out);
        }
        out.closeEntry();
      }
    }
    List<Path> classpath = new ArrayList<>(List.of(appJar));
    classpath.addAll(jarClasspath);
    assertThat(AnnotatedTools.in(classpath, 256)).as("the scan finds the tool and not its plain neighbour")
        .contains(ArchivedTool.class.getName()).doesNotContain(PlainNeighbour.class.getName());
    LocalBackend backend = new LocalBackend(cacheIn(cache), classpath);
    try {
      byte[] archive = Files.readAllBytes(awaitArchives(cache, 1).get(0));
      assertThat(contains(archive, ArchivedTool.class.getName().replace('.', '/')))
          .as("the training worker loaded the tool, so the archive holds it").isTrue();
      assertThat(contains(archive, PlainNeighbour.class.getName().replace('.', '/')))
          .as("a class without @Airlock is not loaded by the training").isFalse();
    } finally {
      backend.close();
    }
  }

  private static boolean contains(byte[] bytes, String text) {
    byte[] wanted = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    for (int i = 0; i + wanted.length <= bytes.length; i++) {
      if (Arrays.equals(bytes, i, i + wanted.length, wanted, 0, wanted.length)) {
        return true;
      }
    }
    return false;
  }

  /** Issue 15: the training worker stays off a fresh JVM's first call and eager start, unless the archive is awaited. */
  @Test
  void theTrainingWorkerStartsOnlyAfterTheDelayOrWhenTheArchiveIsAwaited(@TempDir Path cache) throws Exception {
    LocalBackend backend = new LocalBackend(cacheIn(cache), jarClasspath);
    try {
      assertThat(backend.posture().isolating()).isTrue();
      long quiet = ClassDataArchive.TRAINING_DELAY.toMillis() / 2;
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(quiet);
      while (System.nanoTime() < deadline) {
        assertThat(trainingJvmsIn(cache)).as("a training JVM within %d ms of the backend", quiet).isEmpty();
        Thread.sleep(20);
      }
      assertThat(backend.awaitClassDataArchive(Duration.ofSeconds(90))).as("awaited, the archive is made").isTrue();
    } finally {
      backend.close();
    }
  }

  @Test
  void closingTheBackendStopsATrainingWorker(@TempDir Path cache) throws Exception {
    LocalBackend backend = new LocalBackend(cacheIn(cache), jarClasspath);
    Optional<ProcessHandle> trainee = Optional.empty();
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (trainee.isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(10);
      trainee = trainingJvmsIn(cache).stream().findFirst();
    }
    assertThat(trainee).as("a training worker started").isPresent();
    backend.close();
    assertThat(trainee.get().isAlive()).as("the training JVM is dead when close() returns").isFalse();
    assertThat(trainingJvmsIn(cache)).as("no training JVM outlives close()").isEmpty();
  }

  /**
   * Issue 15, target 3: an application with no archive of its own yet (run from a build folder here; a rebuilt jar,
   * or a JVM that ends within the training's delay, are the same) starts its workers from the archive of Airlock's own
   * start, made once on Airlock's jars alone and mapped by the next application on them without a training.
   */
  @Test
  void withoutAnArchiveOfItsOwnAnApplicationsWorkersMapTheArchiveOfAirlocksOwnStart(@TempDir Path cache,
      @TempDir Path own, @TempDir Path app) throws Exception {
    List<Path> ownJars = List.of(asArtifact(dev.airlock.annotation.Airlock.class, own, "airlock-annotations-9.9.9.jar"),
        asArtifact(org.slf4j.LoggerFactory.class, own, "slf4j-api-9.9.9.jar"),
        asArtifact(com.esotericsoftware.kryo.kryo5.Kryo.class, own, "kryo5-9.9.9.jar"),
        asArtifact(dev.airlock.internal.worker.WorkerMain.class, own, "airlock-core-9.9.9.jar"));
    Path classes = Files.createDirectories(app.resolve("target").resolve("classes"));
    Files.writeString(classes.resolve("Tool.class"), "x");
    List<Path> classpath = new ArrayList<>(List.of(classes));
    // Without the build's own copies of those artifacts, which would lead instead (same artifacts, earlier).
    jarClasspath.stream().filter(entry -> !entry.getFileName().toString().matches("(airlock-|kryo5-|slf4j-api-).*\\.jar"))
        .forEach(classpath::add);
    classpath.addAll(ownJars);
    classpath = WorkerClasspath.ownJarsFirst(classpath);
    assertThat(classpath.subList(0, ownJars.size())).isEqualTo(ownJars);

    ClassDataArchive archive = ClassDataArchive.of(cache.toString(), JAVA, WorkerCommand.flags(), classpath);
    assertThat(archive.unsupported()).as("no archive of a classpath with a folder").isPresent();
    Path ownArchive = archive.ownPath();
    assertThat(ownArchive).isNotNull();
    LocalBackend backend = new LocalBackend(cacheIn(cache), classpath);
    try {
      assertThat(backend.awaitClassDataArchive(Duration.ofSeconds(90))).as("the archive of Airlock's start is made")
          .isTrue();
      assertThat(ownArchive).isRegularFile();
      assertThat(contains(Files.readAllBytes(ownArchive), "dev/airlock/internal/codec/Kryos"))
          .as("the training worker's warm-up ran through the codec, so the archive holds it").isTrue();
      assertWorkerMaps(backend, ownArchive);
    } finally {
      backend.close();
    }

    // Another build of the application: another jar before the folder, the same Airlock jars.
    Path rebuilt = app.resolve("app-2.jar");
    pack(classes, rebuilt);
    List<Path> next = new ArrayList<>(ownJars);
    next.add(rebuilt);
    next.addAll(classpath.subList(ownJars.size(), classpath.size()));
    assertThat(ClassDataArchive.of(cache.toString(), JAVA, WorkerCommand.flags(), next).ownPath())
        .as("one archive for every application on these Airlock jars").isEqualTo(ownArchive);
    LocalBackend afterRebuild = new LocalBackend(cacheIn(cache), next);
    try {
      assertWorkerMaps(afterRebuild, ownArchive);
    } finally {
      afterRebuild.close();
    }
  }

  /** The jar {@code type} comes from, or its build folder packed, as a file called {@code name}. */
  private static Path asArtifact(Class<?> type, Path folder, String name) throws Exception {
    Path source = Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
    Path jar = folder.resolve(name);
    if (Files.isDirectory(source)) {
      pack(source, jar);
    } else {
      Files.copy(source, jar);
    }
    return jar;
  }

  private static void assertWorkerMaps(LocalBackend backend, Path archive) throws IOException {
    LocalWorker worker = (LocalWorker) backend.launch(new WorkerSpec(64, Duration.ofSeconds(30)));
    try {
      assertThat(new FrameReader(worker.input(), 1 << 16).read().type()).isEqualTo(FrameType.HELLO);
      assertThat(mapsOfJavaIn(worker)).as("the worker JVM maps (so the JVM admitted) " + archive)
          .contains(archive.toString());
    } finally {
      worker.kill();
    }
  }

  /**
   * A training JVM killed while it writes its archive at exit (the backend closed as the application ended, or the
   * training's deadline) leaves part of a file. Such a file was kept as the archive, and then counted as made for good:
   * every later worker of the classpath was given it (a header-less one is refused by the JVM with an error on every
   * start, a cut one past its header is a SIGBUS in every worker), and no training ever ran again. Only the archive of
   * a training worker that exited by itself, with status 0, is kept.
   */
  @Test
  void theFileOfATrainingWorkerThatDidNotExitCleanlyIsNotKept(@TempDir Path cache, @TempDir Path scratch)
      throws Exception {
    ByteArrayOutputStream hello = new ByteArrayOutputStream();
    new FrameWriter(hello).write(FrameType.HELLO, Messages.hello(new Messages.Hello(Messages.PROTOCOL_VERSION,
        "0", 1)));
    Path helloFrame = Files.write(scratch.resolve("hello"), hello.toByteArray());
    ClassDataArchive archive = ClassDataArchive.of(cache.toString(), JAVA, WorkerCommand.flags(), jarClasspath);
    archive.makeInBackground((options, writable, onClasspath) -> {
      String made = options.get(0).substring("-XX:ArchiveClassesAtExit=".length());
      try {
        // Says hello, reads to the host's hang-up, writes part of an archive and dies as a killed JVM does.
        Process process = new ProcessBuilder("/bin/sh", "-c", "cat \"$0\"; cat > /dev/null; "
            + "head -c 65536 /dev/urandom > \"$1\"; kill -9 $$", helloFrame.toString(), made).start();
        return new LocalWorker("killed-trainee", process, null);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
    assertThat(archive.await(Duration.ofSeconds(30))).as("an archive counted as made").isFalse();
    assertThat(archive.workerOptions()).isEmpty();
    try (Stream<Path> left = Files.list(cache)) {
      assertThat(left).as("nothing of the killed training is left in the cache").isEmpty();
    }
  }

  @Test
  void aFolderOnTheClasspathMeansNoArchiveAndSaysWhich(@TempDir Path folder) throws IOException {
    Files.writeString(folder.resolve("A.class"), "x");
    ClassDataArchive archive = ClassDataArchive.of("", JAVA, WorkerCommand.flags(), List.of(jarClasspath.get(0),
        folder));
    assertThat(archive.unsupported()).hasValueSatisfying(why -> assertThat(why).contains(folder.toString())
        .contains("jars"));
    assertThat(archive.workerOptions()).isEmpty();
  }

  /**
   * Attack review 4: every worker maps the archive, and the JVM trusts what an archive holds (class metadata, and
   * code it points at), so an archive another local user could have put or swapped in gave that user code in every
   * worker of this one: its calls' arguments and results. The folder ({@code airlock.local.class-cache}, or a shared
   * {@code XDG_CACHE_HOME}) or the file being writable by others, or a link, used to be mapped all the same.
   */
  @Test
  void anArchiveSomeoneElseCouldHaveWrittenIsNeverMapped(@TempDir Path root) throws IOException {
    Path shared = root.resolve("shared");
    Files.createDirectories(shared);
    Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx"));
    Path planted = plantArchive(shared, "rw-------");
    assertThat(ClassDataArchive.of(shared.toString(), JAVA, WorkerCommand.flags(), jarClasspath).workerOptions())
        .as("an archive in a folder others can write").isEmpty();

    Path mine = root.resolve("mine");
    Files.createDirectories(mine);
    Files.setPosixFilePermissions(mine, PosixFilePermissions.fromString("rwx------"));
    plantArchive(mine, "rw-rw-rw-");
    assertThat(ClassDataArchive.of(mine.toString(), JAVA, WorkerCommand.flags(), jarClasspath).workerOptions())
        .as("an archive others can write").isEmpty();

    Path file = plantArchive(mine, "rw-------");
    Files.delete(file);
    Files.createSymbolicLink(file, planted);
    assertThat(ClassDataArchive.of(mine.toString(), JAVA, WorkerCommand.flags(), jarClasspath).workerOptions())
        .as("a link to an archive elsewhere").isEmpty();

    Files.delete(file);
    plantArchive(mine, "rw-------");
    assertThat(ClassDataArchive.of(mine.toString(), JAVA, WorkerCommand.flags(), jarClasspath).workerOptions())
        .as("this user's own archive in its own folder").containsExactly("-XX:SharedArchiveFile=" + file);
  }

  /** A file where the archive for this test's classpath goes, with {@code permissions}. */
  private static Path plantArchive(Path cache, String permissions) throws IOException {
    Path file = ClassDataArchive.of(cache.toString(), JAVA, WorkerCommand.flags(), jarClasspath).path();
    Files.deleteIfExists(file);
    Files.writeString(file, "not an archive");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(permissions));
    return file;
  }

  @Test
  void offMeansNoArchive() {
    ClassDataArchive archive = ClassDataArchive.of("off", JAVA, WorkerCommand.flags(), jarClasspath);
    assertThat(archive.unsupported()).hasValue("airlock.local.class-cache=off");
    assertThat(archive.workerOptions()).isEmpty();
  }

  private static List<Path> awaitArchives(Path cache, int count) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (System.nanoTime() < deadline) {
      try (Stream<Path> files = Files.list(cache)) {
        List<Path> archives = files.filter(p -> p.getFileName().toString().endsWith(".jsa")).toList();
        if (archives.size() >= count) {
          return archives;
        }
      }
      Thread.sleep(50);
    }
    throw new AssertionError("no class-data archive appeared in " + cache);
  }

  private static String mapsOfJavaIn(LocalWorker worker) throws IOException {
    ProcessHandle java = Stream.concat(Stream.of(worker.process().toHandle()), worker.process().descendants())
        .filter(p -> p.info().command().map(c -> c.endsWith("/java")).orElse(false))
        .findFirst().orElseThrow(() -> new AssertionError("no java process under worker " + worker.id()));
    return Files.readString(Path.of("/proc", Long.toString(java.pid()), "maps"));
  }

  /** Training JVMs of this test's cache, told apart by their archive option from other tests' leftovers. */
  private static List<ProcessHandle> trainingJvmsIn(Path cache) {
    String option = "-XX:ArchiveClassesAtExit=" + cache;
    return ProcessHandle.current().descendants().filter(ProcessHandle::isAlive)
        .filter(p -> p.info().command().map(c -> c.endsWith("/java")).orElse(false))
        .filter(p -> commandLine(p).stream().anyMatch(a -> a.startsWith(option)))
        .toList();
  }

  /** Read whole: {@code ProcessHandle.Info.arguments()} gives none for a command line longer than a page. */
  private static List<String> commandLine(ProcessHandle process) {
    try {
      byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(process.pid()), "cmdline"));
      return List.of(new String(raw, StandardCharsets.UTF_8).split("\0"));
    } catch (IOException e) {
      return List.of(); // exited meanwhile
    }
  }
}
