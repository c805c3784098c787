package dev.airlock.internal.egress;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Attack review 29: a guest allowed a host that has an injected secret tries to learn the secret through the
 * secret watch itself, or around it.
 */
@Timeout(60)
class EgressSecretLeakTest extends ProxyTestBase {
  private HttpServer server;

  /** A server that answers every request with {@code answer}, sent chunked (the JDK server's 4096-byte chunks). */
  private int serve(java.util.function.Function<com.sun.net.httpserver.HttpExchange, String> answer)
      throws IOException {
    return listen(exchange -> {
      exchange.getRequestBody().readAllBytes();
      respond(exchange, 200, 0, answer.apply(exchange).getBytes(StandardCharsets.ISO_8859_1));
    });
  }

  private int listen(com.sun.net.httpserver.HttpHandler handler) throws IOException {
    server = HttpServer.create(new InetSocketAddress(LOOPBACK, 0), 0);
    server.createContext("/", handler);
    server.start();
    return server.getAddress().getPort();
  }

  /** Sends {@code body} with {@code length} as the JDK server takes it (0: chunked). */
  private static void respond(com.sun.net.httpserver.HttpExchange exchange, int status, long length, byte[] body)
      throws IOException {
    exchange.sendResponseHeaders(status, length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    } catch (IOException cut) {
      // the proxy cut the connection
    }
  }

  private void startWithSecret(int port, String header, String secret) throws IOException {
    start(EgressProxy.builder().resolver(EgressTestKit.resolver(Map.of("secret.test", LOOPBACK)))
        .secrets(List.of(new SecretInjection("secret.test:" + port, header, secret, true))));
    gate.beginCall(rules("secret.test:" + port, "127.0.0.1:" + port));
  }

  /**
   * The cut itself was an oracle. A host that reflects any text of the request (a 404 page quoting the path, an
   * error naming the bad parameter) hands back the guest's guess; the proxy cut the connection exactly when the guess
   * was a piece of the secret. From a known prefix ("Bearer sk-live-", or the 11 bytes a chunked echo gives away) the
   * guest guessed the next character, 16 tries each, and read the whole key without the server ever echoing it.
   */
  @Test
  void theCutIsNoOracleAGuestLearnsAtMostOneCharacterACall() throws Exception {
    String known = "Bearer sk-live-";
    String secret = known + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    int port = serve(exchange -> "no such thing: " + exchange.getRequestURI().getQuery());
    startWithSecret(port, "Authorization", secret);
    HttpClient client = forwarder.client(null);

    String recovered = known;
    guessing:
    while (recovered.length() < secret.length()) {
      for (char c : "0123456789abcdef".toCharArray()) {
        String guess = recovered.substring(recovered.length() - SecretWatch.PIECE + 1) + c;
        HttpResponse<String> answer;
        try {
          answer = client.send(HttpRequest.newBuilder(new URI("http", null, "secret.test", port, "/", "q=" + guess,
              null)).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException cut) {
          recovered += c;
          continue guessing;
        }
        if (answer.statusCode() == 403) {
          break guessing;
        }
        assertThat(answer.body()).isEqualTo("no such thing: q=" + guess);
      }
      break;
    }
    assertThat(recovered.length()).as("what the guest learned: %s", recovered).isLessThanOrEqualTo(known.length() + 1);
    EgressReport report = gate.endCall();
    assertThat(report.refused()).anyMatch(r -> r.contains("sent back the injected secret"))
        .anyMatch(r -> r.contains("no further request from it gets a secret"));
    assertThat(report.toString()).doesNotContain(secret.substring(known.length()));
  }

  /**
   * A reused worker keeps its memory from call to call: with the refusal ending with the call, a guest learned one
   * character a call and kept it in a static field for the next. The refusal lasts as long as the worker's gate.
   */
  @Test
  void anEchoSpendsTheWorkersSecretsForItsLaterCallsToo() throws Exception {
    String known = "Bearer sk-live-";
    int port = serve(exchange -> "no such thing: " + exchange.getRequestURI().getQuery());
    startWithSecret(port, "Authorization", known + UUID.randomUUID());
    HttpClient client = forwarder.client(null);
    URI echo = new URI("http", null, "secret.test", port, "/", "q=" + known.substring(0, 12), null);
    URI plain = new URI("http", null, "secret.test", port, "/", "q=hello", null);
    assertThat(client.send(HttpRequest.newBuilder(plain).build(), HttpResponse.BodyHandlers.ofString()).statusCode())
        .isEqualTo(200);
    try {
      client.send(HttpRequest.newBuilder(echo).build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException cut) {
      // the echo is cut
    }
    gate.endCall();

    gate.beginCall(rules("secret.test:" + port, "127.0.0.1:" + port));
    HttpResponse<String> later = client.send(HttpRequest.newBuilder(plain).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(later.statusCode()).isEqualTo(403);
    assertThat(later.body()).contains("earlier on this worker");
  }

  /**
   * The refusal after an echo applied to requests that start later; a guest that opened connections first (heads
   * sent, bodies held back) kept asking through them after the cut, one more answer each. An echo now cuts every
   * connection of the call that carries a secret.
   */
  @Test
  void anEchoCutsEveryConnectionOfTheCallThatCarriesASecret() throws Exception {
    String known = "Bearer sk-live-";
    String secret = known + UUID.randomUUID().toString().replace("-", "");
    server = HttpServer.create(new InetSocketAddress(LOOPBACK, 0), 0);
    server.createContext("/", exchange -> {
      byte[] body = ("no such model: " + new String(exchange.getRequestBody().readAllBytes(),
          StandardCharsets.ISO_8859_1)).getBytes(StandardCharsets.ISO_8859_1);
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      } catch (IOException cut) {
        // the proxy cut the connection
      }
    });
    server.setExecutor(Executors.newCachedThreadPool()); // answers the held connections side by side
    server.start();
    int port = server.getAddress().getPort();
    startWithSecret(port, "Authorization", secret);
    String head = "POST http://secret.test:" + port + "/ HTTP/1.1\r\nHost: secret.test:" + port
        + "\r\nContent-Length: 12\r\n\r\n";

    List<Socket> held = new ArrayList<>();
    try {
      for (int i = 0; i < 4; i++) {
        Socket socket = new Socket(LOOPBACK, forwarder.server.getLocalPort());
        socket.setSoTimeout(10_000);
        socket.getOutputStream().write(head.getBytes(StandardCharsets.ISO_8859_1));
        held.add(socket);
      }
      Thread.sleep(300); // every head checked and sent on with the secret
      held.get(0).getOutputStream().write(known.substring(0, 12).getBytes(StandardCharsets.ISO_8859_1));
      assertThat(new String(held.get(0).getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1))
          .as("a piece of the value reflected").doesNotContain("no such model");
      for (Socket socket : held.subList(1, 4)) {
        String answer;
        try {
          socket.getOutputStream().write("a guess 0123".getBytes(StandardCharsets.ISO_8859_1));
          answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        } catch (IOException cut) {
          answer = "";
        }
        assertThat(answer).as("a connection opened before the echo").doesNotContain("no such model");
      }
    } finally {
      for (Socket socket : held) {
        socket.close();
      }
    }
  }

  /**
   * The watch looked for 12-byte pieces in the bytes as they came, chunk framing included. The guest pads its
   * request so the echo's first chunk ends in the middle of the value: with a value of up to 22 bytes neither half
   * holds a piece, and the whole value reached the guest with the framing between its halves.
   */
  @Test
  void anEchoSplitByChunkFramingIsReadAsTheGuestDecodesIt() throws Exception {
    String secret = UUID.randomUUID().toString().replace("-", "").substring(0, 20);
    int port = serve(exchange -> "pad=" + exchange.getRequestHeaders().getFirst("X-Pad") + "\nkey="
        + exchange.getRequestHeaders().getFirst("X-Api-Key") + "\n");
    startWithSecret(port, "X-Api-Key", secret);

    for (int split = 1; split < secret.length(); split++) {
      // A worker per split: an echo spends its worker's secrets.
      gate = proxy.openGate(folder.resolve("egress-" + split + ".sock"));
      forwarder = kit.forwarder(folder.resolve("egress-" + split + ".sock"));
      gate.beginCall(rules("secret.test:" + port, "127.0.0.1:" + port));
      String pad = "p".repeat(4096 - "pad=".length() - "\nkey=".length() - split);
      String seen;
      try (Socket socket = new Socket(LOOPBACK, forwarder.server.getLocalPort())) {
        socket.setSoTimeout(10_000);
        socket.getOutputStream().write(("GET http://secret.test:" + port + "/ HTTP/1.1\r\nHost: secret.test:" + port
            + "\r\nX-Pad: " + pad + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        seen = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
      }
      String decoded = seen.replaceAll("\r\n[0-9a-fA-F]+\r\n", "");
      assertThat(decoded).as("split after %d bytes", split).doesNotContain(secret.substring(0, SecretWatch.PIECE))
          .doesNotContain(secret.substring(SecretWatch.PIECE));
      assertThat(gate.endCall().refused()).singleElement().asString().contains("sent back the injected secret");
    }
  }

  /**
   * Only an upper-case TRACE was refused. IIS answers TRACK as TRACE does, servers that read methods
   * case-insensitively answer "trace", and frameworks honour a method override header: each echoes the request with
   * the injected header in it, so the guest's answer was a cut (and now its call's secret spent) instead of a refusal
   * naming the cause before anything reached the server.
   */
  @Test
  void everySpellingOfAnEchoingMethodIsRefusedBeforeTheServer() throws Exception {
    String secret = "Bearer sk-" + UUID.randomUUID();
    List<String> methods = new CopyOnWriteArrayList<>();
    int port = serve(exchange -> {
      methods.add(exchange.getRequestMethod());
      return exchange.getRequestMethod() + " echo: " + exchange.getRequestHeaders();
    });
    startWithSecret(port, "Authorization", secret);
    String authority = "secret.test:" + port;

    for (String request : List.of("TRACK / HTTP/1.1\r\n", "trace / HTTP/1.1\r\n", "Trace / HTTP/1.1\r\n",
        "POST / HTTP/1.1\r\nX-HTTP-Method-Override: trace\r\n", "GET / HTTP/1.1\r\nX-HTTP-Method: TRACK\r\n",
        "GET / HTTP/1.1\r\nX-Method-Override:  TRACE \r\n",
        // Attack review 32: a list, which method-override (Express) reads as its first method.
        "POST / HTTP/1.1\r\nX-HTTP-Method-Override: TRACE, GET\r\n")) {
      String[] line = request.split(" ", 2);
      String answer;
      try (Socket socket = new Socket(LOOPBACK, forwarder.server.getLocalPort())) {
        socket.setSoTimeout(10_000);
        socket.getOutputStream().write((line[0] + " http://" + authority + line[1] + "Host: " + authority
            + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
      }
      assertThat(answer).as(request).startsWith("HTTP/1.1 405").contains("echoes the request");
    }
    assertThat(methods).as("requests the server received").isEmpty();
    assertThat(gate.endCall().refused()).hasSize(7).allMatch(r -> r.contains("echoes the request"));
  }

  /**
   * On a host with a secret the proxy ends the guest's TLS and opens its own to the server: two handshakes a
   * connection, a certificate chain from the server each time, and a key exchange and signature on the host. Only
   * the requests and answers inside were counted, so a guest opening connections in a loop moved any number of
   * handshake bytes under a byte cap it never reached.
   */
  @Test
  void theHandshakesOfAnInjectedHostCountAgainstTheByteCap() throws Exception {
    int port = EgressTestKit.port(kit.https);
    start(EgressProxy.builder().upstreamTrust(EgressTestKit.testTrust())
        .resolver(EgressTestKit.resolver(Map.of("secret.test", LOOPBACK)))
        .secrets(List.of(new SecretInjection("secret.test:" + port, "Authorization", "Bearer " + UUID.randomUUID()))));
    gate.beginCall(EgressRules.parse(List.of("secret.test:" + port, "127.0.0.1:" + port), 64 * 1024,
        Duration.ofSeconds(10)));
    HttpClient client = forwarder.client(EgressTestKit.clientContext(proxy));

    int completed = 0;
    for (int i = 0; i < 100; i++) {
      try {
        HttpResponse<String> answer = client.send(HttpRequest.newBuilder(URI.create("https://secret.test:" + port
            + "/hello")).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        completed += answer.statusCode() == 200 ? 1 : 0;
      } catch (IOException e) {
        break; // cut at the cap
      }
    }
    EgressReport report = gate.endCall();
    assertThat(completed).as("connections completed under a 64 KiB cap (%s)", report).isLessThan(50);
    assertThat(report.refused()).anyMatch(r -> r.contains("maxBytesPerCall"));
  }

  /**
   * Attack review 32: a Range header chooses which bytes of an echo come back. A cache or server that slices any
   * answer by Range (Varnish does by default) handed the guest an 11-byte window of the echoed header a request,
   * each shorter than a piece of the watch, and the guest read the whole key a slice at a time without a cut.
   */
  @Test
  void aRangeRequestCannotSliceAnEchoIntoPiecesTheWatchMisses() throws Exception {
    String secret = "Bearer sk-" + UUID.randomUUID();
    List<String> ranges = new CopyOnWriteArrayList<>();
    int port = listen(exchange -> {
      String echo = "you sent: " + exchange.getRequestHeaders().getFirst("Authorization");
      byte[] body = echo.getBytes(StandardCharsets.ISO_8859_1);
      int status = 200;
      for (String name : List.of("Range", "Request-Range")) {
        String range = exchange.getRequestHeaders().getFirst(name);
        if (range != null) {
          ranges.add(name + ": " + range);
          String[] bounds = range.substring("bytes=".length()).split("-");
          int from = Math.min(Integer.parseInt(bounds[0]), body.length);
          int to = Math.min(Integer.parseInt(bounds[1]) + 1, body.length);
          body = java.util.Arrays.copyOfRange(body, from, to);
          status = 206;
        }
      }
      respond(exchange, status, body.length, body);
    });
    startWithSecret(port, "Authorization", secret);

    StringBuilder read = new StringBuilder();
    int offset = "you sent: ".length();
    for (String name : List.of("Range", "Request-Range")) {
      for (int from = offset; from < offset + secret.length(); from += SecretWatch.PIECE - 1) {
        try (Socket socket = new Socket(LOOPBACK, forwarder.server.getLocalPort())) {
          socket.setSoTimeout(10_000);
          socket.getOutputStream().write(("GET http://secret.test:" + port + "/ HTTP/1.1\r\nHost: secret.test:"
              + port + "\r\n" + name + ": bytes=" + from + "-" + (from + SecretWatch.PIECE - 2) + "\r\n\r\n")
              .getBytes(StandardCharsets.ISO_8859_1));
          String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
          int body = answer.indexOf("\r\n\r\n");
          read.append(body < 0 ? "" : answer.substring(body + 4));
        }
      }
    }
    assertThat(read.toString()).doesNotContain(secret.substring(SecretWatch.PIECE));
    assertThat(ranges).as("ranges the server received").isEmpty();
  }

  /**
   * Attack review 32: the guest chooses the echo's charset. Frameworks honour a charset the request asks for (a
   * parameter of Accept, or Accept-Charset) and encode the answer in it; in UTF-16 or UTF-32 every character of the
   * echoed value is two or four bytes, so the bytes the watch looks for never appear, and the guest decodes the
   * whole value. Only compression was ruled out.
   */
  @Test
  void anEchoInACharsetTheGuestChoseIsRefused() throws Exception {
    String secret = "Bearer sk-" + UUID.randomUUID();
    int port = listen(exchange -> {
      String accept = exchange.getRequestHeaders().getFirst("Accept");
      String charset = accept.substring(accept.indexOf("charset=") + "charset=".length());
      byte[] body = ("you sent: " + exchange.getRequestHeaders().getFirst("Authorization"))
          .getBytes(java.nio.charset.Charset.forName(charset));
      exchange.getResponseHeaders().add("Content-Type", "text/plain; charset=" + charset);
      respond(exchange, 200, body.length, body);
    });
    startWithSecret(port, "Authorization", secret);

    for (String charset : List.of("UTF-16", "UTF-16LE", "\"utf-32be\"", "IBM037")) {
      String answer;
      try (Socket socket = new Socket(LOOPBACK, forwarder.server.getLocalPort())) {
        socket.setSoTimeout(10_000);
        socket.getOutputStream().write(("GET http://secret.test:" + port + "/ HTTP/1.1\r\nHost: secret.test:"
            + port + "\r\nAccept: text/plain; charset=" + charset.replace("\"", "") + "\r\n\r\n")
            .getBytes(StandardCharsets.ISO_8859_1));
        byte[] bytes = socket.getInputStream().readAllBytes();
        answer = new String(bytes, java.nio.charset.Charset.forName(charset.replace("\"", "")));
      }
      assertThat(answer).as(charset).doesNotContain(secret.substring(SecretWatch.PIECE));
    }
    assertThat(gate.endCall().refused()).hasSize(4).allMatch(r -> r.contains("does not write ASCII as ASCII"));
  }

  @AfterEach
  void stopServer() {
    if (server != null) {
      server.stop(0);
    }
  }
}
