package dev.airlock.internal.cloud;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one cloud request under a {@link RetryPolicy} and hands back the last response for the caller to map: a
 * success, an error that is not worth retrying, or the last of the retried ones.
 */
public final class HttpCalls {
  private static final Logger LOG = LoggerFactory.getLogger(HttpCalls.class);

  private final OkHttpClient client;
  private final RetryPolicy policy;

  /** Whatever {@code client} is given, requests go through a variant that refuses redirects. */
  public HttpCalls(OkHttpClient client, RetryPolicy policy) {
    this.client = CloudHttp.withoutRedirects(client);
    this.policy = policy;
  }

  public OkHttpClient client() {
    return client;
  }

  /**
   * Executes {@code request}; the caller closes the response. Throws the last {@link IOException} when every try
   * failed to get any response.
   *
   * @param idempotent whether repeating the request cannot do something twice (5xx and I/O errors are retried only
   *     then)
   */
  public Response execute(Request request, boolean idempotent) throws IOException {
    return execute(request, idempotent, Long.MAX_VALUE);
  }

  /**
   * As {@link #execute(Request, boolean)}, with every try and wait ending by {@code deadline} ({@link System#nanoTime}
   * based): each try gets an OkHttp call timeout of the time left, so a peer that answers byte by byte cannot hold
   * the caller past it, and no retry starts after it. For requests to a sandbox's ports, whose far end the guest
   * controls.
   */
  public Response execute(Request request, boolean idempotent, long deadline) throws IOException {
    for (int attempt = 1; ; attempt++) {
      boolean last = attempt >= policy.attempts();
      Response response;
      try {
        response = newCall(request, deadline).execute();
      } catch (RedirectRefusedException e) {
        throw e;
      } catch (IOException e) {
        if (last || !idempotent || pastDeadline(policy.backoff(attempt), deadline)) {
          throw e;
        }
        LOG.debug("{} {} failed ({}); retrying", request.method(), request.url().encodedPath(), e.toString());
        pause(policy.backoff(attempt));
        continue;
      }
      Duration wait = retryWait(response, attempt, idempotent);
      if (wait == null || last || pastDeadline(wait, deadline)) {
        return response;
      }
      LOG.debug("{} {} answered {}; retrying in {} ms", request.method(), request.url().encodedPath(),
          response.code(), wait.toMillis());
      response.close();
      pause(wait);
    }
  }

  /**
   * A response's body, refused past {@code maxBytes} before more is read: a control plane, or whatever answers on a
   * sandbox's port, could otherwise have the host read an answer of any size into its heap.
   *
   * @param what who answered, for the error
   */
  public static byte[] boundedBody(Response response, long maxBytes, String what) throws IOException {
    okio.BufferedSource source = response.body().source();
    if (source.request(maxBytes + 1)) {
      throw new IOException(what + " answered more than " + maxBytes + " bytes");
    }
    return source.readByteArray();
  }

  /** A call whose whole exchange, body included, must end by {@code deadline}. */
  public Call newCall(Request request, long deadline) throws IOException {
    return newCall(client, request, deadline);
  }

  /** As {@link #newCall(Request, long)} on a variant of this client ({@code client} must derive from it). */
  public static Call newCall(OkHttpClient client, Request request, long deadline) throws IOException {
    Call call = client.newCall(request);
    if (deadline != Long.MAX_VALUE) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new InterruptedIOException(request.method() + " " + request.url().encodedPath()
            + " was not sent: its deadline had passed");
      }
      call.timeout().timeout(left, TimeUnit.NANOSECONDS);
    }
    return call;
  }

  private static boolean pastDeadline(Duration wait, long deadline) {
    return deadline != Long.MAX_VALUE && System.nanoTime() + wait.toNanos() >= deadline;
  }

  private Duration retryWait(Response response, int attempt, boolean idempotent) {
    int code = response.code();
    if (code == 429) {
      Duration asked = retryAfter(response.header("Retry-After"));
      return asked != null ? policy.retryAfter(asked) : policy.backoff(attempt);
    }
    boolean transientError = code == 500 || code == 502 || code == 503 || code == 504;
    if (idempotent && transientError && !fromSandboxProxy(response)) {
      return policy.backoff(attempt);
    }
    return null;
  }

  /**
   * A 502 from a sandbox proxy says something definite (no such sandbox, port not open) that the caller acts on;
   * retrying it blindly would only delay that.
   */
  private static boolean fromSandboxProxy(Response response) {
    if (response.code() != 502) {
      return false;
    }
    try {
      return response.peekBody(4096).string().contains("\"sandboxId\"");
    } catch (IOException e) {
      return false;
    }
  }

  /** {@code Retry-After} in seconds; the HTTP-date form is not used by these services and is treated as absent. */
  static Duration retryAfter(String header) {
    if (header == null) {
      return null;
    }
    try {
      long seconds = Long.parseLong(header.trim());
      return seconds < 0 ? null : Duration.ofSeconds(seconds);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private void pause(Duration wait) throws IOException {
    try {
      policy.sleeper().sleep(wait);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting to retry");
    }
  }
}
