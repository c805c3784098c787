package dev.airlock.internal.local;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The files a JVM needs to start, and nothing else of the host: the JDK folder, the targets of its symlinks that
 * point outside it (Debian keeps {@code jvm.cfg} and security files under {@code /etc}), and the shared libraries
 * {@code ldd} lists for the launcher, {@code libjvm.so} and the JDK's non-desktop libraries. Not the JMX agent's
 * configuration ({@code conf/management}): it is where the JDK keeps the agent's passwords
 * ({@code jmxremote.password}, readable by the host user, who the sandbox's user is), and a worker never starts the
 * agent.
 */
final class JdkFiles {
  private static final Pattern LIBRARY = Pattern.compile("(/\\S+\\.so[^\\s():]*)");
  private static final Pattern DESKTOP_LIBS = Pattern.compile("awt|jsound|font|splash|lcms|jpeg|mlib|atk|pcsc|jawt");

  /** Folders of the JDK covered in every sandbox, relative to its home. */
  private static final List<String> MASKED = List.of("conf/management");

  private final Path home;
  private final Set<Path> outside;
  private final List<Path> masked;

  private JdkFiles(Path home, Set<Path> outside, List<Path> masked) {
    this.home = home;
    this.outside = outside;
    this.masked = masked;
  }

  static JdkFiles of(Path javaExecutable) throws IOException {
    Path home = javaExecutable.toRealPath().getParent().getParent();
    Set<Path> outside = new LinkedHashSet<>();
    for (String dir : List.of("lib", "conf")) {
      Path root = home.resolve(dir);
      if (!Files.isDirectory(root)) {
        continue;
      }
      try (Stream<Path> walk = Files.walk(root)) {
        for (Path p : (Iterable<Path>) walk::iterator) {
          if (Files.isSymbolicLink(p) && Files.exists(p) && !isMasked(home, p)) {
            Path target = p.toRealPath();
            if (!target.startsWith(home)) {
              outside.add(target);
            }
          }
        }
      }
    }
    List<String> lddArgs = new ArrayList<>(List.of("ldd", home.resolve("bin/java").toString()));
    Path libjvm = home.resolve("lib/server/libjvm.so");
    if (Files.exists(libjvm)) {
      lddArgs.add(libjvm.toString());
    }
    try (Stream<Path> libs = Files.list(home.resolve("lib"))) {
      libs.filter(p -> p.getFileName().toString().endsWith(".so"))
          .filter(p -> !DESKTOP_LIBS.matcher(p.getFileName().toString()).find())
          .filter(Files::exists)
          .forEach(p -> lddArgs.add(p.toString()));
    }
    for (Path lib : ldd(lddArgs)) {
      if (!lib.startsWith(home) && Files.exists(lib)) {
        outside.add(lib);
      }
    }
    List<Path> masked = new ArrayList<>();
    for (String folder : MASKED) {
      // A link to a folder elsewhere is not bound at all (above), so only a folder of the JDK's own is covered.
      if (Files.isDirectory(home.resolve(folder), LinkOption.NOFOLLOW_LINKS)) {
        masked.add(home.resolve(folder));
      }
    }
    return new JdkFiles(home, outside, List.copyOf(masked));
  }

  private static boolean isMasked(Path home, Path file) {
    return MASKED.stream().anyMatch(folder -> file.startsWith(home.resolve(folder)));
  }

  /** The shared libraries {@code ldd} lists for these executables. */
  static List<Path> sharedLibraries(List<Path> executables) throws IOException {
    List<String> command = new ArrayList<>(List.of("ldd"));
    executables.forEach(e -> command.add(e.toString()));
    return ldd(command);
  }

  private static List<Path> ldd(List<String> command) throws IOException {
    SharedLibraryCache cache = SharedLibraryCache.ofThisUser();
    Optional<List<Path>> cached = cache.read(command);
    if (cached.isPresent()) {
      return cached.get();
    }
    List<Path> libs = lddNow(command);
    cache.write(command, libs);
    return libs;
  }

  private static List<Path> lddNow(List<String> command) throws IOException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    List<Path> libs = new ArrayList<>();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
        StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null) {
        Matcher m = LIBRARY.matcher(line);
        while (m.find()) {
          libs.add(Path.of(m.group(1)));
        }
      }
    }
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return libs;
  }

  Path home() {
    return home;
  }

  /** Folders of the JDK to cover with an empty one, after the JDK is bound. */
  List<Path> masked() {
    return masked;
  }

  /** Files outside the JDK folder to bind, each at the path the JVM will ask for. */
  Set<Path> outside() {
    return outside;
  }
}
