package dev.airlock.internal.cloud;

import java.time.Duration;
import okhttp3.OkHttpClient;

/**
 * The one HTTP client of the process for every cloud backend: it owns the connection pool and threads, so backends
 * derive per-purpose variants from it with {@code newBuilder()} rather than building their own.
 */
public final class CloudHttp {
  /** The SDKs' request timeout for control-plane calls. */
  public static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);

  private CloudHttp() {
  }

  private static final class Holder {
    static final OkHttpClient CLIENT = new OkHttpClient.Builder()
        .connectTimeout(Duration.ofSeconds(10))
        .readTimeout(REQUEST_TIMEOUT)
        .writeTimeout(REQUEST_TIMEOUT)
        .retryOnConnectionFailure(true)
        .build();
  }

  public static OkHttpClient client() {
    return Holder.CLIENT;
  }
}
