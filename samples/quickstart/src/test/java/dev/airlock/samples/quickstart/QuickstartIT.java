package dev.airlock.samples.quickstart;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.internal.worker.WorkerClasspath;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Runs the quickstart the way the README does: its own JVM, started with the real agent jar. */
@Timeout(180)
class QuickstartIT {

  @Test
  void toolsRunSandboxedAndMaliciousCallsAreContained() throws Exception {
    String classpath = String.join(File.pathSeparator, WorkerClasspath.ofThisJvm().stream().map(Path::toString)
        .filter(p -> !p.contains("airlock-agent")).toList());
    Process app = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-javaagent:" + System.getProperty("airlock.agent.jar") + "=" + System.getProperty("airlock.agent.options"),
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", classpath, Quickstart.class.getName())
        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
    String out = new String(app.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(app.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(app.exitValue()).as(out).isZero();
    assertThat(out)
        .contains("sandboxed=false")
        .containsPattern("network +enforced")
        .containsPattern("runJava\\(\"6 \\* 7\"\\): sandbox pid \\d+ -> 42")
        .containsPattern("readFile\\(.*\\): sandbox pid \\d+ -> a note on the host \\(writable: false\\)")
        .containsPattern("read the host environment\\): sandbox pid \\d+ -> null")
        .contains("host file written: no - contained")
        .containsPattern("fetchDocs\\(\"http://127.0.0.1:\\d+/guide\"\\): sandbox pid \\d+ -> HTTP 200 Airlock guide")
        .containsPattern("fetchDocs\\(\"http://example.com\"\\): refused with IOException: HTTP 403.*example.com")
        .containsPattern("fetch\\(\"http://example.com\"\\): refused with \\w*(Connect|IO)\\w*Exception")
        .contains("runJava(endless loop): refused with SandboxTimeoutException")
        .doesNotContain("HOST pid");
  }
}
