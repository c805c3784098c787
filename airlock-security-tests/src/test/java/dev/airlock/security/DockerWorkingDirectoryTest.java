package dev.airlock.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.internal.docker.DockerTestEngine;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attack review 3: issue 14 item 8 refused a working directory on the classpath for the local backend only; the
 * Docker backend built its view with {@code readableView(classpath, anyFolder = true)}, so {@code java -cp .:...}
 * bound the whole working directory into every worker container and the guest read {@code .aws/credentials}. Docker
 * now refuses such a folder the same way, naming the opt-in.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class DockerWorkingDirectoryTest {

  @Test
  void aWorkingDirectoryOnTheClasspathIsNotBoundIntoDockerWorkers(@TempDir Path dir) throws Exception {
    DockerTestEngine.requireEngine();
    Path project = Files.createDirectories(dir.resolve("project"));
    Files.createDirectories(project.resolve(".aws"));
    Path credentials = Files.writeString(project.resolve(".aws/credentials"),
        "[default]\naws_secret_access_key=HOSTSECRET-aws");
    String classpath = project + File.pathSeparator + System.getProperty("java.class.path");
    Process host = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", classpath, DockerWorkingDirectoryProbe.class.getName(), credentials.toString())
        .directory(project.toFile()).redirectErrorStream(true).start();
    String output = new String(host.getInputStream().readAllBytes());
    assertThat(host.waitFor(120, TimeUnit.SECONDS)).isTrue();

    assertThat(output).as(output).contains("GUEST-READ FAILED").contains("not a build-output folder")
        .contains("classpath-folders=any").doesNotContain("HOSTSECRET");
  }
}
