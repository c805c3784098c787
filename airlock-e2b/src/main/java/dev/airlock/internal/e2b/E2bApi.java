package dev.airlock.internal.e2b;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import dev.airlock.SandboxUnavailableException;
import dev.airlock.internal.backend.GuestText;
import dev.airlock.internal.cloud.HttpCalls;
import dev.airlock.internal.cloud.SandboxGoneException;
import dev.airlock.internal.cloud.SandboxService.Listed;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/** E2B's control plane ({@code https://api.e2b.app}): create, extend, list and kill sandboxes. */
final class E2bApi {
  static final MediaType JSON = MediaType.get("application/json");
  private static final int MAX_ERROR_BYTES = 4096;
  private static final int MAX_QUOTED_CHARS = 2048;
  private static final int PAGE_LIMIT = 100;
  private static final int MAX_PAGES = 100;
  /** A creation's answer is a few hundred bytes. */
  private static final int MAX_CREATED_BYTES = 64 * 1024;
  /**
   * All pages of one listing together (at most {@link #MAX_PAGES} of {@link #PAGE_LIMIT} sandboxes, each with its
   * metadata): what is kept of them stays in memory until the listing is done.
   */
  private static final long MAX_LIST_BYTES = 16 * 1024 * 1024;

  private final E2bSettings settings;
  private final HttpCalls calls;

  E2bApi(E2bSettings settings, HttpCalls calls) {
    this.settings = settings;
    this.calls = calls;
  }

  /** The body of {@code POST /sandboxes}; keys as E2B spells them, {@code allow_internet_access} included. */
  record NewSandbox(@JsonProperty("templateID") String templateId, @JsonProperty("timeout") long timeout,
      @JsonProperty("autoPause") boolean autoPause, @JsonProperty("secure") boolean secure,
      @JsonProperty("allow_internet_access") boolean allowInternetAccess, @JsonProperty("network") Network network,
      @JsonProperty("metadata") Map<String, String> metadata, @JsonProperty("envVars") Map<String, String> envVars) {
  }

  /** {@code allowOut}, {@code denyOut} and {@code rules} are left out when null (no egress configured). */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record Network(@JsonProperty("allowPublicTraffic") boolean allowPublicTraffic,
      @JsonProperty("allowOut") List<String> allowOut, @JsonProperty("denyOut") List<String> denyOut,
      @JsonProperty("rules") Map<String, List<E2bEgress.Rule>> rules) {

    /** Private, with no egress rules. */
    Network(boolean allowPublicTraffic) {
      this(allowPublicTraffic, null, null, null);
    }
  }

  /**
   * The body of {@code PUT /sandboxes/{sandboxID}/network}: it replaces the running sandbox's egress rules, and a
   * field left out is cleared, so every field is always sent ({@code rules} only when there are secrets).
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record NetworkUpdate(@JsonProperty("allowOut") List<String> allowOut, @JsonProperty("denyOut") List<String> denyOut,
      @JsonProperty("rules") Map<String, List<E2bEgress.Rule>> rules) {
  }

  /** What {@code POST /sandboxes} answers that the backend uses. */
  record Created(@JsonProperty("sandboxID") String sandboxId, @JsonProperty("templateID") String templateId,
      @JsonProperty("envdVersion") String envdVersion, @JsonProperty("envdAccessToken") String envdAccessToken,
      @JsonProperty("trafficAccessToken") String trafficAccessToken, @JsonProperty("domain") String domain) {
  }

  /**
   * Creates a private sandbox: envd needs its access token, the bridge's port its traffic token, and the internet is
   * closed unless {@code airlock.e2b.internet=true}. {@code timeout} is always sent: left out, E2B kills the sandbox
   * after 15 s.
   */
  Created create(Map<String, String> metadata, Duration lifetime) {
    return create(metadata, lifetime, null);
  }

  /**
   * With {@code egress}: {@code allow_internet_access} true and the network closed by {@code denyOut: ["0.0.0.0/0"]}
   * except {@code allowOut}, as E2B documents domain filtering.
   */
  Created create(Map<String, String> metadata, Duration lifetime, E2bEgress egress) {
    NewSandbox body = new NewSandbox(settings.template(), Math.max(1, lifetime.toSeconds()), false, true,
        settings.internet() || egress != null, egress == null ? new Network(false) : egress.network(), metadata,
        Map.of());
    Request request;
    try {
      request = api("sandboxes").post(RequestBody.create(Json.MAPPER.writeValueAsBytes(body), JSON)).build();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    try (Response response = calls.execute(request, false)) {
      if (response.code() != 201 && response.code() != 200) {
        throw failure(response, "create a sandbox from template '" + settings.template() + "'");
      }
      Created created = Json.MAPPER.readValue(HttpCalls.boundedBody(response, MAX_CREATED_BYTES,
          "E2B's creation of a sandbox"), Created.class);
      check(created);
      return created;
    } catch (IOException e) {
      throw new SandboxUnavailableException("could not reach E2B at " + settings.apiUrl() + " to create a sandbox: "
          + e.getMessage(), e);
    }
  }

  /**
   * Validates what will be put into URLs and headers: everything from the service is checked before use. A sandbox
   * whose id is usable but whose answer is not was created all the same, and is killed before the refusal.
   */
  private void check(Created created) throws IOException {
    if (created.sandboxId() == null || !created.sandboxId().matches("[a-z0-9]{1,64}")) {
      throw new E2bProtocolException("E2B created a sandbox with an invalid sandboxID: "
          + GuestText.escape(String.valueOf(created.sandboxId()), 128));
    }
    String refused = null;
    if (created.envdAccessToken() != null && !created.envdAccessToken().matches("[\\x21-\\x7e]{1,512}")) {
      refused = "E2B sent an envdAccessToken that is not a header value";
    } else if (created.trafficAccessToken() != null
        && !created.trafficAccessToken().matches("[\\x21-\\x7e]{1,512}")) {
      refused = "E2B sent a trafficAccessToken that is not a header value";
    }
    if (refused != null) {
      try {
        kill(created.sandboxId());
      } catch (IOException | RuntimeException e) {
        refused += "; killing sandbox " + created.sandboxId() + " failed too (" + e.getMessage()
            + "), its lifetime ends it";
      }
      throw new E2bProtocolException(refused);
    }
  }

  /** Kills a sandbox; false when E2B says it does not exist (already gone). */
  boolean kill(String sandboxId) throws IOException {
    try (Response response = calls.execute(api("sandboxes", sandboxId).delete().build(), true)) {
      if (response.code() == 204 || response.code() == 200) {
        return true;
      }
      if (response.code() == 404) {
        return false;
      }
      throw failure(response, "kill sandbox " + sandboxId);
    }
  }

  /**
   * Replaces the sandbox's egress rules; returns once E2B answered 204, which it sends after the sandbox's node
   * applied them. Any other answer throws, naming it.
   */
  void updateNetwork(String sandboxId, NetworkUpdate update) throws IOException {
    Request request = api("sandboxes", sandboxId, "network")
        .put(RequestBody.create(Json.MAPPER.writeValueAsBytes(update), JSON)).build();
    try (Response response = calls.execute(request, true)) {
      if (response.code() == 404) {
        throw new SandboxGoneException("E2B no longer knows sandbox " + sandboxId + " (404)");
      }
      if (response.code() != 204 && response.code() != 200) {
        throw new IOException("E2B answered " + response.code() + " " + errorMessage(response)
            + " to the update of sandbox " + sandboxId + "'s network");
      }
    }
  }

  /** Sets the sandbox to die {@code lifetime} from now (this can also shorten it). */
  void setTimeout(String sandboxId, Duration lifetime) throws IOException {
    byte[] body = Json.MAPPER.writeValueAsBytes(Map.of("timeout", Math.max(1, lifetime.toSeconds())));
    Request request = api("sandboxes", sandboxId, "timeout").post(RequestBody.create(body, JSON)).build();
    try (Response response = calls.execute(request, true)) {
      if (response.code() == 404) {
        throw new SandboxGoneException("E2B no longer knows sandbox " + sandboxId + " (404)");
      }
      if (response.code() != 204 && response.code() != 200) {
        throw failure(response, "extend sandbox " + sandboxId);
      }
    }
  }

  /** Every sandbox whose metadata holds all of {@code filter}, following {@code X-Next-Token} page by page. */
  List<Listed> list(Map<String, String> filter) throws IOException {
    String metadata = filter.entrySet().stream()
        .map(e -> encode(e.getKey()) + "=" + encode(e.getValue()))
        .collect(Collectors.joining("&"));
    List<Listed> all = new ArrayList<>();
    long listed = 0;
    String next = null;
    for (int page = 0; page < MAX_PAGES; page++) {
      HttpUrl.Builder url = settings.apiUrl().newBuilder().addPathSegment("v2").addPathSegment("sandboxes")
          .addQueryParameter("metadata", metadata)
          .addQueryParameter("state", "running,paused")
          .addQueryParameter("limit", Integer.toString(PAGE_LIMIT));
      if (next != null) {
        url.addQueryParameter("nextToken", next);
      }
      try (Response response = calls.execute(authorized(new Request.Builder().url(url.build())).get().build(),
          true)) {
        if (response.code() != 200) {
          throw failure(response, "list sandboxes");
        }
        byte[] body = HttpCalls.boundedBody(response, MAX_LIST_BYTES - listed,
            "E2B's list of sandboxes (all pages)");
        listed += body.length;
        JsonNode sandboxes = Json.MAPPER.readTree(body);
        if (sandboxes == null || !sandboxes.isArray()) {
          throw new E2bProtocolException("E2B listed sandboxes as something other than a JSON array");
        }
        for (JsonNode sandbox : sandboxes) {
          Map<String, String> labels = new LinkedHashMap<>();
          JsonNode meta = sandbox.get("metadata");
          if (meta != null && meta.isObject()) {
            meta.fields().forEachRemaining(f -> labels.put(f.getKey(), f.getValue().asText()));
          }
          String id = Json.text(sandbox, "sandboxID", "");
          if (id.matches("[a-z0-9]{1,64}")) {
            all.add(new Listed(id, labels));
          }
        }
        next = response.header("X-Next-Token");
        if (next == null || next.isEmpty()) {
          return all;
        }
      }
    }
    return all;
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private Request.Builder api(String... segments) {
    HttpUrl.Builder url = settings.apiUrl().newBuilder();
    for (String segment : segments) {
      url.addPathSegment(segment);
    }
    return authorized(new Request.Builder().url(url.build()));
  }

  private Request.Builder authorized(Request.Builder request) {
    return request.header("X-API-Key", settings.apiKey()).header("User-Agent", "airlock-java");
  }

  /** Turns an error answer into an exception that names the cause and the fix. */
  static SandboxUnavailableException failure(Response response, String action) {
    String message = errorMessage(response);
    int code = response.code();
    String fix;
    if (code == 401 || code == 403) {
      fix = "E2B refused the API key: check E2B_API_KEY (or airlock.e2b.api-key)";
    } else if (code == 429) {
      fix = message.contains("concurrent")
          ? "the E2B team is at its limit of concurrent sandboxes: close other pools or raise the limit"
          : "E2B's rate limit was still exceeded after retrying: slow down sandbox creation (pool min-size)";
    } else if (code == 404 && action.startsWith("create")) {
      fix = "build the Airlock template (docs/cloud.md) or set airlock.e2b.template to its name";
    } else if (code >= 500) {
      fix = "E2B failed on its side; try again later";
    } else {
      fix = "see E2B's message";
    }
    return new SandboxUnavailableException("E2B could not " + action + " (" + code + " " + message + "): " + fix);
  }

  /**
   * {@code {"code":..,"message":..}} when E2B sent it, else the raw body; bounded either way, and escaped: it joins
   * exceptions an application logs, and a compromised control plane must not write lines of the host's log.
   */
  static String errorMessage(Response response) {
    return GuestText.escape(rawErrorMessage(response), MAX_QUOTED_CHARS);
  }

  private static String rawErrorMessage(Response response) {
    String raw;
    try {
      raw = response.peekBody(MAX_ERROR_BYTES).string();
    } catch (IOException e) {
      return "(no body)";
    }
    try {
      JsonNode node = Json.MAPPER.readTree(raw);
      if (node != null && node.hasNonNull("message")) {
        return node.get("message").asText();
      }
    } catch (IOException e) {
      // Not JSON: the raw text is the message.
    }
    return raw.isBlank() ? "(no body)" : raw;
  }
}
