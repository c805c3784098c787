package dev.airlock.release;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.module.Configuration;
import java.lang.module.ModuleFinder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The published jars of this build (as Maven resolves dev.airlock:*, from the reactor or the local repository) work
 * on the module path: each is a named module, and no package is in two of them (a split package stops a modular
 * application at start-up).
 */
class PublishedJarsTest {
  private static Map<String, Path> jars() {
    Map<String, Path> jars = new LinkedHashMap<>();
    for (String entry : System.getProperty("airlock.published.jars").split(",")) {
      String[] parts = entry.trim().split("=", 2);
      Path jar = Path.of(parts[1].trim());
      assertThat(PublishedArtifacts.isJar(jar))
          .as("%s resolved to %s, not a jar: run at least the package phase (mvn verify)", parts[0], jar).isTrue();
      jars.put(parts[0], jar);
    }
    assertThat(jars.keySet()).as("the jars passed by the pom").isEqualTo(PublishedArtifacts.MODULE_NAMES.keySet());
    return jars;
  }

  @Test
  void everyPublishedJarIsANamedModule() {
    jars().forEach((artifactId, jar) -> {
      String expected = PublishedArtifacts.MODULE_NAMES.get(artifactId);
      assertThat(PublishedArtifacts.manifest(jar).getMainAttributes().getValue("Automatic-Module-Name"))
          .as("Automatic-Module-Name of %s", jar).isEqualTo(expected);
      assertThat(PublishedArtifacts.module(jar).descriptor().name()).as("module of %s", jar).isEqualTo(expected);
    });
  }

  @Test
  void noPackageIsInTwoPublishedJars() {
    Map<String, List<String>> owners = new HashMap<>();
    jars().forEach((artifactId, jar) -> PublishedArtifacts.packages(jar)
        .forEach(pkg -> owners.computeIfAbsent(pkg, p -> new ArrayList<>()).add(artifactId)));
    assertThat(owners).as("packages of the published jars").isNotEmpty();
    Set<String> split = owners.entrySet().stream().filter(e -> e.getValue().size() > 1)
        .map(e -> e.getKey() + " in " + e.getValue()).collect(Collectors.toCollection(TreeSet::new));
    assertThat(split).as("split packages").isEmpty();
  }

  @Test
  void allPublishedJarsResolveTogetherOnTheModulePath() {
    // The JDK's own check: resolving fails when two modules read by one module export the same package.
    Path[] paths = jars().values().toArray(Path[]::new);
    Configuration configuration = ModuleLayer.boot().configuration()
        .resolve(ModuleFinder.of(paths), ModuleFinder.of(), PublishedArtifacts.MODULE_NAMES.values());
    assertThat(configuration.modules()).hasSize(PublishedArtifacts.MODULE_NAMES.size());
  }
}
