package dev.airlock.internal.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.airlock.AirlockConfig;
import dev.airlock.IsolationPosture;
import dev.airlock.IsolationPosture.Control;
import dev.airlock.internal.doctor.DoctorReport.BackendCheck;
import dev.airlock.internal.doctor.DoctorReport.EndToEnd;
import dev.airlock.internal.doctor.DoctorReport.Verdict;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The doctor against the real local backend of this machine (bubblewrap, a real worker JVM). */
class DoctorTest {
  /** No class-data archive training beside the test: one worker JVM is all the doctor needs. */
  private static final Map<String, String> PROPERTIES = Map.of(AirlockConfig.LOCAL_CLASS_CACHE, "off");

  private record Run(int exit, String out, String err) {
  }

  private static Run doctor(Map<String, String> properties, Map<String, String> environment, String... args) {
    return doctor(properties, environment, Map.of(), args);
  }

  private static Run doctor(Map<String, String> properties, Map<String, String> environment,
      Map<String, String> agentOptions, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = new Doctor(properties::get, environment::get).execute(args, agentOptions,
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private static String verdictLine(Run run) {
    String[] lines = run.out().strip().split("\n");
    return lines[lines.length - 1];
  }

  @Test
  void printsPostureSourcesAndARealSandboxedCallThenExitsZero() {
    Run run = doctor(PROPERTIES, Map.of("AIRLOCK_TIMEOUT_SECONDS", "90"));

    assertThat(run.exit()).as(run.out() + run.err()).isZero();
    assertThat(run.out())
        .contains("Backend local (configured)")
        .containsPattern("network\\s+enforced\\s+measured: own network namespace")
        .containsPattern("airlock.timeout-seconds\\s+90\\s+environment AIRLOCK_TIMEOUT_SECONDS")
        .containsPattern("airlock.local.class-cache\\s+off\\s+system property -Dairlock.local.class-cache")
        .containsPattern("airlock.pool.max-size\\s+10\\s+default")
        .containsPattern("ran in a sandbox; inside it: pid \\d+, user .*, java ")
        .containsPattern("took \\d+ ms");
    assertThat(verdictLine(run)).startsWith("VERDICT: OK (backend=local, isolation=auto");
  }

  @Test
  void jsonCarriesTheSameReportForScripts() throws Exception {
    Run run = doctor(PROPERTIES, Map.of(),
        Map.of(AirlockConfig.TIMEOUT_SECONDS, "45", "airlock.e2b.api-key", "e2b_secret"), "--json");

    assertThat(run.exit()).as(run.out() + run.err()).isZero();
    JsonNode report = new ObjectMapper().readTree(run.out());
    assertThat(report.at("/verdict/ok").asBoolean()).isTrue();
    assertThat(report.at("/endToEnd/ran").asBoolean()).isTrue();
    assertThat(report.at("/endToEnd/inside").asText()).startsWith("pid ");
    assertThat(report.at("/backends/0/name").asText()).isEqualTo("local");
    assertThat(report.at("/backends/0/posture/controls/0/name").asText()).isEqualTo("network");
    JsonNode timeout = setting(report, AirlockConfig.TIMEOUT_SECONDS);
    assertThat(timeout.get("value").asText()).isEqualTo("45");
    assertThat(timeout.get("source").asText()).isEqualTo("AGENT_OPTION");
    // A secret is reported as set, never by value: the doctor's output ends up in CI logs.
    assertThat(setting(report, "airlock.e2b.api-key").get("value").asText()).contains("set").doesNotContain("e2b_");
    assertThat(run.out()).doesNotContain("e2b_secret");
  }

  private static JsonNode setting(JsonNode report, String key) {
    for (JsonNode setting : report.get("settings")) {
      if (setting.get("key").asText().equals(key)) {
        return setting;
      }
    }
    throw new AssertionError("no setting " + key + " in " + report.get("settings"));
  }

  @Test
  void aRequiredSandboxOnABackendThatIsNotOnTheClasspathFailsAndNamesTheModule() {
    Run run = doctor(PROPERTIES, Map.of("AIRLOCK_SANDBOX_REQUIRED", "true"), "--backend", "docker");

    assertThat(run.exit()).isEqualTo(Doctor.NOT_MET);
    assertThat(run.out())
        .contains("Backend docker (configured)")
        .contains("unavailable: no backend named 'docker'")
        .contains("fix: add the dev.airlock:airlock-docker module")
        .containsPattern("airlock.backend\\s+docker\\s+command line --backend")
        .doesNotContain("Backend local");
    assertThat(verdictLine(run)).startsWith("VERDICT: FAIL (backend=docker, sandbox-required=true)");
  }

  @Test
  void aMisspeltBackendFailsAndSaysToFixTheName() {
    Run run = doctor(PROPERTIES, Map.of(), "--backend", "dokcer");

    assertThat(run.exit()).isEqualTo(Doctor.NOT_MET);
    assertThat(run.out()).contains("fix: fix airlock.backend").doesNotContain("would run on the HOST");
    assertThat(verdictLine(run)).startsWith("VERDICT: FAIL (backend=dokcer");
  }

  @Test
  void anUnrequiredSandboxThatCannotBeHadPassesButSaysCallsRunOnTheHost() {
    Run run = doctor(PROPERTIES, Map.of(), "--backend", "docker");

    assertThat(run.exit()).isZero();
    assertThat(run.out()).contains("warning: no sandbox call succeeded, so @Airlock calls would run on the HOST")
        .contains("VERDICT: OK, BUT NO SANDBOX");
  }

  @Test
  void springPropertiesCountBelowSystemPropertiesAndTheEnvironment(@TempDir Path folder) throws Exception {
    Path file = Files.writeString(folder.resolve("application.properties"),
        "airlock.timeout-seconds=20\nairlock.pool.max-size=3\nserver.port=8080\n");

    // A backend that is not on the classpath: only the configuration matters here, no worker is started.
    Run run = doctor(PROPERTIES, Map.of("AIRLOCK_TIMEOUT_SECONDS", "90"), "--spring", file.toString(),
        "--backend", "none-here");

    assertThat(run.out())
        .containsPattern("airlock.timeout-seconds\\s+90\\s+environment AIRLOCK_TIMEOUT_SECONDS")
        .containsPattern("airlock.pool.max-size\\s+3\\s+spring " + Pattern.quote(file.toString()))
        .doesNotContain("server.port");
    Run yaml = doctor(PROPERTIES, Map.of(), "--spring", folder.resolve("application.yml").toString());
    assertThat(yaml.exit()).isEqualTo(Doctor.USAGE);
    assertThat(yaml.err()).contains("--spring takes an application.properties file");
  }

  @Test
  void badArgumentsAndBadValuesAreUsageErrors() {
    Run unknown = doctor(PROPERTIES, Map.of(), "--frobnicate");
    assertThat(unknown.exit()).isEqualTo(Doctor.USAGE);
    assertThat(unknown.err()).contains("unknown argument '--frobnicate'").contains("usage: java -jar");

    Run badValue = doctor(PROPERTIES, Map.of("AIRLOCK_POOL_MAX_SIZE", "many"));
    assertThat(badValue.exit()).isEqualTo(Doctor.USAGE);
    assertThat(badValue.err()).contains("airlock.pool.max-size='many'");
  }

  @Test
  void strictIsolationFailsOnEveryControlThatDoesNotHoldAutoOnlyWarns() {
    IsolationPosture posture = new IsolationPosture("local", List.of(
        new Control("network", true, "empty network namespace (bubblewrap)"),
        new Control("cpu", false, "not limited (cgroup v2 is not writable)")));
    BackendCheck local = new BackendCheck("local", true, posture, null, Fixes.forPosture(posture));
    EndToEnd ran = new EndToEnd("local", true, "pid 2", 900, null);
    AirlockConfig strict = AirlockConfig.builder().localIsolation(AirlockConfig.LocalIsolation.STRICT).build();

    Verdict strictVerdict = Doctor.judge(strict, local, ran);
    assertThat(strictVerdict.ok()).isFalse();
    assertThat(strictVerdict.line()).startsWith("FAIL (backend=local, isolation=strict")
        .contains("cpu is not enforced");
    assertThat(local.fixes()).containsExactly(Fixes.CGROUP);

    Verdict autoVerdict = Doctor.judge(AirlockConfig.defaults(), local, ran);
    assertThat(autoVerdict.ok()).isTrue();
    assertThat(autoVerdict.warnings()).singleElement().asString().contains("cpu is not enforced");
  }

  @Test
  void missingBubblewrapIsFixedByInstallingIt() {
    IsolationPosture posture = new IsolationPosture("local", List.of(
        new Control("network", false, "host network: bubblewrap (bwrap) is not installed"),
        new Control("filesystem", false, "whole host filesystem visible"),
        new Control("memory", true, "-Xmx only (cgroup v2 is not writable)")));
    assertThat(Fixes.forPosture(posture)).containsExactly(Fixes.BUBBLEWRAP, Fixes.CGROUP);
  }
}
