package dev.airlock.internal.local;

import dev.airlock.AirlockConfig;
import dev.airlock.internal.backend.WorkerChannels;
import dev.airlock.internal.worker.MachineCache;
import dev.airlock.internal.worker.WorkerClasspath;
import dev.airlock.internal.wire.Frame;
import dev.airlock.internal.wire.FrameReader;
import dev.airlock.internal.wire.FrameType;
import dev.airlock.internal.wire.FrameWriter;
import dev.airlock.internal.wire.Messages;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A dynamic class-data sharing (AppCDS) archive of the classes a worker loads up to and through its warm-up call,
 * made once per JDK and classpath and then mapped by every worker, so a worker reaches its handshake sooner.
 *
 * <p>The archive is made by a training worker: a real worker, started in the same sandbox as the others but with a
 * writable folder, which says hello, runs its warm-up call when the host sends WARM_UP and, when the host hangs up,
 * writes the archive as it exits. Before hanging up, the host names the classpath's {@code @Airlock} classes in a PREPARE frame, so the
 * archive holds them parsed and verified too: a single-use worker's first call of a tool then neither reads nor
 * verifies its class (0.35-1.1 ms of that call, timed in the worker). They are only loaded, never initialized.
 * Only Airlock's and the JDK's code runs in it; no user call is ever shipped to it. Until the archive exists,
 * workers start without it. The JDK refuses to archive a classpath with folders on it, so an application run from
 * {@code target/classes} gets no archive of its own (and a debug line saying so).
 *
 * <p>Until that archive exists (the first run after a rebuild, a JVM that ends within the training's delay, a classpath
 * with folders), workers map the archive of Airlock's own start instead, when the classpath begins with Airlock's own
 * jars ({@link WorkerClasspath#ownJarsFirst}): made the same way on those jars alone, with no tool prepared, it fits
 * every classpath that begins with them, since the JVM checks only the entries an archive was made with. So it is
 * made once per JDK and Airlock version, not once per build.
 */
final class ClassDataArchive {
  private static final Logger LOG = LoggerFactory.getLogger(ClassDataArchive.class);
  private static final String PREFIX = "worker-";
  private static final String SUFFIX = ".jsa";
  /** Names the archives of Airlock's own start among the others. */
  private static final String OWN = "airlock-";
  private static final Duration TRAINING_TIMEOUT = Duration.ofSeconds(60);
  /**
   * How long after the backend is made its training worker starts, unless someone awaits the archive: a training
   * worker is a JVM that runs a warm-up and writes 3 MB, about a second of a core, and started at once it ran beside a
   * fresh JVM's first call and its eager start. A JVM that ends sooner (a command-line tool's single call) makes no
   * archive and pays nothing for one.
   */
  static final Duration TRAINING_DELAY = Duration.ofSeconds(3);
  /** Archives of older classpaths are deleted beyond this many, most recently used kept. */
  private static final int KEPT = 8;
  /** One training per archive in this JVM, however many backends start at once. */
  private static final Set<Path> TRAINING = ConcurrentHashMap.newKeySet();

  /**
   * Starts a worker with extra JVM options and one extra writable folder, on {@code classpath}; it has not said hello
   * yet.
   */
  interface TrainingLauncher {
    LocalWorker launch(List<String> jvmOptions, Path writableFolder, List<Path> classpath);
  }

  /**
   * One archive file and how it is made: its training worker runs on {@code classpath} and, with {@code tools},
   * loads the classpath's {@code @Airlock} classes.
   */
  private static final class Tier {
    final Path file;
    final List<Path> classpath;
    final boolean tools;
    final String made;
    volatile boolean ready;

    Tier(Path file, List<Path> classpath, boolean tools, String made) {
      this.file = file;
      this.classpath = List.copyOf(classpath);
      this.tools = tools;
      this.made = made;
      this.ready = present(file);
    }

    /** Whether the file is there to map; checked on every launch, so one made by another backend is used too. */
    boolean ready() {
      if (!ready && present(file)) {
        ready = true;
      }
      return ready;
    }
  }

  /** The archive of this classpath, or null when there is none here ({@link #unsupported} says why). */
  private final Tier application;
  /** The archive of Airlock's own start, or null when the classpath does not begin with Airlock's own jars. */
  private final Tier own;
  private final String unsupported;
  private volatile Thread training;
  /** Counted down by {@link #await}: whoever waits for the archive wants it now, not after the delay. */
  private final CountDownLatch startNow = new CountDownLatch(1);
  private volatile LocalWorker trainee;
  private volatile boolean closed;

  private ClassDataArchive(Tier application, Tier own, String unsupported) {
    this.application = application;
    this.own = own;
    this.unsupported = unsupported;
  }

  /** The archive for workers of {@code java} on {@code classpath}, as {@link AirlockConfig#localClassCache()} says. */
  static ClassDataArchive of(String cacheSetting, Path java, List<String> workerFlags, List<Path> classpath) {
    if ("off".equalsIgnoreCase(cacheSetting)) {
      return new ClassDataArchive(null, null, AirlockConfig.LOCAL_CLASS_CACHE + "=off");
    }
    Path folder = cacheSetting.isEmpty() ? defaultFolder() : Path.of(cacheSetting);
    Tier own = null;
    List<Path> ownJars = WorkerClasspath.ownJarsLeading(classpath);
    if (!ownJars.isEmpty() && ownJars.size() < classpath.size()) {
      try {
        own = new Tier(folder.resolve(PREFIX + OWN + key(java, workerFlags, ownJars) + SUFFIX), ownJars, false,
            "of Airlock's own jars, for any application on them");
      } catch (IOException e) {
        LOG.debug("no archive of Airlock's own start: cannot read its jars to name it", e);
      }
    }
    for (Path entry : classpath) {
      if (isNonEmptyFolder(entry)) {
        return new ClassDataArchive(null, own, "classpath entry " + entry + " is a folder, and the JDK archives "
            + "classes from jars only; run the application from its jars to get faster worker starts");
      }
    }
    try {
      return new ClassDataArchive(new Tier(folder.resolve(PREFIX + key(java, workerFlags, classpath) + SUFFIX),
          classpath, true, "of this classpath"), own, null);
    } catch (IOException e) {
      return new ClassDataArchive(null, own, "cannot read the JDK or the classpath to name the archive: " + e);
    }
  }

  private static boolean isNonEmptyFolder(Path entry) {
    if (!Files.isDirectory(entry)) {
      return false;
    }
    try (DirectoryStream<Path> children = Files.newDirectoryStream(entry)) {
      return children.iterator().hasNext();
    } catch (IOException e) {
      return true;
    }
  }

  static Path defaultFolder() {
    return MachineCache.folder();
  }

  /**
   * Names what the JVM checks when it maps the archive (the JDK build, the worker's flags, each classpath jar's path,
   * size and time), so a changed jar or JDK gets a new archive instead of one the JVM would refuse.
   */
  private static String key(Path java, List<String> workerFlags, List<Path> classpath) throws IOException {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    Path realJava = java.toRealPath();
    Path home = realJava.getParent().getParent();
    List<String> parts = new ArrayList<>(List.of(realJava.toString()));
    parts.add(stamp(home.resolve("lib").resolve("modules")));
    parts.add(stamp(home.resolve("lib").resolve("server").resolve("libjvm.so")));
    parts.addAll(workerFlags);
    for (Path entry : classpath) {
      parts.add(entry.toAbsolutePath().toString());
      parts.add(stamp(entry));
    }
    for (String part : parts) {
      digest.update(part.getBytes(StandardCharsets.UTF_8));
      digest.update((byte) 0);
    }
    return HexFormat.of().formatHex(digest.digest(), 0, 16);
  }

  static String stamp(Path path) throws IOException {
    if (!Files.exists(path)) {
      return "-";
    }
    return Files.size(path) + "@" + Files.getLastModifiedTime(path).toMillis();
  }

  /** Where the archive of this classpath is, or goes once made; {@code null} when there is none here. */
  Path path() {
    return application == null ? null : application.file;
  }

  /** Where the archive of Airlock's own start is, or goes once made; {@code null} when there is none here. */
  Path ownPath() {
    return own == null ? null : own.file;
  }

  /** Why there is no archive of this classpath here, or empty when workers use one once it is made. */
  Optional<String> unsupported() {
    return Optional.ofNullable(unsupported);
  }

  /** The archive a worker maps now: this classpath's when it is made, else Airlock's own start's, else none. */
  Optional<Path> readyFile() {
    if (application != null && application.ready()) {
      return Optional.of(application.file);
    }
    if (own != null && own.ready()) {
      return Optional.of(own.file);
    }
    return Optional.empty();
  }

  /**
   * Whether {@code file} is an archive to map: a regular file, not a link, in a folder, both this user's alone. Every
   * worker maps it and the JVM trusts what an archive holds, so one that another local user could have written or
   * swapped in (a shared cache folder, a file or folder writable by others) would run their code in every worker.
   */
  private static boolean present(Path file) {
    try {
      return file != null && Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)
          && MachineCache.ownedAlone(file.getParent()) && MachineCache.trusted(file);
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /** The JVM options that map the archive, or none yet. */
  List<String> workerOptions() {
    return optionsMapping(readyFile());
  }

  /** The JVM options that map {@code archive}, or none for none. */
  static List<String> optionsMapping(Optional<Path> archive) {
    return archive.map(f -> List.of("-XX:SharedArchiveFile=" + f)).orElse(List.of());
  }

  /**
   * Makes the archives not made yet on a background thread: this classpath's, which this JVM's workers map once it is
   * made, then Airlock's own start's, which the next build's first workers map.
   */
  void makeInBackground(TrainingLauncher launcher) {
    if (application == null) {
      LOG.debug("workers start without a class-data archive of this classpath: {}", unsupported);
    }
    List<Tier> missing = new ArrayList<>();
    for (Tier tier : new Tier[] {application, own}) {
      if (tier == null) {
        continue;
      }
      if (tier.ready()) {
        touch(tier.file);
      } else {
        missing.add(tier);
      }
    }
    if (missing.isEmpty()) {
      return;
    }
    Thread thread = new Thread(() -> {
      try {
        startNow.await(TRAINING_DELAY.toMillis(), TimeUnit.MILLISECONDS);
        for (Tier tier : missing) {
          if (closed) {
            return;
          }
          if (TRAINING.add(tier.file)) {
            try {
              make(tier, launcher);
            } finally {
              TRAINING.remove(tier.file);
            }
          }
        }
      } catch (InterruptedException e) {
        LOG.debug("class-data archive training stopped before it started because the backend closed");
      }
    }, "airlock-class-data-archive");
    thread.setDaemon(true);
    training = thread;
    thread.start();
  }

  private void make(Tier tier, TrainingLauncher launcher) {
    long started = System.nanoTime();
    Path file = tier.file;
    Path folder = file.getParent();
    Path workspace = null;
    try {
      Files.createDirectories(folder,
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      if (!MachineCache.ownedAlone(folder)) {
        LOG.warn("Airlock makes no class-data archive in {}: the folder is not this user's alone (another owner, a "
            + "link, or writable by others), and every worker would map what is written there. Make it private "
            + "(chmod 700), or set {} to a private folder or off", folder, AirlockConfig.LOCAL_CLASS_CACHE);
        return;
      }
      workspace = Files.createTempDirectory(folder, "training-");
      Path made = workspace.resolve("worker.jsa");
      LocalWorker worker = launcher.launch(List.of("-XX:ArchiveClassesAtExit=" + made), workspace, tier.classpath);
      trainee = worker;
      // A worker that never says hello would block the read below: killing it ends the read.
      CompletableFuture<Void> deadline = CompletableFuture.runAsync(worker::kill,
          CompletableFuture.delayedExecutor(TRAINING_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
      try {
        if (closed) {
          return;
        }
        Frame hello = new FrameReader(worker.input(), 64 * 1024).read();
        if (hello.type() != FrameType.HELLO) {
          throw new IOException("the training worker sent " + hello.type() + " instead of HELLO");
        }
        FrameWriter toWorker = new FrameWriter(worker.output());
        toWorker.write(FrameType.WARM_UP, Messages.warmUp(1));
        if (tier.tools) {
          toWorker.write(FrameType.PREPARE, Messages.prepare(
              AnnotatedTools.in(tier.classpath, Messages.MAX_PREPARED_CLASSES)));
        }
        // Hanging up makes the worker finish its warm-up call (its WARMED answer is left unread) and the PREPARE, see
        // the end of its input, exit, and write the archive.
        worker.output().close();
        if (!worker.process().waitFor(TRAINING_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
          throw new IOException("the training worker did not exit within " + TRAINING_TIMEOUT.toSeconds() + " s");
        }
      } finally {
        deadline.cancel(false);
        worker.kill();
        trainee = null;
      }
      if (closed) {
        LOG.debug("class-data archive training stopped because the backend closed");
        return;
      }
      // The JVM writes the archive as it exits: one that did not exit by itself with status 0 (killed at the deadline
      // or by close()) may have left part of a file, which the JVM would refuse, or crash on, in every later worker.
      int exit = worker.process().exitValue();
      if (exit != 0) {
        throw new IOException("the training worker ended with exit status " + exit + "; its console said: "
            + worker.consoleTail());
      }
      if (!Files.isRegularFile(made) || Files.size(made) == 0) {
        throw new IOException("the JVM wrote no archive; its console said: " + worker.consoleTail());
      }
      Files.move(made, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      tier.ready = true;
      LOG.info("Airlock made a class-data archive for worker starts ({}): {} KiB in {} ms, {}", tier.made,
          Files.size(file) / 1024, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), file);
      deleteOldArchives(folder);
    } catch (IOException | RuntimeException e) {
      if (closed) {
        LOG.debug("class-data archive training stopped because the backend closed");
        return;
      }
      LOG.warn("Airlock could not make the workers' class-data archive {} in {} ({}); workers start without it. "
          + "Set {}=off to stop trying, or point it at a writable folder", tier.made, folder, e,
          AirlockConfig.LOCAL_CLASS_CACHE);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      if (workspace != null) {
        WorkerChannels.deleteTree(workspace);
      }
    }
  }

  /** Marks the archive as used now, so {@link #deleteOldArchives} keeps it. */
  private static void touch(Path file) {
    try {
      Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis()));
    } catch (IOException e) {
      LOG.debug("could not touch {}", file, e);
    }
  }

  private static void deleteOldArchives(Path folder) throws IOException {
    List<Path> archives = new ArrayList<>();
    try (DirectoryStream<Path> all = Files.newDirectoryStream(folder, PREFIX + "*" + SUFFIX)) {
      all.forEach(archives::add);
    }
    archives.sort(Comparator.comparing(ClassDataArchive::lastModified).reversed());
    for (Path old : archives.subList(Math.min(KEPT, archives.size()), archives.size())) {
      Files.deleteIfExists(old);
    }
  }

  private static FileTime lastModified(Path path) {
    try {
      return Files.getLastModifiedTime(path);
    } catch (IOException e) {
      return FileTime.fromMillis(0);
    }
  }

  /** Waits for the trainings under way; true once workers start from an archive. */
  boolean await(Duration timeout) throws InterruptedException {
    startNow.countDown();
    Thread thread = training;
    if (thread != null) {
      thread.join(Math.max(1, timeout.toMillis()));
    }
    return readyFile().isPresent();
  }

  /** Stops a training still running, so closing the backend leaves no process behind. */
  void close() {
    closed = true;
    Thread thread = training;
    if (thread == null) {
      return;
    }
    thread.interrupt();
    LocalWorker worker = trainee;
    if (worker != null) {
      worker.kill();
    }
    try {
      thread.join(TimeUnit.SECONDS.toMillis(10));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
