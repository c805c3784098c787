package dev.airlock.release;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/** What is published, and what a published jar must say about itself. */
final class PublishedArtifacts {
  /** Every published jar's artifactId and the module name its manifest must declare. */
  static final Map<String, String> MODULE_NAMES = moduleNames();
  /** Published as a pom only. */
  static final Set<String> POMS = Set.of("airlock-parent", "airlock-bom");

  private PublishedArtifacts() {
  }

  private static Map<String, String> moduleNames() {
    Map<String, String> names = new LinkedHashMap<>();
    names.put("airlock-annotations", "dev.airlock.annotation");
    names.put("airlock-core", "dev.airlock.core");
    names.put("airlock-agent", "dev.airlock.agent");
    names.put("airlock-aspectj", "dev.airlock.aspectj");
    names.put("airlock-spring", "dev.airlock.spring");
    names.put("airlock-docker", "dev.airlock.docker");
    names.put("airlock-cloud", "dev.airlock.cloud");
    names.put("airlock-e2b", "dev.airlock.e2b");
    names.put("airlock-morph", "dev.airlock.morph");
    names.put("airlock-mcp", "dev.airlock.mcp");
    return Map.copyOf(names);
  }

  /** Every published jar as the pom passes it (airlock.published.jars), by artifactId. */
  static Map<String, Path> jars() {
    Map<String, Path> jars = new LinkedHashMap<>();
    for (String entry : System.getProperty("airlock.published.jars").split(",")) {
      String[] parts = entry.trim().split("=", 2);
      Path jar = Path.of(parts[1].trim());
      assertThat(isJar(jar))
          .as("%s resolved to %s, not a jar: run at least the package phase (mvn verify)", parts[0], jar).isTrue();
      jars.put(parts[0], jar);
    }
    assertThat(jars.keySet()).as("the jars passed by the pom").isEqualTo(MODULE_NAMES.keySet());
    return jars;
  }

  static Manifest manifest(Path jar) {
    try (JarFile file = new JarFile(jar.toFile())) {
      Manifest manifest = file.getManifest();
      if (manifest == null) {
        throw new AssertionError(jar + " has no manifest");
      }
      return manifest;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The module the JDK makes of this jar on the module path (it rejects an invalid name or a bad services file). */
  static ModuleReference module(Path jar) {
    Set<ModuleReference> all = ModuleFinder.of(jar).findAll();
    if (all.size() != 1) {
      throw new AssertionError(jar + " is not one module: " + all);
    }
    return all.iterator().next();
  }

  /** The packages with at least one class in the jar. */
  static Set<String> packages(Path jar) {
    try (JarFile file = new JarFile(jar.toFile())) {
      Set<String> packages = new TreeSet<>();
      file.stream()
          .map(entry -> entry.getName())
          .filter(name -> name.endsWith(".class") && !name.startsWith("META-INF/") && name.contains("/"))
          .forEach(name -> packages.add(name.substring(0, name.lastIndexOf('/')).replace('/', '.')));
      return packages;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static boolean isJar(Path path) {
    return Files.isRegularFile(path) && path.getFileName().toString().endsWith(".jar");
  }
}
