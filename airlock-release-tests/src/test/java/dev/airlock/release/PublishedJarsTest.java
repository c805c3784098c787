package dev.airlock.release;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.module.Configuration;
import java.lang.module.ModuleFinder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The published jars of this build (as Maven resolves dev.airlock:*, from the reactor or the local repository) work
 * on the module path: each is a named module, and no package is in two of them (a split package stops a modular
 * application at start-up).
 */
class PublishedJarsTest {
  @Test
  void everyPublishedJarIsANamedModule() {
    PublishedArtifacts.jars().forEach((artifactId, jar) -> {
      String expected = PublishedArtifacts.MODULE_NAMES.get(artifactId);
      assertThat(PublishedArtifacts.manifest(jar).getMainAttributes().getValue("Automatic-Module-Name"))
          .as("Automatic-Module-Name of %s", jar).isEqualTo(expected);
      assertThat(PublishedArtifacts.module(jar).descriptor().name()).as("module of %s", jar).isEqualTo(expected);
    });
  }

  @Test
  void noPackageIsInTwoPublishedJars() {
    Map<String, List<String>> owners = new HashMap<>();
    PublishedArtifacts.jars().forEach((artifactId, jar) -> PublishedArtifacts.packages(jar)
        .forEach(pkg -> owners.computeIfAbsent(pkg, p -> new ArrayList<>()).add(artifactId)));
    assertThat(owners).as("packages of the published jars").isNotEmpty();
    Set<String> split = owners.entrySet().stream().filter(e -> e.getValue().size() > 1)
        .map(e -> e.getKey() + " in " + e.getValue()).collect(Collectors.toCollection(TreeSet::new));
    assertThat(split).as("split packages").isEmpty();
  }

  /**
   * The agent carries airlock-core and its dependencies as nested jars for its doctor; Maven's copy of the
   * dependencies also took airlock-core's test jar (the agent's tests use it), so the published agent shipped test
   * classes, and the doctor put them on its class path.
   */
  @Test
  void noPublishedJarCarriesTestCode() {
    PublishedArtifacts.jars().forEach((artifactId, jar) -> {
      try (JarFile file = new JarFile(jar.toFile())) {
        List<String> testCode = file.stream().map(JarEntry::getName)
            .filter(name -> name.endsWith("-tests.jar") || name.endsWith("simplelogger.properties")
                || name.startsWith("com/example/") || name.contains("/test/"))
            .toList();
        assertThat(testCode).as("test code in %s", jar).isEmpty();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
  }

  @Test
  void allPublishedJarsResolveTogetherOnTheModulePath() {
    // The JDK's own check: resolving fails when two modules read by one module export the same package.
    Path[] paths = PublishedArtifacts.jars().values().toArray(Path[]::new);
    Configuration configuration = ModuleLayer.boot().configuration()
        .resolve(ModuleFinder.of(paths), ModuleFinder.of(), PublishedArtifacts.MODULE_NAMES.values());
    assertThat(configuration.modules()).hasSize(PublishedArtifacts.MODULE_NAMES.size());
  }
}
