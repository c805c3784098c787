package dev.airlock.samples.quickstart;

import dev.airlock.AirlockRuntime;
import dev.airlock.annotation.Airlock;
import java.io.IOException;
import java.io.Serializable;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Collectors;
import jdk.jshell.JShell;
import jdk.jshell.SnippetEvent;

/**
 * Tools an AI agent might call, each one line away from running somewhere it can do no harm: the java agent sees
 * {@code @Airlock(sandbox = true)} and ships the call into a sandbox worker.
 */
public class AgentTools implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Evaluates Java code the model wrote, under the configured timeout (the agent option timeout-seconds). */
  @Airlock(sandbox = true, sandboxRequired = true)
  public String runJava(String snippet) {
    // The local engine evaluates inside this JVM — the sandbox worker — rather than in a JVM of JShell's own.
    try (JShell shell = JShell.builder().executionEngine("local").build()) {
      String value = shell.eval(snippet).stream()
          .map(e -> e.exception() != null ? e.exception().toString() : String.valueOf(e.value()))
          .collect(Collectors.joining("; "));
      return where() + " -> " + value;
    }
  }

  /** Reads a file the model names; a host file argument arrives as a read-only copy. */
  @Airlock(sandbox = true, sandboxRequired = true, timeoutSeconds = 30)
  public String readFile(Path file) throws IOException {
    return where() + " -> " + Files.readString(file).strip() + " (writable: " + Files.isWritable(file) + ")";
  }

  /** The loopback port of the documentation server the quickstart starts (see {@link DocsServer}). */
  static final int DOCS_PORT = 18089;

  /** Fetches a URL the model names; no egress is allowed, so nothing is reachable. */
  @Airlock(sandbox = true, sandboxRequired = true, timeoutSeconds = 30)
  public String fetch(String url) throws IOException, InterruptedException {
    return where() + " -> " + get(url);
  }

  /**
   * Fetches a documentation page: this tool may reach the docs host and nothing else. The sandbox still has no
   * network; the host's egress proxy lets this call through to the names its annotation allows.
   */
  @Airlock(sandbox = true, sandboxRequired = true, timeoutSeconds = 30, egress = "127.0.0.1:" + DOCS_PORT)
  public String fetchDocs(String url) throws IOException, InterruptedException {
    return where() + " -> " + get(url);
  }

  /** A GET with the JDK's HttpClient, as any tool would write it; a status other than 200 fails with the body. */
  private static String get(String url) throws IOException, InterruptedException {
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
    HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create(url)).build(),
        HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IOException("HTTP " + response.statusCode() + ": " + response.body().strip());
    }
    return "HTTP 200 " + response.body().strip();
  }

  private static String where() {
    return (AirlockRuntime.isSandboxed() ? "sandbox" : "HOST") + " pid " + ProcessHandle.current().pid();
  }
}
