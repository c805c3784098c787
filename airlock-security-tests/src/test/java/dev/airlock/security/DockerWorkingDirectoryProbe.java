package dev.airlock.security;

import dev.airlock.SandboxPool;
import dev.airlock.internal.docker.DockerTestEngine;
import java.nio.file.Files;
import java.nio.file.Path;

/** A host application started with its working directory on the classpath, calling into a Docker worker. */
public final class DockerWorkingDirectoryProbe {
  private DockerWorkingDirectoryProbe() {
  }

  public static void main(String[] args) {
    String file = args[0];
    String read;
    try (SandboxPool pool = SandboxPool.builder(DockerTestEngine.config()).minSize(0).maxSize(1).build()) {
      read = pool.call(() -> readInTheGuest(file));
    } catch (RuntimeException e) {
      read = "FAILED " + e;
    }
    System.out.println("GUEST-READ " + read);
    System.exit(0);
  }

  /** Guest code. */
  static String readInTheGuest(String file) {
    try {
      return Files.readString(Path.of(file)).strip();
    } catch (Exception e) {
      return "(" + e + ")";
    }
  }
}
