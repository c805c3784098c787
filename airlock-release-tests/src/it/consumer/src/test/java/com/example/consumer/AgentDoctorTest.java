package com.example.consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code java -jar airlock-agent.jar doctor} as a user runs it: the agent artifact from the repository, no other
 * argument, no classpath of ours, a JVM of its own.
 */
class AgentDoctorTest {
  private static final Path AGENT = Path.of(System.getProperty("agent.jar"));
  private static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();

  private record Run(int exit, String out) {
    String verdict() {
      String[] lines = out.strip().split("\n");
      return lines[lines.length - 1];
    }
  }

  private static Run run(List<String> command) throws IOException, InterruptedException {
    Path output = Files.createTempFile("airlock-doctor", ".txt");
    try {
      Process process = new ProcessBuilder(command).directory(output.getParent().toFile())
          .redirectErrorStream(true).redirectOutput(output.toFile()).start();
      if (!process.waitFor(3, TimeUnit.MINUTES)) {
        process.destroyForcibly().waitFor();
        throw new AssertionError("the doctor did not finish in 3 minutes: " + Files.readString(output));
      }
      return new Run(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(output);
    }
  }

  @Test
  void theDoctorPrintsThePostureRunsACallAndExitsZero() throws Exception {
    Run run = run(List.of(JAVA, "-jar", AGENT.toString(), "doctor"));

    assertEquals(0, run.exit(), run.out());
    assertTrue(run.out().contains("Backend local (configured)"), run.out());
    assertTrue(run.out().matches("(?s).*network\\s+enforced\\s+measured: own network namespace.*"), run.out());
    assertTrue(run.out().matches("(?s).*airlock\\.backend\\s+local\\s+default.*"), run.out());
    assertTrue(run.out().contains("End-to-end call through backend local"), run.out());
    assertTrue(run.out().contains("ran in a sandbox; inside it: pid "), run.out());
    assertTrue(run.verdict().startsWith("VERDICT: OK (backend=local"), run.verdict());
  }

  /**
   * Strict isolation is not met where a control does not hold: as a user without a writable cgroup the CPU is not
   * limited, so the doctor exits non-zero. Run as nobody when we are root (CI); otherwise as ourselves, where the
   * exit code must agree with the posture printed.
   */
  @Test
  void strictIsolationWithoutAWritableCgroupFailsTheGate() throws Exception {
    boolean root = "root".equals(System.getProperty("user.name"));
    List<String> command = new ArrayList<>();
    Path agent = AGENT;
    if (root) {
      // nobody cannot read our build folder: the jar goes to a temp file anyone may read.
      agent = Files.createTempFile("airlock-agent", ".jar");
      Files.copy(AGENT, agent, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      Files.setPosixFilePermissions(agent, PosixFilePermissions.fromString("rw-r--r--"));
      command.addAll(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"));
    }
    command.addAll(List.of(JAVA, "-Dairlock.local.isolation=strict", "-jar", agent.toString(), "doctor"));
    try {
      Run run = run(command);
      // The local backend itself refuses strict without cgroup limits ("do not hold here"); where it starts, the
      // doctor fails the gate on any control the posture reports NOT ENFORCED.
      boolean unmet = run.out().contains("NOT ENFORCED") || run.out().contains("do not hold here");
      if (root || unmet) {
        assertNotEquals(0, run.exit(), run.out());
        assertTrue(unmet, run.out());
        assertTrue(run.verdict().startsWith("VERDICT: FAIL (backend=local, isolation=strict"), run.verdict());
      } else {
        assertEquals(0, run.exit(), run.out());
      }
    } finally {
      if (root) {
        Files.deleteIfExists(agent);
      }
    }
  }
}
