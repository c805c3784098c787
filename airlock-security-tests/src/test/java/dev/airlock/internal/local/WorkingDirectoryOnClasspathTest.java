package dev.airlock.internal.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.airlock.AirlockConfig;
import dev.airlock.SandboxPool;
import dev.airlock.SandboxUnavailableException;
import dev.airlock.internal.worker.WorkerClasspath;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14 item 8: {@code java -cp .:...} bound the working directory into every worker whole, and the guest read the
 * AWS credentials in it. A classpath folder that is not build output is refused, naming the opt-in.
 */
class WorkingDirectoryOnClasspathTest {
  /** Runs of the call's body in this JVM: a worker has a copy of its own. */
  private static final AtomicInteger HOST_RUNS = new AtomicInteger();

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

  /**
   * Attack review 35: the refusal above made the pool's backend unavailable, and a call that does not require a
   * sandbox ({@code @Airlock(sandbox = true)}, {@code pool.call}) then ran on the host, under a warning (fallbacks=1),
   * where it read the very {@code .aws/credentials} its worker was refused. A refused set-up is no fallback: the call
   * fails, naming the opt-in, and nothing runs on the host.
   */
  @Test
  void aCallThatDoesNotRequireASandboxIsNotRunOnTheHostInstead(@TempDir Path dir) throws IOException {
    Path workingDirectory = Files.createDirectories(dir.resolve("project"));
    Files.createDirectories(workingDirectory.resolve(".aws"));
    Files.writeString(workingDirectory.resolve(".aws/credentials"), "aws_secret_access_key=must-not-leak");
    List<Path> classpath = new ArrayList<>(WorkerClasspath.ofThisJvm());
    classpath.add(workingDirectory);
    AirlockConfig config = AirlockConfig.builder().localClassCache("off").sandboxRequired(false).build();
    try (SandboxPool pool = SandboxPool.builder(config).minSize(0).maxSize(1)
        .backend("local", () -> new LocalBackend(config, classpath)).build()) {
      for (int call = 0; call < 2; call++) {
        assertThatThrownBy(() -> pool.call(() -> HOST_RUNS.incrementAndGet()))
            .isInstanceOf(SandboxUnavailableException.class).hasMessageContaining("airlock.local.classpath-folders=any").hasMessageContaining("not run on the host");
      }
      assertThat(HOST_RUNS).as("runs on the host").hasValue(0);
      assertThat(pool.stats().fallbacks()).isZero();
    }
  }
}
