package dev.airlock.internal.docker;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.abort;

import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import dev.airlock.AirlockConfig;
import dev.airlock.SandboxUnavailableException;
import java.util.List;
import java.util.Map;
import org.slf4j.LoggerFactory;

/**
 * The engine and image the tests run on. CI (CI=true) runs .ci/setup-docker.sh first, so there a missing engine
 * fails the build; on a developer's machine without Docker the tests are skipped with the reason.
 */
public final class DockerTestEngine {
  /** Imported by .ci/setup-docker.sh from the host JDK (no registry is reachable). */
  static final String IMAGE = "airlock-test-jre:17";

  private static DockerEngine engine;

  private DockerTestEngine() {
  }

  /** For suites outside this module: fails under CI=true without an engine, else skips with the reason. */
  public static void requireEngine() {
    require();
  }

  static synchronized DockerEngine require() {
    if (engine == null) {
      try {
        engine = DockerEngine.connect();
        engine.client().inspectImageCmd(IMAGE).exec();
      } catch (RuntimeException e) {
        engine = null;
        String reason = "the Docker backend tests need a Docker engine with the image " + IMAGE
            + " (run .ci/setup-docker.sh as root): " + e.getMessage();
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
          fail(reason, e);
        }
        // Surefire counts a class skipped in @BeforeAll as zero tests: say why in the build log.
        LoggerFactory.getLogger(DockerTestEngine.class).warn("SKIPPED: {}", reason);
        abort(reason);
      }
    }
    return engine;
  }

  /**
   * Removes a container a test made, if the engine has not removed it already: a worker whose host died is removed
   * by the engine (auto-remove) or a reaper, which may still be under way ("removal already in progress").
   */
  static void removeIfPresent(String id) {
    try {
      require().client().removeContainerCmd(id).withForce(true).exec();
    } catch (NotFoundException | ConflictException gone) {
      // Removed, or being removed, by the engine or a reaper.
    }
  }

  /** A fresh connection, for tests that stop and restart the engine. */
  static synchronized void reconnect() {
    if (engine != null) {
      engine.close();
      engine = null;
    }
    require();
  }

  public static AirlockConfig config() {
    return AirlockConfig.builder().backend(DockerSettings.BACKEND)
        .backendProperty(DockerSettings.IMAGE, IMAGE)
        .sandboxRequired(true)
        .build();
  }

  /** Containers, running or not, that this JVM's backends labelled as theirs. */
  public static List<Container> containersOfThisJvm() {
    return require().client().listContainersCmd().withShowAll(true)
        .withLabelFilter(Map.of(Owner.PID, Long.toString(ProcessHandle.current().pid()))).exec();
  }

  /** This JVM's worker containers, without their lifelines. */
  static List<Container> workerContainersOfThisJvm() {
    return containersOfThisJvm().stream().filter(c -> !c.getLabels().containsKey(Owner.LIFELINE)).toList();
  }

  static boolean isEngineDown(Throwable e) {
    return e instanceof SandboxUnavailableException && e.getMessage().contains("DOCKER_HOST");
  }
}
