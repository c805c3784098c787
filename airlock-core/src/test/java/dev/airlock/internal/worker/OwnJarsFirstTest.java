package dev.airlock.internal.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where Airlock's own jars stand on a worker's classpath, which decides the archive of a worker's own start. */
class OwnJarsFirstTest {
  @TempDir
  Path dir;

  private Path jar(String name) throws IOException {
    return Files.writeString(dir.resolve(name), name);
  }

  @Test
  void airlocksOwnJarsLeadInAFixedOrderAndTheRestKeepTheirs() throws IOException {
    Path app = jar("app-1.0.jar");
    Path core = jar("airlock-core-0.1.0-SNAPSHOT.jar");
    Path lib = jar("jackson-databind-2.17.0.jar");
    Path kryo = jar("kryo5-5.6.2.jar");
    Path annotations = jar("airlock-annotations-0.1.0-SNAPSHOT.jar");
    Path logging = jar("slf4j-api-2.0.16.jar");
    Path classes = Files.createDirectory(dir.resolve("classes"));

    List<Path> ordered = WorkerClasspath.ownJarsFirst(List.of(classes, app, core, logging, lib, kryo, annotations));

    assertThat(ordered).containsExactly(annotations, logging, kryo, core, classes, app, lib);
    assertThat(WorkerClasspath.ownJarsFirst(ordered)).as("idempotent").isEqualTo(ordered);
    assertThat(WorkerClasspath.ownJarsLeading(ordered)).containsExactly(annotations, logging, kryo, core);
  }

  @Test
  void twoVersionsOfOneArtifactKeepTheirOrderSoTheHostsCopyStillWins() throws IOException {
    Path newer = jar("kryo5-5.6.2.jar");
    Path core = jar("airlock-core-0.1.0.jar");
    Path annotations = jar("airlock-annotations-0.1.0.jar");
    Path app = jar("app.jar");
    Files.createDirectory(dir.resolve("old"));
    Path older = Files.writeString(dir.resolve("old").resolve("kryo5-5.0.0.jar"), "old");

    assertThat(WorkerClasspath.ownJarsFirst(List.of(app, newer, core, older, annotations)))
        .containsExactly(annotations, newer, older, core, app);
  }

  @Test
  void withoutEveryOwnArtifactAsAJarNothingLeads() throws IOException {
    Path kryo = jar("kryo5-5.6.2.jar");
    Path logging = jar("slf4j-api-2.0.16.jar");
    Path annotations = jar("airlock-annotations-0.1.0.jar");
    // Airlock's core from its build folder (Airlock's own tests) or shaded into an application jar: not a jar by name.
    Path coreFolder = Files.createDirectory(dir.resolve("airlock-core-0.1.0.jar.d"));
    Path shaded = jar("my-agent-all.jar");

    assertThat(WorkerClasspath.ownJarsLeading(WorkerClasspath.ownJarsFirst(List.of(shaded, kryo, annotations,
        logging, coreFolder)))).isEmpty();
    assertThat(WorkerClasspath.ownJarsFirst(List.of(shaded, kryo))).as("what is there still leads")
        .containsExactly(kryo, shaded);
    assertThat(WorkerClasspath.ownJarsFirst(List.of(jar("airlock-core-extras.jar"), shaded)))
        .as("a name without a version is not Airlock's artifact").containsExactly(dir.resolve("airlock-core-extras.jar"),
            shaded);
  }
}
