package dev.airlock.samples.springboot;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/** The app on a real port, called over real HTTP the way an agent runtime would call its tools. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@Timeout(180)
class SpringBootSampleTest {
  /** Set on this JVM by the build (surefire environmentVariables); a sandboxed snippet must not see it. */
  private static final String HOST_SECRET = "AIRLOCK_SAMPLE_SECRET";

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @LocalServerPort
  private int port;

  @Test
  void snippetRunsInTheSandbox() throws Exception {
    HttpResponse<String> response = runJava("6 * 7");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).contains("\"output\":\"42\"").contains("\"sandboxed\":true");
  }

  @Test
  void snippetCannotReadTheHostEnvironment() throws Exception {
    assertThat(System.getenv(HOST_SECRET)).as("the build sets the host secret").isNotBlank();

    HttpResponse<String> response = runJava("System.getenv(\"" + HOST_SECRET + "\")");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).contains("\"output\":\"null\"").doesNotContain(System.getenv(HOST_SECRET));
  }

  @Test
  void snippetCannotWriteAHostFile(@TempDir Path hostDir) throws Exception {
    Path escape = hostDir.resolve("escaped.txt");

    HttpResponse<String> response = runJava(
        "java.nio.file.Files.writeString(java.nio.file.Path.of(\"" + escape + "\"), \"escaped\")");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).contains("\"sandboxed\":true").contains("Exception");
    assertThat(escape).doesNotExist();
  }

  @Test
  void actuatorShowsHealthAndExecutionMetrics() throws Exception {
    assertThat(runJava("1 + 1").statusCode()).isEqualTo(200);

    HttpResponse<String> health = get("/actuator/health");
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(health.body()).contains("\"status\":\"UP\"").contains("\"airlock\"").contains("\"backend\":\"local\"");

    HttpResponse<String> metrics = get("/actuator/metrics/airlock.executions?tag=outcome:success");
    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.body()).contains("\"name\":\"airlock.executions\"").containsPattern(
        "\"statistic\":\"COUNT\",\"value\":[1-9]");
  }

  private HttpResponse<String> runJava(String snippet) throws Exception {
    return http.send(HttpRequest.newBuilder(uri("/tools/run-java")).header("Content-Type", "text/plain")
        .POST(HttpRequest.BodyPublishers.ofString(snippet)).timeout(Duration.ofSeconds(90)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private URI uri(String path) {
    return URI.create("http://localhost:" + port + path);
  }
}
