package dev.airlock.internal.docker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.AirlockConfig;
import dev.airlock.internal.doctor.Doctor;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@code airlock doctor --backend docker} against the real engine, and against an engine that is not there. */
class DoctorDockerTest {

  @Test
  void withTheEngineTheDoctorShowsTheContainersPostureAndRunsACallInOne() {
    DockerTestEngine.require();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int exit = Doctor.run(new String[] {"--backend", "docker"},
        Map.of(DockerSettings.IMAGE, DockerTestEngine.IMAGE, AirlockConfig.SANDBOX_REQUIRED, "true"),
        new PrintStream(out, true, StandardCharsets.UTF_8), System.err);
    String report = out.toString(StandardCharsets.UTF_8);

    assertThat(exit).as(report).isZero();
    assertThat(report).contains("Backend docker (configured)")
        .containsPattern("network\\s+enforced\\s+network mode none")
        .containsPattern("airlock.docker.image\\s+airlock-test-jre:17\\s+agent option")
        .contains("End-to-end call through backend docker")
        // A small pid: the worker's own PID namespace, whose PID 1 is its lifeline (HostLifeline).
        .containsPattern("ran in a sandbox; inside it: pid ([2-9]|[1-9][0-9]), user \\? \\(uid \\d{10}\\)")
        .contains("VERDICT: OK (backend=docker, sandbox-required=true)");
    assertThat(DockerTestEngine.containersOfThisJvm()).as("the doctor's container is removed").isEmpty();
  }

  /** In a JVM of its own, since the engine's address is the environment's DOCKER_HOST. */
  @Test
  void withoutAnEngineARequiredSandboxFailsAndTheFixIsToStartDocker() throws Exception {
    ProcessBuilder doctor = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "-Dairlock.sandbox-required=true",
        "-Dairlock.local.class-cache=off", Doctor.class.getName(), "--backend", "docker"))
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.PIPE);
    doctor.environment().put("DOCKER_HOST", "unix:///nonexistent/docker.sock");
    Process process = doctor.start();
    String report = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(2, TimeUnit.MINUTES)).isTrue();

    assertThat(process.exitValue()).as(report).isEqualTo(Doctor.NOT_MET);
    assertThat(report).contains("unavailable: the Docker engine at unix:///nonexistent/docker.sock (DOCKER_HOST) "
        + "does not answer").contains("fix: start the Docker engine")
        .contains("VERDICT: FAIL (backend=docker, sandbox-required=true)");
  }
}
