package dev.airlock.internal.e2b;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.airlock.SandboxUnavailableException;
import dev.airlock.internal.backend.GuestText;
import dev.airlock.internal.cloud.CloudSandbox;
import dev.airlock.internal.cloud.HttpCalls;
import dev.airlock.internal.cloud.ProxyAnswers;
import dev.airlock.internal.cloud.SandboxFile;
import dev.airlock.internal.cloud.SandboxGoneException;
import java.io.IOException;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import okhttp3.Call;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.MultipartBody;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One E2B sandbox: its envd (files, processes) on port 49983 and the bridge's port, both through E2B's proxy. The
 * proxy picks the sandbox and port from the {@code E2b-Sandbox-Id} and {@code E2b-Sandbox-Port} headers on the
 * shared {@code sandbox.<domain>} host (or any override URL), or from a {@code <port>-<id>.<domain>} host name.
 */
final class E2bSandbox implements CloudSandbox {
  private static final Logger LOG = LoggerFactory.getLogger(E2bSandbox.class);
  static final int ENVD_PORT = 49983;
  static final String BRIDGE_TAG = "airlock-bridge";
  static final MediaType CONNECT_JSON = MediaType.get("application/connect+json");
  static final MediaType OCTETS = MediaType.get("application/octet-stream");
  /** What the SDKs send: envd emits a keepalive after this many idle seconds. */
  static final String KEEPALIVE_SECONDS = "50";
  private static final int KEPT_OUTPUT_CHARS = 4000;
  /**
   * How long a unary envd call may take, body included. Such calls come after the guest ran (stopping the bridge
   * when the control plane refused a kill), when a guest that is root in the VM may answer on envd's port: without
   * it, an answer trickled byte by byte held the killing thread for good.
   */
  static final Duration UNARY_TIMEOUT = Duration.ofSeconds(10);
  /** The most of an envd answer read into memory: its real answers here are a few hundred bytes. */
  static final int MAX_UNARY_BYTES = 64 * 1024;
  /** An upload's answer entry: a path (at most 4096 bytes on Linux), its name and type. */
  private static final int MAX_WRITTEN_ENTRY_BYTES = 8 * 1024;

  private final E2bSettings settings;
  private final E2bApi api;
  private final HttpCalls calls;
  private final E2bApi.Created created;
  private final OkHttpClient streamClient;
  private volatile BridgeProcess bridgeProcess;

  E2bSandbox(E2bSettings settings, E2bApi api, HttpCalls calls, E2bApi.Created created) {
    this.settings = settings;
    this.api = api;
    this.calls = calls;
    this.created = created;
    this.streamClient = calls.client().newBuilder().readTimeout(Duration.ZERO).build();
  }

  @Override
  public String id() {
    return created.sandboxId();
  }

  private HttpUrl base(int port) {
    if (settings.sandboxUrl() != null) {
      return settings.sandboxUrl();
    }
    String domain = created.domain() != null && !created.domain().isBlank() ? created.domain() : settings.domain();
    String host = E2bSettings.SHARED_HOST_DOMAINS.contains(domain) ? "sandbox." + domain
        : port + "-" + id() + "." + domain;
    return new HttpUrl.Builder().scheme(settings.scheme()).host(host).build();
  }

  private Request.Builder port(int port, String path) {
    return new Request.Builder().url(CloudSandbox.resolve(base(port), path))
        .header("E2b-Sandbox-Id", id())
        .header("E2b-Sandbox-Port", Integer.toString(port))
        .header("User-Agent", "airlock-java");
  }

  private Request.Builder envd(String path) {
    Request.Builder request = port(ENVD_PORT, path);
    if (created.envdAccessToken() != null) {
      request.header("X-Access-Token", created.envdAccessToken());
    }
    return request;
  }

  @Override
  public Request.Builder bridgeRequest(String path) {
    Request.Builder request = port(settings.bridgePort(), path);
    if (created.trafficAccessToken() != null) {
      request.header("e2b-traffic-access-token", created.trafficAccessToken());
    }
    return request;
  }

  /** {@code POST /files} as multipart: one part named {@code file} per file, its filename the full path. */
  @Override
  public void upload(List<SandboxFile> files, long deadline) throws IOException {
    MultipartBody.Builder body = new MultipartBody.Builder().setType(MultipartBody.FORM);
    for (SandboxFile file : files) {
      RequestBody content = file.source() != null ? RequestBody.create(file.source().toFile(), OCTETS)
          : RequestBody.create(file.content(), OCTETS);
      body.addFormDataPart("file", file.path(), content);
    }
    try (Response response = calls.execute(envd("/files").post(body.build()).build(), true, deadline)) {
      if (response.code() != 200) {
        throw envdFailure(response, "upload " + files.size() + " files");
      }
      // envd sets no JSON content type on this answer; it is JSON all the same.
      // One entry per file written, each its path and name: bounded by what was sent.
      long max = MAX_UNARY_BYTES + (long) files.size() * MAX_WRITTEN_ENTRY_BYTES;
      JsonNode written = Json.MAPPER.readTree(HttpCalls.boundedBody(response, max,
          "envd in E2B sandbox " + id() + " (/files)"));
      if (written == null || !written.isArray() || written.size() == 0) {
        throw new E2bProtocolException("envd answered an upload without the files it wrote");
      }
    }
  }

  /**
   * {@code process.Process/Start} as a server stream, without {@code Connect-Timeout-Ms}: envd would kill the
   * process at that deadline. Returns after the start event; the output is followed on a daemon thread until the
   * bridge answers.
   */
  @Override
  public void startBridge(List<String> command, long deadline) throws IOException {
    ObjectNode start = Json.MAPPER.createObjectNode();
    ObjectNode process = start.putObject("process");
    process.put("cmd", command.get(0));
    command.subList(1, command.size()).forEach(process.putArray("args")::add);
    process.putObject("envs");
    start.put("tag", BRIDGE_TAG);
    start.put("stdin", false);
    Request request = envd("/process.Process/Start")
        .header("Connect-Protocol-Version", "1")
        .header("Keepalive-Ping-Interval", KEEPALIVE_SECONDS)
        .post(RequestBody.create(ConnectEnvelopes.envelope(Json.MAPPER.writeValueAsBytes(start)), CONNECT_JSON))
        .build();
    // The stream has no read timeout, so only a call timeout ends an envd that sends its headers and nothing more;
    // the launch gives up at its deadline anyway, and the follower is detached once the bridge answers.
    Call call = HttpCalls.newCall(streamClient, request, deadline);
    Response response = call.execute();
    try {
      if (response.code() != 200) {
        throw envdFailure(response, "start the worker bridge");
      }
      ConnectEnvelopes.Reader reader = new ConnectEnvelopes.Reader(response.body().source());
      JsonNode first = reader.next();
      JsonNode pid = first == null ? null : first.at("/event/start/pid");
      if (pid == null || !pid.canConvertToInt()) {
        // envd's text (up to a 4 MiB message), bound for the launch's error.
        throw new E2bProtocolException("envd's process stream did not open with a start event: "
            + GuestText.escape(String.valueOf(first), 2048));
      }
      BridgeProcess started = new BridgeProcess(pid.asInt(), call, response, reader);
      bridgeProcess = started;
      Thread follower = new Thread(started::follow, "airlock-e2b-bridge-output");
      follower.setDaemon(true);
      follower.start();
      LOG.debug("started the worker bridge in sandbox {} as pid {}", id(), pid.asInt());
    } catch (IOException | RuntimeException e) {
      response.close();
      throw e;
    }
  }

  @Override
  public Optional<String> bridgeExit() {
    BridgeProcess process = bridgeProcess;
    return process == null ? Optional.empty() : Optional.ofNullable(process.exit);
  }

  /** The bridge answers: stop following its output. Closing the stream leaves the process running. */
  @Override
  public void bridgeReady() {
    BridgeProcess process = bridgeProcess;
    if (process != null) {
      process.detach();
    }
  }

  @Override
  public void extendLifetime(Duration lifetime) throws IOException {
    api.setTimeout(id(), lifetime);
  }

  /**
   * Through the control plane first: nothing inside the sandbox (envd, the bridge) is asked before it, since guest
   * code may have stopped them. Only when the control plane failed is the bridge stopped through envd, so a sandbox
   * that lives on until its timeout at least runs no worker.
   */
  @Override
  public void kill() {
    try {
      if (!api.kill(id())) {
        LOG.debug("sandbox {} was already gone", id());
      }
      return;
    } catch (IOException | RuntimeException e) {
      LOG.warn("could not kill E2B sandbox {}: {}; it ends at its timeout", id(), e.getMessage());
    }
    BridgeProcess process = bridgeProcess;
    if (process != null && process.exit == null) {
      stopBridge(process.pid);
    }
  }

  /** SIGKILL through envd; a pid envd no longer knows has exited already. */
  void stopBridge(int pid) {
    try {
      ObjectNode body = Json.MAPPER.createObjectNode();
      body.putObject("process").put("pid", pid);
      body.put("signal", "SIGNAL_SIGKILL");
      unary("/process.Process/SendSignal", body);
    } catch (ConnectException e) {
      if (!e.code().equals("not_found")) {
        LOG.debug("could not stop the bridge in sandbox {}: {}", id(), e.getMessage());
      }
    } catch (IOException | RuntimeException e) {
      // Its message may quote envd's answer, which the guest may have written: escaped, never a raw log line.
      LOG.debug("could not stop the bridge in sandbox {}: {}", id(), GuestText.escape(e.toString()));
    }
  }

  /** A unary Connect call: bare JSON both ways, errors as {@code {"code":"<name>","message":..}}. */
  JsonNode unary(String path, JsonNode body) throws IOException {
    Request request = envd(path).header("Connect-Protocol-Version", "1")
        .post(RequestBody.create(Json.MAPPER.writeValueAsBytes(body), E2bApi.JSON)).build();
    try (Response response = calls.execute(request, false, System.nanoTime() + UNARY_TIMEOUT.toNanos())) {
      if (response.code() == 200) {
        return Json.MAPPER.readTree(bounded(response, path));
      }
      throw envdFailure(response, path);
    }
  }

  /** An answer's body, refused past {@link #MAX_UNARY_BYTES}: whatever answers on envd's port may be the guest. */
  private byte[] bounded(Response response, String path) throws IOException {
    return HttpCalls.boundedBody(response, MAX_UNARY_BYTES, "envd in E2B sandbox " + id() + " (" + path + ")");
  }

  /**
   * Errors from envd and the proxy in front of it: Connect errors carry a string code; envd's own middleware (a
   * missing access token) and the proxy answer with an integer code instead.
   */
  private IOException envdFailure(Response response, String action) throws IOException {
    String raw = response.peekBody(4096).string();
    ProxyAnswers.throwIfGone(id(), response.code(), raw);
    JsonNode node;
    try {
      node = Json.MAPPER.readTree(raw);
    } catch (IOException e) {
      node = null;
    }
    if (node != null && node.has("code") && node.get("code").isTextual()) {
      return ConnectException.of(node);
    }
    // envd's text, escaped: after the guest ran, whatever answers on envd's port may be its own server.
    String message = GuestText.escape(node != null && node.hasNonNull("message") ? node.get("message").asText()
        : raw);
    if (response.code() == 401) {
      throw new SandboxUnavailableException("envd in E2B sandbox " + id() + " refused its access token (401 "
          + message + "): the sandbox must be created with secure=true by this host");
    }
    if (response.code() == 507) {
      throw new SandboxUnavailableException("E2B sandbox " + id() + " has no disk space left for the classpath (507 "
          + message + "): give the template more disk or ship a smaller classpath");
    }
    return new IOException("envd in E2B sandbox " + id() + " could not " + action + " (" + response.code() + " "
        + message + ")");
  }

  /** The bridge process this host started: its output tail, kept for the error when it exits early. */
  private final class BridgeProcess {
    final int pid;
    private final Call call;
    private final Response response;
    private final ConnectEnvelopes.Reader reader;
    private final StringBuilder output = new StringBuilder();
    volatile String exit;
    private volatile boolean detached;

    BridgeProcess(int pid, Call call, Response response, ConnectEnvelopes.Reader reader) {
      this.pid = pid;
      this.call = call;
      this.response = response;
      this.reader = reader;
    }

    void follow() {
      try (response) {
        JsonNode message;
        while ((message = reader.next()) != null) {
          JsonNode event = message.path("event");
          JsonNode data = event.path("data");
          if (!data.isMissingNode()) {
            keep(data.path("stdout"));
            keep(data.path("stderr"));
          } else if (event.has("end")) {
            JsonNode end = event.get("end");
            exit = "exit code " + end.path("exitCode").asInt(0) + " (" + Json.text(end, "status", "") + ")"
                + (output.length() == 0 ? "" : "; output: " + tail());
          }
        }
        if (exit == null) {
          exit = "envd ended the process stream without an end event";
        }
      } catch (IOException | RuntimeException e) {
        if (!detached) {
          exit = "the process stream failed: " + e.getMessage() + (output.length() == 0 ? "" : "; output: " + tail());
        }
      }
    }

    private void keep(JsonNode base64) {
      if (base64.isTextual()) {
        synchronized (output) {
          output.append(new String(Base64.getDecoder().decode(base64.asText()),
              java.nio.charset.StandardCharsets.UTF_8));
          if (output.length() > KEPT_OUTPUT_CHARS) {
            output.delete(0, output.length() - KEPT_OUTPUT_CHARS);
          }
        }
      }
    }

    private String tail() {
      synchronized (output) {
        return output.toString().strip();
      }
    }

    void detach() {
      detached = true;
      call.cancel();
    }
  }
}
