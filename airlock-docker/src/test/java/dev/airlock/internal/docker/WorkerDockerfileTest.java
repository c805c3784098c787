package dev.airlock.internal.docker;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.BuildImageResultCallback;
import dev.airlock.SandboxPool;
import java.io.File;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The shipped docker/Dockerfile makes a working worker image. No registry is reachable here, so it is built on the
 * local test JRE instead of its public base (the same ARG users can set).
 */
@Timeout(180)
class WorkerDockerfileTest {
  private static final String TAG = "airlock-worker-dockerfile-test:latest";

  @BeforeAll
  static void requireEngine() {
    DockerTestEngine.require();
  }

  @Test
  void theShippedDockerfileBuildsAnImageThatRunsWorkers() throws Exception {
    DockerClient docker = DockerTestEngine.require().client();
    File folder = new File("../docker").getCanonicalFile();
    assertThat(new File(folder, "Dockerfile")).exists();
    String imageId = docker.buildImageCmd(folder)
        .withBuildArg("JRE_IMAGE", DockerTestEngine.IMAGE)
        .withTags(Set.of(TAG))
        .withPull(false)
        .exec(new BuildImageResultCallback())
        .awaitImageId(120, TimeUnit.SECONDS);
    try (SandboxPool pool = SandboxPool.builder(DockerTestEngine.config().toBuilder()
        .backendProperty(DockerSettings.IMAGE, TAG).build()).build()) {
      assertThat(pool.call(() -> System.getProperty("user.dir"))).isEqualTo("/tmp");
      assertThat(pool.call(DockerAttacks::uid)).as("a uid of the worker's own").isGreaterThanOrEqualTo(1L << 30);
    } finally {
      docker.removeImageCmd(imageId).withForce(true).exec();
    }
  }
}
