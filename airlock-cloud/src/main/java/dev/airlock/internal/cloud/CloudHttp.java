package dev.airlock.internal.cloud;

import dev.airlock.internal.backend.GuestText;
import java.io.IOException;
import java.time.Duration;
import okhttp3.Interceptor;
import okhttp3.OkHttpClient;
import okhttp3.Response;

/**
 * The one HTTP client of the process for every cloud backend: it owns the connection pool and threads, so backends
 * derive per-purpose variants from it with {@code newBuilder()} rather than building their own.
 *
 * <p>No cloud client follows a redirect, and a 3xx answer fails the request with {@link RedirectRefusedException}.
 * A sandbox's ports are guest-controlled (the guest can replace the worker bridge), so a followed redirect would
 * let it send the host to an address of its choice with the request's headers and body: blind SSRF from the host,
 * a re-POSTed call frame on a 307. The control plane never redirects either, so a 3xx there is a misconfigured URL.
 */
public final class CloudHttp {
  /** The SDKs' request timeout for control-plane calls. */
  public static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);

  private static final Interceptor REFUSE_REDIRECTS = CloudHttp::refuseRedirect;

  private CloudHttp() {
  }

  private static final class Holder {
    static final OkHttpClient CLIENT = withoutRedirects(new OkHttpClient.Builder()
        .connectTimeout(Duration.ofSeconds(10))
        .readTimeout(REQUEST_TIMEOUT)
        .writeTimeout(REQUEST_TIMEOUT)
        .retryOnConnectionFailure(true)
        .build());
  }

  public static OkHttpClient client() {
    return Holder.CLIENT;
  }

  /** {@code client}, or a variant sharing its pool, that neither follows nor accepts redirects. */
  public static OkHttpClient withoutRedirects(OkHttpClient client) {
    if (!client.followRedirects() && !client.followSslRedirects() && client.interceptors().contains(
        REFUSE_REDIRECTS)) {
      return client;
    }
    return client.newBuilder().followRedirects(false).followSslRedirects(false).addInterceptor(REFUSE_REDIRECTS)
        .build();
  }

  private static Response refuseRedirect(Interceptor.Chain chain) throws IOException {
    Response response = chain.proceed(chain.request());
    if (response.code() >= 300 && response.code() < 400) {
      String location = response.header("Location");
      response.close();
      // The target is the answering side's text (the guest's, on a sandbox port), bound for the caller's exception.
      throw new RedirectRefusedException(chain.request().method() + " " + chain.request().url().redact()
          + " answered " + response.code() + " (redirect to " + (location == null ? "nowhere"
          : GuestText.escape(location, 200)) + "); cloud clients never follow redirects");
    }
    return response;
  }
}
