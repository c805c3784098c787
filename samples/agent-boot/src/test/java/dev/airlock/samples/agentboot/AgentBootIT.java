package dev.airlock.samples.agentboot;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The repackaged Spring Boot executable jar (nested jars) started with the real agent jar. */
class AgentBootIT {

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void airlockMethodOfABeanInAnExecutableJarRunsSandboxed() throws Exception {
    Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-javaagent:" + System.getProperty("airlock.agent.jar") + "=backend=local",
        "-jar", System.getProperty("boot.jar"), "--spring.main.banner-mode=off")
        .redirectErrorStream(true).start();
    try {
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(output).contains("boot tool: spring boot -> sandboxed=true");
      assertThat(process.exitValue()).as(output).isZero();
    } finally {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }
}
