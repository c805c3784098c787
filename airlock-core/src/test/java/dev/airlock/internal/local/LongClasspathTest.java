package dev.airlock.internal.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.AirlockConfig;
import dev.airlock.SandboxPool;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker holds every jar it searched open, one descriptor each, under a descriptor limit of its own (attack review
 * 36): a long classpath must still load its last jar's classes. Under a fixed limit of 768, a class in the last of 800
 * jars was a plain {@code ClassNotFoundException} in the worker, and its resource was not found.
 */
class LongClasspathTest {
  private static final int JARS = 800;

  @Test
  void aResourceInTheLastOf800JarsIsFoundInTheWorker(@TempDir Path dir) throws Exception {
    StringBuilder classpath = new StringBuilder(System.getProperty("java.class.path"));
    for (int i = 0; i < JARS; i++) {
      // Each jar is searched before the next: a resource of its own, none of the one asked for.
      classpath.append(File.pathSeparator).append(jar(dir.resolve("lib-" + i + ".jar"), "lib" + i + "/note.txt",
          new byte[] {'x'}));
    }
    classpath.append(File.pathSeparator).append(jar(dir.resolve("last.jar"), "last.txt",
        "found".getBytes(StandardCharsets.UTF_8)));
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    // A host of its own: the pool's workers get the classpath of the JVM that makes them.
    Process process = new ProcessBuilder(List.of(java, "-cp", classpath.toString(), Host.class.getName()))
        .redirectErrorStream(true).start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();

    assertThat(out).as(out).contains("worker read: found");
  }

  /** Reads the last jar's resource in a worker, where the search opens every jar before it. */
  public static final class Host {
    public static void main(String[] args) {
      AirlockConfig config = AirlockConfig.builder().localClassCache("off").sandboxRequired(true).build();
      try (SandboxPool pool = SandboxPool.builder(config).minSize(0).maxSize(1).build()) {
        System.out.println("worker read: " + pool.call(() -> {
          try (InputStream in = Host.class.getClassLoader().getResourceAsStream("last.txt")) {
            return in == null ? "missing" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
          }
        }));
      } catch (RuntimeException e) {
        System.out.println("failed: " + e);
      }
    }
  }

  private static Path jar(Path file, String entry, byte[] content) throws IOException {
    try (OutputStream out = Files.newOutputStream(file); JarOutputStream jar = new JarOutputStream(out)) {
      jar.putNextEntry(new JarEntry(entry));
      jar.write(content);
      jar.closeEntry();
    }
    return file;
  }
}
