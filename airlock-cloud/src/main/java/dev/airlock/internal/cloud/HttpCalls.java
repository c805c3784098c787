package dev.airlock.internal.cloud;

import java.io.IOException;
import java.time.Duration;
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

  public HttpCalls(OkHttpClient client, RetryPolicy policy) {
    this.client = client;
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
    for (int attempt = 1; ; attempt++) {
      boolean last = attempt >= policy.attempts();
      Response response;
      try {
        response = client.newCall(request).execute();
      } catch (IOException e) {
        if (last || !idempotent) {
          throw e;
        }
        LOG.debug("{} {} failed ({}); retrying", request.method(), request.url().encodedPath(), e.toString());
        pause(policy.backoff(attempt));
        continue;
      }
      Duration wait = retryWait(response, attempt, idempotent);
      if (wait == null || last) {
        return response;
      }
      LOG.debug("{} {} answered {}; retrying in {} ms", request.method(), request.url().encodedPath(),
          response.code(), wait.toMillis());
      response.close();
      pause(wait);
    }
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
      throw new java.io.InterruptedIOException("interrupted while waiting to retry");
    }
  }
}
