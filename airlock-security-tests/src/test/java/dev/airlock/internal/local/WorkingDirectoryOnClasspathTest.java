package dev.airlock.internal.local;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.airlock.AirlockConfig;
import dev.airlock.SandboxUnavailableException;
import dev.airlock.internal.worker.WorkerClasspath;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14 item 8: {@code java -cp .:...} bound the working directory into every worker whole, and the guest read the
 * AWS credentials in it. A classpath folder that is not build output is refused, naming the opt-in.
 */
class WorkingDirectoryOnClasspathTest {

  @Test
  void aWorkingDirectoryOnTheClasspathIsRefusedInsteadOfBoundWhole(@TempDir Path dir) throws IOException {
    Path workingDirectory = Files.createDirectories(dir.resolve("project"));
    Files.createDirectories(workingDirectory.resolve(".aws"));
    Files.writeString(workingDirectory.resolve(".aws/credentials"), "aws_secret_access_key=must-not-leak");
    List<Path> classpath = new ArrayList<>(WorkerClasspath.ofThisJvm());
    classpath.add(workingDirectory);
    AirlockConfig config = AirlockConfig.builder().localIsolation(AirlockConfig.LocalIsolation.STRICT)
        .localClassCache("off").build();

    assertThatThrownBy(() -> new LocalBackend(config, classpath).close())
        .isInstanceOf(SandboxUnavailableException.class)
        .hasMessageContaining(workingDirectory.toString())
        .hasMessageContaining("airlock.local.classpath-folders=any");
  }
}
