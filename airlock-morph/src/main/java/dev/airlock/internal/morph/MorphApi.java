package dev.airlock.internal.morph;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.airlock.SandboxUnavailableException;
import dev.airlock.internal.backend.GuestText;
import dev.airlock.internal.cloud.HttpCalls;
import dev.airlock.internal.cloud.SandboxGoneException;
import dev.airlock.internal.cloud.SandboxService.Listed;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/** Morph Cloud's instance API ({@code https://cloud.morph.so/api}) with {@code Authorization: Bearer}. */
final class MorphApi {
  static final ObjectMapper JSON = new ObjectMapper()
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
  private static final MediaType JSON_TYPE = MediaType.get("application/json");
  static final String SERVICE_NAME = "airlock-bridge";
  /**
   * The most of an answer read into memory: an instance is a few KiB, and the list (one answer, no pages) holds one
   * entry per instance of the account.
   */
  private static final int MAX_ANSWER_BYTES = 8 * 1024 * 1024;
  static final int MAX_QUOTED_CHARS = 2048;

  private final MorphSettings settings;
  private final HttpCalls calls;

  MorphApi(MorphSettings settings, HttpCalls calls) {
    this.settings = settings;
    this.calls = calls;
  }

  /**
   * Starts an instance from the Airlock snapshot with a TTL that stops it, and waits, polling, until it is ready.
   * An instance that fails to become ready is stopped.
   */
  String start(Map<String, String> labels, Duration lifetime, long deadline) {
    ObjectNode body = JSON.createObjectNode();
    labels.forEach(body.putObject("metadata")::put);
    body.put("ttl_seconds", Math.max(1, lifetime.toSeconds()));
    body.put("ttl_action", "stop");
    HttpUrl url = api("instance").newBuilder().addQueryParameter("snapshot_id", settings.snapshot()).build();
    String id;
    try (Response response = calls.execute(authorized(url).post(RequestBody.create(body.toString(), JSON_TYPE))
        .build(), false)) {
      JsonNode instance = expect(response, "start an instance from snapshot " + settings.snapshot());
      id = instanceId(instance);
    } catch (IOException e) {
      throw new SandboxUnavailableException("could not reach Morph at " + settings.apiUrl() + ": " + e.getMessage(),
          e);
    }
    try {
      awaitReady(id, deadline);
      return id;
    } catch (IOException | RuntimeException e) {
      stopQuietly(id);
      if (e instanceof SandboxUnavailableException u) {
        throw u;
      }
      throw new SandboxUnavailableException("Morph instance " + id + " did not become ready: " + e.getMessage(), e);
    }
  }

  private void awaitReady(String id, long deadline) throws IOException {
    while (true) {
      String status = instance(id).path("status").asText("");
      if (status.equals("ready")) {
        return;
      }
      if (status.equals("error")) {
        throw new SandboxUnavailableException("Morph instance " + id + " from snapshot " + settings.snapshot()
            + " went into status error: check the snapshot");
      }
      if (System.nanoTime() > deadline) {
        throw new SandboxUnavailableException("Morph instance " + id + " was still '"
            + GuestText.escape(status, MAX_QUOTED_CHARS) + "' at the start timeout");
      }
      try {
        Thread.sleep(settings.readyPoll().toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException("interrupted while waiting for instance " + id);
      }
    }
  }

  JsonNode instance(String id) throws IOException {
    try (Response response = calls.execute(authorized(api("instance", id)).get().build(), true)) {
      if (response.code() == 404) {
        throw new SandboxGoneException("Morph no longer knows instance " + id + " (404)");
      }
      return expect(response, "read instance " + id);
    }
  }

  /** Exposes the bridge's port as an HTTP service and returns the service's URL. */
  HttpUrl expose(String id, int port) throws IOException {
    ObjectNode body = JSON.createObjectNode().put("name", SERVICE_NAME).put("port", port);
    try (Response response = calls.execute(authorized(api("instance", id, "http"))
        .post(RequestBody.create(body.toString(), JSON_TYPE)).build(), true)) {
      expect(response, "expose port " + port + " of instance " + id);
    }
    for (JsonNode service : instance(id).path("networking").path("http_services")) {
      if (SERVICE_NAME.equals(service.path("name").asText())) {
        HttpUrl url = HttpUrl.parse(service.path("url").asText(""));
        if (url == null) {
          throw new IOException("Morph gave the service of instance " + id + " an invalid URL");
        }
        return url;
      }
    }
    throw new IOException("Morph did not list the exposed service " + SERVICE_NAME + " of instance " + id);
  }

  /** Runs a command to completion in the instance, {exit_code, stdout, stderr}, answered by {@code deadline}. */
  JsonNode exec(String id, List<String> command, long deadline) throws IOException {
    ObjectNode body = JSON.createObjectNode();
    command.forEach(body.putArray("command")::add);
    try (Response response = calls.execute(authorized(api("instance", id, "exec"))
        .post(RequestBody.create(body.toString(), JSON_TYPE)).build(), false, deadline)) {
      if (response.code() == 404) {
        throw new SandboxGoneException("Morph no longer knows instance " + id + " (404)");
      }
      return expect(response, "run a command in instance " + id);
    }
  }

  void ttl(String id, Duration lifetime) throws IOException {
    ObjectNode body = JSON.createObjectNode().put("ttl_seconds", Math.max(1, lifetime.toSeconds()))
        .put("ttl_action", "stop");
    try (Response response = calls.execute(authorized(api("instance", id, "ttl"))
        .post(RequestBody.create(body.toString(), JSON_TYPE)).build(), true)) {
      if (response.code() == 404) {
        throw new SandboxGoneException("Morph no longer knows instance " + id + " (404)");
      }
      expect(response, "extend instance " + id);
    }
  }

  /** Stops (deletes) an instance; false when it was already gone. */
  boolean stop(String id) throws IOException {
    try (Response response = calls.execute(authorized(api("instance", id)).delete().build(), true)) {
      if (response.code() == 404) {
        return false;
      }
      expect(response, "stop instance " + id);
      return true;
    }
  }

  private void stopQuietly(String id) {
    try {
      stop(id);
    } catch (IOException | RuntimeException e) {
      // Its TTL stops it.
    }
  }

  /** Instances whose metadata holds every entry of {@code filter} ({@code metadata[k]=v}). */
  List<Listed> list(Map<String, String> filter) throws IOException {
    HttpUrl.Builder url = api("instance").newBuilder();
    filter.forEach((k, v) -> url.addQueryParameter("metadata[" + k + "]", v));
    try (Response response = calls.execute(authorized(url.build()).get().build(), true)) {
      JsonNode data = expect(response, "list instances").path("data");
      List<Listed> listed = new ArrayList<>();
      for (JsonNode instance : data) {
        Map<String, String> labels = new LinkedHashMap<>();
        instance.path("metadata").fields().forEachRemaining(f -> labels.put(f.getKey(), f.getValue().asText()));
        try {
          listed.add(new Listed(instanceId(instance), labels));
        } catch (IOException e) {
          // An id that cannot be used is skipped, not trusted.
        }
      }
      return listed;
    }
  }

  private static String instanceId(JsonNode instance) throws IOException {
    String id = instance.path("id").asText("");
    if (!id.matches("[A-Za-z0-9_-]{1,80}")) {
      throw new IOException("Morph answered an instance with an invalid id: " + GuestText.escape(id, 128));
    }
    return id;
  }

  private HttpUrl api(String... segments) {
    HttpUrl.Builder url = settings.apiUrl().newBuilder();
    for (String segment : segments) {
      url.addPathSegment(segment);
    }
    return url.build();
  }

  private Request.Builder authorized(HttpUrl url) {
    return new Request.Builder().url(url).header("Authorization", "Bearer " + settings.apiKey())
        .header("User-Agent", "airlock-java");
  }

  private static JsonNode expect(Response response, String action) throws IOException {
    if (response.isSuccessful()) {
      byte[] body = HttpCalls.boundedBody(response, MAX_ANSWER_BYTES, "Morph's answer to " + action);
      return body.length == 0 ? JSON.createObjectNode() : JSON.readTree(body);
    }
    String raw = response.peekBody(4096).string();
    String detail = raw;
    try {
      JsonNode node = JSON.readTree(raw);
      if (node != null && node.hasNonNull("detail")) {
        detail = node.get("detail").asText() + (node.hasNonNull("error_code")
            ? " [" + node.get("error_code").asText() + "]" : "");
      }
    } catch (IOException e) {
      // Not JSON: the raw text says it.
    }
    // Morph's text joins exceptions an application logs: a compromised control plane must not write its lines.
    detail = GuestText.escape(detail, MAX_QUOTED_CHARS);
    String fix = response.code() == 401 || response.code() == 403
        ? "Morph refused the API key: check MORPH_API_KEY (or airlock.morph.api-key)"
        : response.code() == 429 ? "Morph's rate limit was still exceeded after retrying"
        : response.code() == 404 ? "check airlock.morph.snapshot names an existing snapshot"
        : "see Morph's message";
    throw new SandboxUnavailableException("Morph could not " + action + " (" + response.code() + " " + detail + "): "
        + fix);
  }
}
