package dev.airlock.release;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * Runs under -Prelease, after every published module has deployed into the file-system repository
 * ${airlock.release.repo}: checks what a repository such as Maven Central would receive.
 */
class ReleaseRepositoryIT {
  private static final Path REPO = Path.of(System.getProperty("airlock.release.repo"));
  private static final String VERSION = System.getProperty("airlock.version");

  /** The newest file deployed for artifactId with this classifier ("" for none) and extension. */
  private static Path file(String artifactId, String classifier, String extension) {
    Path dir = REPO.resolve("dev/airlock").resolve(artifactId).resolve(VERSION);
    String suffix = (classifier.isEmpty() ? "" : "-" + classifier) + "." + extension;
    String fileVersion = VERSION;
    if (VERSION.endsWith("-SNAPSHOT")) {
      // A deployed snapshot is timestamped; its maven-metadata.xml names the newest file of each kind.
      Document metadata = xml(dir.resolve("maven-metadata.xml"));
      fileVersion = null;
      NodeList versions = metadata.getElementsByTagName("snapshotVersion");
      for (int i = 0; i < versions.getLength(); i++) {
        Element v = (Element) versions.item(i);
        if (text(v, "extension").equals(extension) && text(v, "classifier").equals(classifier)) {
          fileVersion = text(v, "value");
        }
      }
      assertThat(fileVersion).as("%s%s in %s", artifactId, suffix, dir).isNotNull();
    }
    Path file = dir.resolve(artifactId + "-" + fileVersion + suffix);
    assertThat(file).as("deployed").isRegularFile();
    return file;
  }

  private static Document xml(Path file) {
    try {
      return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(file.toFile());
    } catch (Exception e) {
      throw new AssertionError("cannot read " + file, e);
    }
  }

  /** The text of the first direct child element of that name, "" if none. */
  private static String text(Element parent, String name) {
    Element child = child(parent, name);
    return child == null ? "" : child.getTextContent().trim();
  }

  /** The first direct child element of that name, null if none. */
  private static Element child(Element parent, String name) {
    for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element && n.getNodeName().equals(name)) {
        return (Element) n;
      }
    }
    return null;
  }

  /** An element of the pom, else of its parent pom in the same repository, as Maven's inheritance finds it. */
  private static Element inherited(String artifactId, String name) {
    Element project = xml(file(artifactId, "", "pom")).getDocumentElement();
    Element found = child(project, name);
    Element parent = child(project, "parent");
    if (found == null && parent != null) {
      assertThat(text(parent, "groupId")).isEqualTo("dev.airlock");
      assertThat(text(parent, "version")).isEqualTo(VERSION);
      return inherited(text(parent, "artifactId"), name);
    }
    return found;
  }

  private static List<String> entries(Path jar) {
    try (JarFile file = new JarFile(jar.toFile())) {
      return file.stream().map(e -> e.getName()).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<String> dependencies(Element project) {
    List<String> ids = new ArrayList<>();
    Element dependencies = child(project, "dependencies");
    if (dependencies != null) {
      NodeList list = dependencies.getElementsByTagName("dependency");
      for (int i = 0; i < list.getLength(); i++) {
        Element d = (Element) list.item(i);
        ids.add(text(d, "groupId") + ":" + text(d, "artifactId"));
      }
    }
    return ids;
  }

  @Test
  void onlyThePublishedArtifactsAreDeployed() throws IOException {
    Set<String> expected = new TreeSet<>(PublishedArtifacts.MODULE_NAMES.keySet());
    expected.addAll(PublishedArtifacts.POMS);
    try (Stream<Path> dirs = Files.list(REPO.resolve("dev/airlock"))) {
      Set<String> deployed = dirs.map(d -> d.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
      assertThat(deployed).as("artifactIds in %s", REPO).isEqualTo(expected);
    }
  }

  @Test
  void everyJarComesWithSourcesJavadocAndAPomWithTheProjectMetadata() {
    for (String artifactId : PublishedArtifacts.MODULE_NAMES.keySet()) {
      Path jar = file(artifactId, "", "jar");
      assertThat(PublishedArtifacts.manifest(jar).getMainAttributes().getValue("Automatic-Module-Name"))
          .as("module name of %s", jar).isEqualTo(PublishedArtifacts.MODULE_NAMES.get(artifactId));
      assertThat(entries(file(artifactId, "sources", "jar"))).as("sources of %s", artifactId)
          .anyMatch(name -> name.endsWith(".java"));
      assertThat(entries(file(artifactId, "javadoc", "jar"))).as("javadoc of %s", artifactId)
          .contains("index.html");
      assertMetadata(artifactId);
    }
  }

  private static void assertMetadata(String artifactId) {
    Element project = xml(file(artifactId, "", "pom")).getDocumentElement();
    assertThat(text(project, "name")).as("name of %s", artifactId).isNotEmpty();
    assertThat(text(project, "description")).as("description of %s", artifactId).isNotEmpty();
    assertThat(inherited(artifactId, "url").getTextContent()).as("url of %s", artifactId).startsWith("https://");
    Element license = child(inherited(artifactId, "licenses"), "license");
    assertThat(text(license, "name")).as("license of %s", artifactId).isEqualTo("Apache-2.0");
    assertThat(text(license, "url")).isEqualTo("https://www.apache.org/licenses/LICENSE-2.0.txt");
    Element scm = inherited(artifactId, "scm");
    assertThat(text(scm, "connection")).as("scm of %s", artifactId).startsWith("scm:git:");
    assertThat(text(scm, "url")).as("scm of %s", artifactId).startsWith("https://");
    assertThat(text(child(inherited(artifactId, "developers"), "developer"), "name"))
        .as("developers of %s", artifactId).isNotEmpty();
  }

  @Test
  void theAgentArtifactIsTheShadedAgentWithOnlyByteBuddysAsmAndItsPomNoLongerListsByteBuddy() {
    Path agent = file("airlock-agent", "", "jar");
    Attributes manifest = PublishedArtifacts.manifest(agent).getMainAttributes();
    assertThat(manifest.getValue("Premain-Class")).isEqualTo("dev.airlock.agent.AirlockAgent");
    assertThat(manifest.getValue("Agent-Class")).isEqualTo("dev.airlock.agent.AirlockAgent");
    List<String> entries = entries(agent);
    // The agent rewrites tool classes with the ASM that Byte Buddy ships, relocated; nothing else of Byte Buddy.
    assertThat(entries).contains("dev/airlock/agent/AirlockAgent.class",
        "dev/airlock/agent/shaded/bytebuddy/jar/asm/ClassReader.class",
        "dev/airlock/agent/shaded/bytebuddy/jar/asm/ClassWriter.class");
    assertThat(entries).filteredOn(name -> name.startsWith("dev/airlock/agent/shaded/") && name.endsWith(".class"))
        .allMatch(name -> name.startsWith("dev/airlock/agent/shaded/bytebuddy/jar/asm/"));
    assertThat(entries).noneMatch(name -> name.startsWith("net/bytebuddy/"));
    assertThat(dependencies(xml(file("airlock-agent", "", "pom")).getDocumentElement()))
        .noneMatch(id -> id.startsWith("net.bytebuddy:"));
  }

  @Test
  void theBomManagesEveryPublishedArtifactAtThisVersionAndNothingElse() {
    Element project = xml(file("airlock-bom", "", "pom")).getDocumentElement();
    assertThat(child(project, "parent")).as("a bom with a parent would import the parent's versions too").isNull();
    assertMetadata("airlock-bom");
    NodeList managed = child(project, "dependencyManagement").getElementsByTagName("dependency");
    Set<String> ids = new TreeSet<>();
    for (int i = 0; i < managed.getLength(); i++) {
      Element d = (Element) managed.item(i);
      assertThat(text(d, "groupId")).isEqualTo("dev.airlock");
      assertThat(text(d, "version")).isIn(VERSION, "${project.version}");
      ids.add(text(d, "artifactId"));
    }
    assertThat(ids).isEqualTo(new TreeSet<>(PublishedArtifacts.MODULE_NAMES.keySet()));
  }
}
