package com.example.consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.airlock.AirlockRuntime;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** This JVM was started with -javaagent: the airlock-agent artifact from the repository, copied by the build. */
class WhereToolTest {
  @Test
  void anAirlockMethodRunsInTheSandboxThroughTheAgentArtifact() {
    Path agent = Path.of(System.getProperty("agent.jar"));
    assertTrue(Files.isRegularFile(agent), "the build copied no agent to " + agent);
    assertTrue(ManagementFactory.getRuntimeMXBean().getInputArguments().contains(
        "-javaagent:" + agent + "=pool.min-size=1,pool.max-size=1,timeout-seconds=60"), "not started with the agent");

    assertFalse(AirlockRuntime.isSandboxed(), "the test itself runs on the host");
    assertEquals("sandbox", new WhereTool().where());
  }
}
