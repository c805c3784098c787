package dev.airlock.internal.e2b;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.airlock.internal.cloud.fake.ChunkedBody;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okio.Buffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Connect server streams as envd sends them over HTTP/1.1: chunked, with frames that ignore chunk boundaries. */
@Timeout(30)
class ConnectEnvelopesTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final OkHttpClient client = new OkHttpClient();
  private final MockWebServer server = new MockWebServer();

  @BeforeEach
  void start() throws Exception {
    server.start();
  }

  @AfterEach
  void stop() throws Exception {
    server.close();
  }

  private static byte[] frame(int flags, String json) {
    byte[] bytes = json.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    return new Buffer().writeByte(flags).writeInt(bytes.length).write(bytes).readByteArray();
  }

  private Response get() throws Exception {
    return client.newCall(new Request.Builder().url(server.url("/process.Process/Start")).build()).execute();
  }

  @Test
  void readsMessagesSplitAcrossChunksSkippingNothingAndEndsCleanly() throws Exception {
    Buffer body = new Buffer()
        .write(frame(0, "{\"event\":{\"start\":{\"pid\":412}}}"))
        .write(frame(0, "{\"event\":{\"data\":{\"stdout\":\"bGlzdGVuaW5nIG9uIDgwODAK\"}}}"))
        .write(frame(0, "{\"event\":{\"keepalive\":{}}}"))
        .write(frame(0, "{\"event\":{\"end\":{\"exited\":true,\"status\":\"exit status 0\"},\"unknown\":1}}"))
        .write(frame(ConnectEnvelopes.END_STREAM, "{}"));
    server.enqueue(new MockResponse.Builder().setHeader("Content-Type", "application/connect+json")
        .chunkedBody(body, 3).build());

    try (Response response = get()) {
      ConnectEnvelopes.Reader reader = new ConnectEnvelopes.Reader(response.body().source());
      assertThat(reader.next().at("/event/start/pid").asInt()).isEqualTo(412);
      assertThat(new String(java.util.Base64.getDecoder().decode(reader.next().at("/event/data/stdout").asText())))
          .isEqualTo("listening on 8080\n");
      assertThat(reader.next().at("/event/keepalive").isObject()).isTrue();
      JsonNode end = reader.next().at("/event/end");
      assertThat(end.path("exitCode").asInt(0)).as("a missing exitCode is 0").isZero();
      assertThat(reader.next()).isNull();
      assertThat(reader.next()).isNull();
    }
    assertThat(server.takeRequest().getUrl().encodedPath()).isEqualTo("/process.Process/Start");
  }

  @Test
  void readsEachMessageAsItArrivesNotAtTheEndOfTheBody() throws Exception {
    CountDownLatch firstRead = new CountDownLatch(1);
    server.enqueue(new ChunkedBody(5, chunks -> {
      chunks.write(frame(0, "{\"event\":{\"start\":{\"pid\":7}}}"));
      try {
        firstRead.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      chunks.write(frame(ConnectEnvelopes.END_STREAM, "{}"));
    }).into(new MockResponse.Builder().setHeader("Content-Type", "application/connect+json")).build());

    long start = System.nanoTime();
    try (Response response = get()) {
      ConnectEnvelopes.Reader reader = new ConnectEnvelopes.Reader(response.body().source());
      assertThat(reader.next().at("/event/start/pid").asInt()).isEqualTo(7);
      firstRead.countDown();
      assertThat(reader.next()).isNull();
    }
    assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start)).isLessThan(5);
  }

  @Test
  void anErrorInTheEndOfStreamMessageIsAConnectError() throws Exception {
    ObjectNode end = JSON.createObjectNode();
    end.putObject("error").put("code", "invalid_argument").put("message", "cwd '/nope' does not exist");
    server.enqueue(new MockResponse.Builder().setHeader("Content-Type", "application/connect+json")
        .chunkedBody(new Buffer().write(frame(ConnectEnvelopes.END_STREAM, end.toString())), 4).build());

    try (Response response = get()) {
      ConnectEnvelopes.Reader reader = new ConnectEnvelopes.Reader(response.body().source());
      assertThatThrownBy(reader::next).isInstanceOfSatisfying(ConnectException.class,
          e -> assertThat(e.code()).isEqualTo("invalid_argument"))
          .hasMessageContaining("cwd '/nope' does not exist");
    }
  }

  @Test
  void aStreamThatStopsWithoutEndOfStreamIsAProtocolError() throws Exception {
    server.enqueue(new MockResponse.Builder().setHeader("Content-Type", "application/connect+json")
        .chunkedBody(new Buffer().write(frame(0, "{\"event\":{\"start\":{\"pid\":1}}}")), 6).build());

    try (Response response = get()) {
      ConnectEnvelopes.Reader reader = new ConnectEnvelopes.Reader(response.body().source());
      assertThat(reader.next()).isNotNull();
      assertThatThrownBy(reader::next).isInstanceOf(E2bProtocolException.class)
          .hasMessageContaining("without Connect's end-of-stream message");
    }
  }

  @Test
  void aStreamCutInsideAMessageIsAProtocolError() throws Exception {
    byte[] whole = frame(0, "{\"event\":{\"start\":{\"pid\":1}}}");
    server.enqueue(new MockResponse.Builder().setHeader("Content-Type", "application/connect+json")
        .chunkedBody(new Buffer().write(whole, 0, whole.length - 4), 6).build());

    try (Response response = get()) {
      assertThatThrownBy(new ConnectEnvelopes.Reader(response.body().source())::next)
          .isInstanceOf(E2bProtocolException.class).hasMessageContaining("cut inside a message");
    }
  }

  @Test
  void anythingAfterEndOfStreamIsAProtocolError() throws Exception {
    server.enqueue(new MockResponse.Builder().setHeader("Content-Type", "application/connect+json")
        .body(new Buffer().write(frame(ConnectEnvelopes.END_STREAM, "{}")).write(frame(0, "{}"))).build());

    try (Response response = get()) {
      assertThatThrownBy(new ConnectEnvelopes.Reader(response.body().source())::next)
          .isInstanceOf(E2bProtocolException.class).hasMessageContaining("followed");
    }
  }

  @Test
  void aHugeDeclaredLengthIsRefusedBeforeAnythingIsRead() throws Exception {
    server.enqueue(new MockResponse.Builder().setHeader("Content-Type", "application/connect+json")
        .body(new Buffer().writeByte(0).writeInt(Integer.MAX_VALUE).writeUtf8("{}")).build());

    try (Response response = get()) {
      assertThatThrownBy(new ConnectEnvelopes.Reader(response.body().source())::next)
          .isInstanceOf(E2bProtocolException.class).hasMessageContaining("over the limit");
    }
  }

  @Test
  void compressedMessagesAreRefusedSinceNoneWereOffered() throws Exception {
    server.enqueue(new MockResponse.Builder().setHeader("Content-Type", "application/connect+json")
        .body(new Buffer().write(frame(ConnectEnvelopes.COMPRESSED, "{}"))).build());

    try (Response response = get()) {
      assertThatThrownBy(new ConnectEnvelopes.Reader(response.body().source())::next)
          .isInstanceOf(E2bProtocolException.class).hasMessageContaining("compressed");
    }
  }

  @Test
  void writesTheRequestEnvelopeWithItsBigEndianLength() {
    byte[] envelope = ConnectEnvelopes.envelope("{\"a\":1}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    assertThat(envelope).startsWith(0, 0, 0, 0, 7).endsWith("{\"a\":1}".getBytes(
        java.nio.charset.StandardCharsets.UTF_8)).hasSize(12);
  }
}
