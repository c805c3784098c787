package dev.airlock.internal.worker;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The host application's real classpath, as a worker needs it. Manifest-only jars (Maven Surefire's booter,
 * {@code java -jar} with a {@code Class-Path}) are expanded into the entries they name, a Spring Boot executable jar
 * into its unpacked {@code BOOT-INF/classes} and {@code BOOT-INF/lib} jars, and Airlock's own classes are always
 * included. Airlock's own jars come first ({@link #ownJarsFirst}).
 */
public final class WorkerClasspath {
  /**
   * The jars a worker runs its own code from, by artifact name, in the order they lead a worker's classpath: Airlock's
   * annotations, the SLF4J API (Airlock's codec logs through it), Kryo, Airlock's core. Each holds its own packages
   * alone, so none of them hides a class of another jar wherever it stands.
   */
  private static final Pattern OWN_JAR = Pattern.compile(
      "(airlock-annotations|slf4j-api|kryo5|airlock-core)-\\d[^/]*\\.jar");
  private static final List<String> OWN_ORDER = List.of("airlock-annotations", "slf4j-api", "kryo5", "airlock-core");

  private WorkerClasspath() {
  }

  public static List<Path> ofThisJvm() {
    return of(System.getProperty("java.class.path", ""));
  }

  /** The classpath a worker needs for a host whose {@code java.class.path} is {@code classPathProperty}. */
  public static List<Path> of(String classPathProperty) {
    Set<Path> entries = new LinkedHashSet<>();
    for (String entry : classPathProperty.split(File.pathSeparator)) {
      if (!entry.isEmpty()) {
        addExpanded(Path.of(entry).toAbsolutePath().normalize(), entries, 0);
      }
    }
    addCodeSource(WorkerMain.class, entries);
    addCodeSource(com.esotericsoftware.kryo.kryo5.Kryo.class, entries);
    addCodeSource(dev.airlock.annotation.Airlock.class, entries);
    return ownJarsFirst(List.copyOf(entries));
  }

  /**
   * {@code classpath} with Airlock's own jars moved to its head, the rest in its order. A worker loads its own code,
   * and only that, before its first call, so the class-data archive of a worker's start can be made for these jars
   * alone, and the JVM maps an archive for any classpath that begins with the entries it was made with: one archive
   * then serves every application on the same Airlock jars, a rebuilt one or one run from {@code target/classes}
   * included (see the local backend's {@code ClassDataArchive}). The move changes which class a worker loads only for
   * classes of Airlock's, SLF4J's and Kryo's packages, found in no other jar of a sound classpath; two versions of one artifact keep their order, so
   * the one the host loads is the one a worker loads. What it does change: a resource name held by several jars
   * ({@code META-INF/MANIFEST.MF}) is found first in Airlock's jars by {@code ClassLoader.getResource}. Idempotent.
   */
  public static List<Path> ownJarsFirst(List<Path> classpath) {
    List<Path> own = new ArrayList<>(classpath.stream().filter(entry -> ownArtifact(entry) >= 0).toList());
    // A stable sort: two versions of one artifact keep their order.
    own.sort(Comparator.comparingInt(WorkerClasspath::ownArtifact));
    if (own.isEmpty()) {
      return List.copyOf(classpath);
    }
    List<Path> ordered = new ArrayList<>(own);
    classpath.stream().filter(entry -> !own.contains(entry)).forEach(ordered::add);
    return List.copyOf(ordered);
  }

  /**
   * The entries at the head of {@code classpath} that are Airlock's own jars (as {@link #ownJarsFirst} puts them), when
   * they hold each of its artifacts: the classpath a worker's own start runs from. Empty otherwise (Airlock run from
   * its build folders, or shaded into an application's jar).
   */
  public static List<Path> ownJarsLeading(List<Path> classpath) {
    List<Path> leading = new ArrayList<>();
    Set<Integer> artifacts = new HashSet<>();
    for (Path entry : classpath) {
      int artifact = ownArtifact(entry);
      if (artifact < 0) {
        break;
      }
      leading.add(entry);
      artifacts.add(artifact);
    }
    return artifacts.size() == OWN_ORDER.size() ? List.copyOf(leading) : List.of();
  }

  /** The place of {@code entry}'s artifact in {@link #OWN_ORDER}, or -1 when it is not one of Airlock's own jars. */
  private static int ownArtifact(Path entry) {
    Path name = entry.getFileName();
    Matcher matcher = OWN_JAR.matcher(name == null ? "" : name.toString());
    // The name first: only a match costs a look at the file system.
    return matcher.matches() && Files.isRegularFile(entry) ? OWN_ORDER.indexOf(matcher.group(1)) : -1;
  }

  /** One read-only bind of a worker's filesystem: host path {@code source} seen at {@code target}. */
  public record Mount(Path source, Path target) {
  }

  /**
   * What a worker may read of {@code classpath}, as read-only binds in order (later ones cover earlier ones), the
   * same for every backend (local and Docker bind it, the cloud backends upload it). Secrets stay out: in a folder,
   * each configuration or key file ({@link ClasspathSecrets} states the rule) is covered by an empty file and each
   * dot folder ({@code .aws}, {@code .ssh}, {@code .git}) and {@code META-INF/spring*} folder by an empty folder; a
   * jar holding such entries is replaced by a copy with those entries' bytes zeroed (same size and time, so the
   * classpath fingerprint and the class-data archive still match, and reading such an entry fails). A folder that
   * is not a build-output folder ({@code target/classes}, {@code build/classes/...}, {@code out/production/...}) is
   * refused unless {@code anyFolder} ({@code airlock.local.classpath-folders=any}, for every backend):
   * {@code java -cp .} would show the guest the whole working directory.
   */
  public static List<Mount> readableView(List<Path> classpath, boolean anyFolder) {
    return ClasspathSecrets.view(classpath, anyFolder);
  }

  /**
   * For a backend that copies the classpath rather than binding it (the cloud uploads): {@code entry} as a worker
   * may read it. A jar is the jar or its copy with configuration and keys zeroed; a folder is checked as
   * {@link #readableView} checks it and stays the folder, its files to copy chosen by {@link #readableInFolder}.
   */
  public static Path readableEntry(Path entry, boolean anyFolder) {
    if (Files.isDirectory(entry)) {
      ClasspathSecrets.requireBuildOutput(entry, anyFolder);
      return entry;
    }
    List<Mount> view = ClasspathSecrets.view(List.of(entry), anyFolder);
    return view.isEmpty() ? entry : view.get(0).source();
  }

  /** Whether a worker may read the file at {@code pathInside} (relative, with {@code /}) of a classpath folder. */
  public static boolean readableInFolder(String pathInside) {
    return !ClasspathSecrets.isSecret(pathInside);
  }

  private static void addCodeSource(Class<?> type, Set<Path> entries) {
    try {
      var source = type.getProtectionDomain().getCodeSource();
      // Only plain files: inside a Spring Boot jar the source is a nested: URI, which the unpacking above covers.
      if (source != null && source.getLocation() != null && "file".equals(source.getLocation().getProtocol())) {
        entries.add(Path.of(source.getLocation().toURI()).toAbsolutePath().normalize());
      }
    } catch (URISyntaxException | SecurityException | IllegalArgumentException e) {
      // Not from a file (a custom loader): the classpath scan must have found it.
    }
  }

  private static void addExpanded(Path entry, Set<Path> entries, int depth) {
    if (!Files.exists(entry) || !entries.add(entry) || depth > 2 || !Files.isRegularFile(entry)) {
      return;
    }
    for (Path referenced : manifestClassPath(entry)) {
      addExpanded(referenced, entries, depth + 1);
    }
    entries.addAll(SpringBootJar.unpackedEntries(entry));
  }

  private static List<Path> manifestClassPath(Path jar) {
    try (JarFile file = new JarFile(jar.toFile())) {
      Manifest manifest = file.getManifest();
      String classPath = manifest == null ? null : manifest.getMainAttributes().getValue("Class-Path");
      if (classPath == null || classPath.isBlank()) {
        return List.of();
      }
      List<Path> out = new ArrayList<>();
      URI base = jar.toUri();
      for (String ref : Arrays.asList(classPath.trim().split("\\s+"))) {
        try {
          URI resolved = base.resolve(ref);
          if ("file".equals(resolved.getScheme())) {
            out.add(Path.of(resolved).toAbsolutePath().normalize());
          }
        } catch (IllegalArgumentException e) {
          // A malformed entry names nothing the JVM would load either.
        }
      }
      return out;
    } catch (IOException e) {
      return List.of();
    }
  }
}
