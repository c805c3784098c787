package dev.airlock.internal.cloud.fake;

import dev.airlock.internal.cloud.ClasspathEntry;
import dev.airlock.internal.cloud.SandboxFile;
import dev.airlock.internal.worker.WorkerClasspath;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.function.Function;

/** This JVM's classpath laid into a bridge home's content-addressed store, as a template with the jars baked in. */
public final class BakedClasspath {
  private BakedClasspath() {
  }

  /**
   * Copies every entry of this JVM's classpath to where the bridge looks for it under {@code home}.
   *
   * @param local where a path inside the sandbox is on this machine
   */
  public static List<ClasspathEntry> into(String home, Function<String, Path> local) {
    return WorkerClasspath.ofThisJvm().stream().map(path -> {
      ClasspathEntry entry = ClasspathEntry.of(path);
      try {
        for (SandboxFile file : entry.uploads(home, path)) {
          Path target = local.apply(file.path());
          Files.createDirectories(target.getParent());
          try (InputStream in = file.open()) {
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return entry;
    }).toList();
  }
}
