package dev.airlock.internal.docker;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.BuildImageResultCallback;
import dev.airlock.SandboxPool;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Attack review 16: an image that declares a {@code VOLUME} (a base image's, which a derived image cannot undo) gets
 * an anonymous volume on the host's disk in every container, writable under the read-only root and bounded by
 * nothing, while the posture said only {@code /tmp} was writable. The guest wrote there as the worker's user.
 */
@Timeout(180)
class DockerImageVolumesTest {
  private static final String TAG = "airlock-image-volumes-test:latest";

  @Test
  void anImagesDeclaredVolumesAreNeitherWritableNorOnTheHostsDisk() throws Exception {
    DockerClient docker = DockerTestEngine.require().client();
    String imageId = docker.buildImageCmd(new ByteArrayInputStream(context()))
        .withTags(Set.of(TAG))
        .withPull(false)
        .exec(new BuildImageResultCallback())
        .awaitImageId(120, TimeUnit.SECONDS);
    try (SandboxPool pool = SandboxPool.builder(DockerTestEngine.config().toBuilder()
        .backendProperty(DockerSettings.IMAGE, TAG).build()).minSize(0).maxSize(1).build()) {
      assertThat(pool.call(() -> DockerAttacks.tryWrite("/scratch/filled-from-the-sandbox")))
          .contains("Read-only file system");
      assertThat(pool.call(() -> DockerAttacks.tryWrite("/tmp/scratch.txt"))).isEqualTo("wrote");
      assertThat(pool.posture().describe()).contains("/scratch");
    } finally {
      docker.removeImageCmd(imageId).withForce(true).exec();
    }
  }

  /** The test JRE image plus a world-writable folder declared as a volume, as a build context. */
  private static byte[] context() throws IOException {
    byte[] dockerfile = ("FROM " + DockerTestEngine.IMAGE + "\nCOPY root/ /\nVOLUME /scratch\n")
        .getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
      TarArchiveEntry file = new TarArchiveEntry("Dockerfile");
      file.setSize(dockerfile.length);
      tar.putArchiveEntry(file);
      tar.write(dockerfile);
      tar.closeArchiveEntry();
      for (String folder : new String[] {"root/", "root/scratch/"}) {
        TarArchiveEntry dir = new TarArchiveEntry(folder);
        dir.setMode(folder.equals("root/") ? 040755 : 041777);
        tar.putArchiveEntry(dir);
        tar.closeArchiveEntry();
      }
    }
    return bytes.toByteArray();
  }
}
