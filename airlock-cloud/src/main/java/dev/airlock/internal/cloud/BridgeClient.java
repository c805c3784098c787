package dev.airlock.internal.cloud;

import dev.airlock.SandboxUnavailableException;
import dev.airlock.internal.backend.GuestText;
import dev.airlock.internal.cloud.BridgeProtocol.ClasspathQuery;
import dev.airlock.internal.cloud.BridgeProtocol.Missing;
import dev.airlock.internal.cloud.BridgeProtocol.StartWorker;
import dev.airlock.internal.cloud.BridgeProtocol.WorkerState;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * The host's side of {@link BridgeProtocol}, through the sandbox provider's port proxy. Once guest code ran in the
 * sandbox, whatever answers on the bridge's port may be the guest's own server: every request here therefore ends by
 * a deadline (an OkHttp call timeout, so an answer trickled byte by byte cannot outlast it), bodies are bounded, and
 * redirects are refused ({@link CloudHttp}).
 */
final class BridgeClient {
  static final MediaType JSON = MediaType.get("application/json");
  static final MediaType FRAMES = MediaType.get(BridgeProtocol.FRAMES);
  private static final int MAX_ANSWER_BYTES = 64 * 1024;

  private final CloudSandbox sandbox;
  private final HttpCalls calls;
  private final String token;
  /** For frame relays and worker starts: no read timeout, each request has a call timeout of its own deadline. */
  private final OkHttpClient relayClient;

  BridgeClient(CloudSandbox sandbox, HttpCalls calls, String token) {
    this.sandbox = sandbox;
    this.calls = calls;
    this.token = token;
    this.relayClient = calls.client().newBuilder().readTimeout(Duration.ZERO).build();
  }

  CloudSandbox sandbox() {
    return sandbox;
  }

  Request.Builder request(String path) {
    return sandbox.bridgeRequest(path).header("Authorization", "Bearer " + token);
  }

  OkHttpClient relayClient() {
    return relayClient;
  }

  /**
   * Polls the bridge's health until it answers. A proxy answering that the port is not open yet is the normal
   * state right after a start; the poll gives up at {@code deadline} (nanoTime).
   *
   * @return false when the port was still not open at the deadline
   */
  boolean awaitReady(long deadline) throws IOException {
    while (true) {
      try (Response response = calls.execute(sandbox.bridgeRequest("/health").get().build(), true, deadline)) {
        if (response.code() == 200) {
          return true;
        }
        String body = peek(response);
        ProxyAnswers.throwIfGone(sandbox.id(), response.code(), body);
        if (!ProxyAnswers.notReady(response.code())) {
          throw new IOException("the bridge in sandbox " + sandbox.id() + " answered " + response.code()
              + " to its health check: " + body);
        }
      } catch (InterruptedIOException timedOut) {
        if (System.nanoTime() - deadline >= 0) {
          return false;
        }
        throw timedOut;
      }
      java.util.Optional<String> exit = sandbox.bridgeExit();
      if (exit.isPresent()) {
        // The exit's status and output are the sandbox's text, bound for an error an application logs.
        throw new IOException("the worker bridge in sandbox " + sandbox.id() + " exited: " + guestText(exit.get()));
      }
      if (System.nanoTime() > deadline) {
        return false;
      }
      sleep(Duration.ofMillis(100));
    }
  }

  List<String> missing(List<ClasspathEntry> entries, long deadline) throws IOException {
    Request request = request("/classpath")
        .post(RequestBody.create(BridgeProtocol.JSON.writeValueAsBytes(new ClasspathQuery(entries)), JSON)).build();
    try (Response response = calls.execute(request, true, deadline)) {
      return BridgeProtocol.JSON.readValue(expect(response, 200), Missing.class).missing();
    }
  }

  /**
   * Starts a worker and returns it with its HELLO frame waiting to be read; killing it runs {@code killSandbox}, which
   * must not block. The bridge gets until {@code deadline} (nanoTime) to answer.
   */
  BridgeWorker startWorker(List<ClasspathEntry> entries, int memoryMb, long deadline, Runnable killSandbox)
      throws IOException {
    long startMillis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
    byte[] body = BridgeProtocol.JSON.writeValueAsBytes(new StartWorker(entries, memoryMb, startMillis));
    Request request = request("/workers").post(RequestBody.create(body, JSON)).build();
    try (Response response = HttpCalls.newCall(relayClient, request, deadline).execute()) {
      byte[] hello = expect(response, 201);
      String id = response.header(BridgeProtocol.WORKER_HEADER);
      if (id == null || !id.matches("w[0-9]{1,9}")) {
        throw new IOException("the bridge started a worker without a valid " + BridgeProtocol.WORKER_HEADER
            + " header: " + (id == null ? "none" : guestText(id)));
      }
      return new BridgeWorker(this, id, hello, killSandbox);
    }
  }

  WorkerState state(String workerId, long deadline) throws IOException {
    try (Response response = calls.execute(request("/workers/" + workerId).get().build(), true, deadline)) {
      return BridgeProtocol.JSON.readValue(expect(response, 200), WorkerState.class);
    }
  }

  /** The body of an expected answer, bounded; anything else becomes an exception naming the bridge's message. */
  private byte[] expect(Response response, int status) throws IOException {
    if (response.code() == status) {
      return HttpCalls.boundedBody(response, MAX_ANSWER_BYTES, "the bridge in sandbox " + sandbox.id());
    }
    String text = peek(response);
    ProxyAnswers.throwIfGone(sandbox.id(), response.code(), text);
    if (response.code() == 401) {
      throw new SandboxUnavailableException("the bridge in sandbox " + sandbox.id()
          + " refused the host's token (401): the sandbox was not prepared by this host");
    }
    throw new IOException("the bridge in sandbox " + sandbox.id() + " answered " + response.code() + ": " + text);
  }

  /** The start of an answer's body, escaped: the bridge runs as the guest's user, so this is guest text. */
  static String peek(Response response) throws IOException {
    return GuestText.escape(response.peekBody(MAX_QUOTED_CHARS).string());
  }

  /** The most of a sandbox's text an error quotes. */
  private static final int MAX_QUOTED_CHARS = 2048;

  /** Text from the sandbox as one inert line of at most {@link #MAX_QUOTED_CHARS} characters. */
  static String guestText(String text) {
    return GuestText.escape(text, MAX_QUOTED_CHARS);
  }

  static void sleep(Duration duration) throws IOException {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted");
    }
  }
}
