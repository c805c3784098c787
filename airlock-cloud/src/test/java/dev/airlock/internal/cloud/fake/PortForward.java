package dev.airlock.internal.cloud.fake;

import java.io.IOException;
import java.net.ConnectException;
import java.util.Set;
import mockwebserver3.MockResponse;
import mockwebserver3.RecordedRequest;
import okhttp3.Headers;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.Buffer;
import okio.BufferedSource;

/**
 * What a sandbox proxy does for a service port: forwards a request to a local port and streams the answer back as
 * it comes. Returns null when nothing listens there, so the fake can answer as its proxy would.
 */
public final class PortForward {
  private static final Set<String> HOP_HEADERS = Set.of("host", "connection", "content-length",
      "transfer-encoding", "keep-alive");
  private static final OkHttpClient CLIENT = new OkHttpClient.Builder()
      .readTimeout(java.time.Duration.ZERO).retryOnConnectionFailure(false)
      // A proxy hands a redirect to its client; it never follows one itself.
      .followRedirects(false).followSslRedirects(false).build();

  private PortForward() {
  }

  public static MockResponse forward(RecordedRequest request, int localPort, String path) throws IOException {
    Headers.Builder headers = new Headers.Builder();
    for (String name : request.getHeaders().names()) {
      if (!HOP_HEADERS.contains(name.toLowerCase(java.util.Locale.ROOT))) {
        for (String value : request.getHeaders().values(name)) {
          headers.add(name, value);
        }
      }
    }
    String type = request.getHeaders().get("Content-Type");
    RequestBody body = request.getMethod().equals("GET") || request.getMethod().equals("DELETE") ? null
        : RequestBody.create(request.getBody() == null ? new byte[0] : request.getBody().toByteArray(),
            type == null ? null : MediaType.parse(type));
    String query = request.getUrl().encodedQuery();
    Request upstream = new Request.Builder()
        .url("http://127.0.0.1:" + localPort + path + (query == null ? "" : "?" + query))
        .headers(headers.build())
        .method(request.getMethod(), body)
        .build();
    Response response;
    try {
      response = CLIENT.newCall(upstream).execute();
    } catch (ConnectException e) {
      return null;
    }
    MockResponse.Builder answer = new MockResponse.Builder().code(response.code());
    for (String name : response.headers().names()) {
      if (!HOP_HEADERS.contains(name.toLowerCase(java.util.Locale.ROOT))) {
        // As a proxy relays them: a value is copied as its bytes came (a real proxy drops only line breaks).
        answer.addHeaderLenient(name, response.header(name));
      }
    }
    if (response.code() == 204 || response.code() == 304) {
      response.close();
      return answer.build();
    }
    return new ChunkedBody(1021, chunks -> {
      try (response) {
        BufferedSource source = response.body().source();
        Buffer buffer = new Buffer();
        while (source.read(buffer, 8192) != -1) {
          chunks.write(buffer.readByteArray());
        }
      }
    }).into(answer).build();
  }
}
