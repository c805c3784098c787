package dev.airlock.internal.worker;

import dev.airlock.SandboxUnavailableException;
import dev.airlock.internal.backend.HostFolders;
import dev.airlock.internal.backend.SetupRefusedException;
import dev.airlock.internal.backend.WorkerChannels;
import dev.airlock.internal.worker.WorkerClasspath.Mount;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.zip.ZipFile;

/**
 * Keeps the host's configuration and keys out of a worker's classpath view. A worker runs one method: it needs the
 * classes and the data resources the code reads (templates, messages, schemas), never how the host application is
 * configured or what it authenticates with, and a guest reads whatever the view holds. Kept from workers, in a
 * folder and in a jar alike (the rule is {@link #isSecret}):
 * <ul>
 *   <li>anything under a dot folder or named with a leading dot: {@code .env*}, {@code .aws/}, {@code .ssh/},
 *       {@code .git/}, {@code .netrc}, {@code .npmrc}, {@code .pgpass}, ...;
 *   <li>application configuration of every framework: {@code application*.*} and {@code bootstrap*.*} with any
 *       extension (Spring, Quarkus, Micronaut, Typesafe/Akka/Play {@code .conf}, {@code applicationContext.xml}),
 *       {@code hibernate*.properties|xml|yml}, {@code persistence.xml} and {@code META-INF/spring*};
 *   <li>credentials and keys: {@code *credentials*}, {@code *secret.*}/{@code *secrets.*}, {@code client_secret*},
 *       {@code id_rsa|id_dsa|id_ecdsa|id_ed25519*}, {@code *kubeconfig*}, {@code netrc}/{@code pgpass}/
 *       {@code htpasswd}, JAAS login files ({@code *jaas*.conf}, a Kafka SASL password), and key stores and keys
 *       ({@code *.jks|jceks|bks|p12|pkcs12|pfx|keystore|truststore|pem|key|p8|pk8|ppk|kdbx|sso|tfstate|tfvars},
 *       Kerberos {@code *.keytab}, IBM {@code *.kdb} with its password stash {@code *.sth}, GnuPG
 *       {@code *.gpg|pgp}).
 * </ul>
 * A classpath entry that is a file but no jar gives the JVM nothing; it is seen as zeros of its size and time.
 * Class files are never kept back ({@code ApplicationRunner.class} is code a worker runs). Logging configuration
 * ({@code logback.xml}, {@code log4j2.xml}) stays visible: the code the worker runs logs through it.
 *
 * <p>Jar copies and the empty file and folder that cover secrets live in one private (0700) folder of this JVM,
 * made fresh, never one found: nothing another local user planted is bound into a worker.
 */
final class ClasspathSecrets {
  private static final Pattern SECRET_NAME = Pattern.compile(
      "\\..*|(application|bootstrap)[^/]*\\.[^/]+|hibernate[^/]*\\.(properties|xml|ya?ml)|persistence\\.xml"
      + "|.*credentials.*|.*secrets?\\.[^/]+|client_secret.*|id_(rsa|dsa|ecdsa|ed25519).*|.*kubeconfig.*"
      + "|_?(netrc|pgpass|htpasswd)|[^/]*jaas[^/]*\\.conf(ig)?"
      + "|.*\\.(jks|jceks|bks|p12|pkcs12|pfx|keystore|truststore|pem|key|p8|pk8|ppk|kdbx|sso|tfstate|tfvars|keytab"
      + "|kdb|sth|gpg|pgp)",
      Pattern.CASE_INSENSITIVE);
  private static final String SPRING_META = "META-INF/spring";
  private static final Pattern BUILD_OUTPUT = Pattern.compile(".*/(target/(test-)?classes|build/classes/[^/]+/[^/]+"
      + "|build/resources/[^/]+|out/(production|test)/[^/]+|bin/(main|test)|BOOT-INF/classes)/?");
  private static final String FOLDER_PREFIX = "airlock-view-";

  private static final int EOCD = 0x06054b50;
  private static final int CENTRAL = 0x02014b50;
  private static final int LOCAL = 0x04034b50;

  /**
   * Jars found free of secrets by this rule: the patterns above and this build of Airlock (whose code decides too),
   * so a new rule or a new build scans every jar again.
   */
  private static final CleanJarCache CLEAN_JARS = new CleanJarCache(MachineCache.folder(),
      SECRET_NAME.pattern() + "\n" + SPRING_META + "\n" + codeStamp());

  private static final Map<String, Path> JAR_COPIES = new ConcurrentHashMap<>();
  private static volatile Path folder;

  private ClasspathSecrets() {
  }

  /** Whether an entry of a jar or a file in a folder (its path inside, with {@code /}) is kept from workers. */
  static boolean isSecret(String pathInside) {
    int slash = pathInside.lastIndexOf('/');
    if (pathInside.startsWith(SPRING_META) || slash >= 0 && isSecretFolder(pathInside.substring(0, slash))) {
      return true;
    }
    String name = pathInside.substring(slash + 1);
    return !name.endsWith(".class") && SECRET_NAME.matcher(name).matches();
  }

  /** Whether everything under a folder (its path inside) is kept from workers: dot folders and Spring's. */
  static boolean isSecretFolder(String pathInside) {
    for (String segment : pathInside.split("/")) {
      if (segment.startsWith(".")) {
        return true;
      }
    }
    return pathInside.startsWith(SPRING_META);
  }

  static List<Mount> view(List<Path> classpath, boolean anyFolder) {
    return view(classpath, anyFolder, CLEAN_JARS);
  }

  /** The view, with the jars known clean read from {@code cleanJars} (tests: a cache folder of their own). */
  static List<Mount> view(List<Path> classpath, boolean anyFolder, CleanJarCache cleanJars) {
    List<Mount> mounts = new ArrayList<>();
    List<Mount> masks = new ArrayList<>();
    try {
      for (Path entry : classpath) {
        if (Files.isDirectory(entry)) {
          requireBuildOutput(entry, anyFolder);
          mounts.add(new Mount(entry, entry));
          masks.addAll(folderMasks(entry));
        } else if (Files.isRegularFile(entry)) {
          mounts.add(new Mount(jarView(entry, cleanJars), entry));
        }
      }
    } catch (IOException e) {
      throw new SandboxUnavailableException("cannot prepare the workers' view of the classpath: " + e, e);
    }
    mounts.addAll(masks);
    return List.copyOf(mounts);
  }

  /** Refuses a classpath folder that is not build output, unless {@code anyFolder}. */
  static void requireBuildOutput(Path folder, boolean anyFolder) {
    String path = folder.toAbsolutePath().normalize().toString();
    if (!anyFolder && !BUILD_OUTPUT.matcher(path).matches()) {
      throw new SetupRefusedException("the classpath folder " + path + " is not a build-output folder "
          + "(target/classes, build/classes/<language>/<set>, out/production/<module>), and a worker would see "
          + "every file in it (credentials in a working directory, for one). Run the application from its jars or "
          + "build output, or set " + dev.airlock.AirlockConfig.LOCAL_CLASSPATH_FOLDERS + "=any (every backend: "
          + "local, Docker, cloud) to show workers such folders, configuration and keys still covered. The call "
          + "does not run on the host instead, where it would read them");
    }
  }

  private static List<Mount> folderMasks(Path root) throws IOException {
    List<Mount> masks = new ArrayList<>();
    Files.walkFileTree(root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
        if (!dir.equals(root) && isSecretFolder(inside(root, dir))) {
          masks.add(new Mount(privateFolder().resolve("empty-folder"), dir));
          return FileVisitResult.SKIP_SUBTREE;
        }
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        if (isSecret(inside(root, file))) {
          masks.add(new Mount(privateFolder().resolve(attrs.isDirectory() ? "empty-folder" : "empty-file"), file));
        }
        return FileVisitResult.CONTINUE;
      }
    });
    return masks;
  }

  private static String inside(Path root, Path file) {
    return root.relativize(file).toString().replace('\\', '/');
  }

  /** The jar itself when it holds no secret entry, else its zeroed copy (made once per jar version). */
  private static Path jarView(Path jar, CleanJarCache cleanJars) throws IOException {
    if (cleanJars.knownClean(jar)) {
      return jar;
    }
    Optional<String> scanned = cleanJars.key(jar);
    List<String> secrets = new ArrayList<>();
    boolean zip;
    try (ZipFile file = new ZipFile(jar.toFile())) {
      file.stream().filter(e -> !e.isDirectory() && isSecret(e.getName())).forEach(e -> secrets.add(e.getName()));
      zip = true;
    } catch (IOException e) {
      // Not a zip: the JVM reads no class or resource from it, so a worker needs none of its bytes. It may be
      // anything named on the classpath by mistake (a password file), so it is seen blank.
      zip = false;
    }
    if (zip && secrets.isEmpty()) {
      scanned.ifPresent(key -> cleanJars.rememberClean(jar, key));
      return jar;
    }
    FileTime time = Files.getLastModifiedTime(jar);
    String key = jar.toAbsolutePath() + "|" + Files.size(jar) + "|" + time.toMillis();
    boolean blank = !zip;
    try {
      return JAR_COPIES.computeIfAbsent(key, k -> {
        try {
          return blank ? blankCopy(jar, time) : zeroedCopy(jar, time);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  /** A file of {@code file}'s size and time holding only zeros (sparse: it costs no disk). */
  private static Path blankCopy(Path file, FileTime time) throws IOException {
    Path copy = Files.createTempFile(privateFolder(), "blank-", "-" + file.getFileName());
    try (FileChannel channel = FileChannel.open(copy, StandardOpenOption.WRITE)) {
      long size = Files.size(file);
      if (size > 0) {
        channel.write(ByteBuffer.allocate(1), size - 1);
      }
    }
    Files.setLastModifiedTime(copy, time);
    Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rw-r--r--"));
    return copy;
  }

  private static Path zeroedCopy(Path jar, FileTime time) throws IOException {
    Path copy = Files.createTempFile(privateFolder(), "jar-", "-" + jar.getFileName());
    Files.copy(jar, copy, StandardCopyOption.REPLACE_EXISTING);
    try (FileChannel channel = FileChannel.open(copy, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      zeroSecretEntries(channel, jar);
    }
    Files.setLastModifiedTime(copy, time);
    Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rw-r--r--"));
    return copy;
  }

  /** Overwrites the stored bytes of every secret entry with zeros, from the jar's central directory. */
  static void zeroSecretEntries(FileChannel channel, Path jar) throws IOException {
    long size = channel.size();
    int tailLength = (int) Math.min(size, 22 + 65535);
    ByteBuffer tail = read(channel, size - tailLength, tailLength);
    int eocd = -1;
    for (int i = tailLength - 22; i >= 0; i--) {
      if (tail.getInt(i) == EOCD) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) {
      throw new IOException(jar + " has no zip directory");
    }
    long entries = tail.getShort(eocd + 10) & 0xffff;
    long directorySize = tail.getInt(eocd + 12) & 0xffffffffL;
    long directoryOffset = tail.getInt(eocd + 16) & 0xffffffffL;
    if (entries == 0xffff || directorySize == 0xffffffffL || directoryOffset == 0xffffffffL) {
      throw new IOException(jar + " is a ZIP64 jar holding configuration or keys, which Airlock cannot filter; "
          + "remove them from the jar");
    }
    ByteBuffer directory = read(channel, directoryOffset, (int) directorySize);
    int at = 0;
    for (long n = 0; n < entries; n++) {
      if (directory.getInt(at) != CENTRAL) {
        throw new IOException(jar + ": malformed zip directory");
      }
      long compressed = directory.getInt(at + 20) & 0xffffffffL;
      int nameLength = directory.getShort(at + 28) & 0xffff;
      int extraLength = directory.getShort(at + 30) & 0xffff;
      int commentLength = directory.getShort(at + 32) & 0xffff;
      long localOffset = directory.getInt(at + 42) & 0xffffffffL;
      byte[] name = new byte[nameLength];
      directory.get(at + 46, name);
      String entryName = new String(name, StandardCharsets.UTF_8);
      if (!entryName.endsWith("/") && isSecret(entryName)) {
        ByteBuffer local = read(channel, localOffset, 30);
        if (local.getInt(0) != LOCAL) {
          throw new IOException(jar + ": malformed entry " + entryName);
        }
        long data = localOffset + 30 + (local.getShort(26) & 0xffff) + (local.getShort(28) & 0xffff);
        channel.write(ByteBuffer.allocate((int) compressed), data);
      }
      at += 46 + nameLength + extraLength + commentLength;
    }
  }

  private static ByteBuffer read(FileChannel channel, long position, int length) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
    while (buffer.hasRemaining()) {
      if (channel.read(buffer, position + buffer.position()) < 0) {
        throw new IOException("truncated zip");
      }
    }
    return buffer.flip();
  }

  /** Where this class was loaded from, with that jar's size and time: a new build of Airlock is a new rule. */
  private static String codeStamp() {
    try {
      var source = ClasspathSecrets.class.getProtectionDomain().getCodeSource();
      Path location = Path.of(source.getLocation().toURI());
      return location + (Files.isRegularFile(location) ? " " + Files.size(location) + "@"
          + Files.getLastModifiedTime(location).toMillis() : "");
    } catch (IOException | RuntimeException | java.net.URISyntaxException e) {
      return "unknown build " + System.nanoTime();
    }
  }

  /** This JVM's private folder, made on first use with an empty file and folder, deleted when the JVM exits. */
  private static synchronized Path privateFolder() throws IOException {
    if (folder == null) {
      Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
      Path made = HostFolders.create(tmp, FOLDER_PREFIX, "rwx------");
      Files.createFile(made.resolve("empty-file"));
      Files.setPosixFilePermissions(made.resolve("empty-file"), PosixFilePermissions.fromString("r--r--r--"));
      Files.createDirectory(made.resolve("empty-folder"));
      Files.setPosixFilePermissions(made.resolve("empty-folder"), PosixFilePermissions.fromString("r-xr-xr-x"));
      Runtime.getRuntime().addShutdownHook(new Thread(() -> WorkerChannels.deleteTree(made), "airlock-view-cleanup"));
      folder = made;
    }
    return folder;
  }
}
