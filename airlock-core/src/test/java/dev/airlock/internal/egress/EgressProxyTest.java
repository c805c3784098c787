package dev.airlock.internal.egress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;

/**
 * The egress proxy with real sockets: a JDK HttpClient in front (through a TCP-to-Unix forwarder, as in a
 * sandbox), real HTTP and HTTPS servers behind, and a TLS chain made by the test.
 */
class EgressProxyTest extends ProxyTestBase {
  private void startDefault() throws IOException {
    start(EgressProxy.builder().upstreamTrust(EgressTestKit.testTrust()).resolver(EgressTestKit.resolver(Map.of(
        "api.test", LOOPBACK, "x.api.test", LOOPBACK, "evil.test", LOOPBACK, "secret.test", LOOPBACK))));
  }

  private String http() {
    return "127.0.0.1:" + EgressTestKit.port(kit.http);
  }

  private String https() {
    return "127.0.0.1:" + EgressTestKit.port(kit.https);
  }

  private HttpResponse<String> get(HttpClient client, String url) throws Exception {
    return client.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpClient client() throws Exception {
    return forwarder.client(EgressTestKit.clientContext(proxy));
  }

  @Test
  void allowedHostIsReachableOverHttpAndHttps() throws Exception {
    startDefault();
    int tlsPort = EgressTestKit.port(kit.https);
    gate.beginCall(rules(http(), "api.test:" + tlsPort, https()));

    HttpResponse<String> plain = get(client(), "http://" + http() + "/hello");
    HttpResponse<String> tls = get(client(), "https://api.test:" + tlsPort + "/hello");

    assertThat(plain.statusCode()).isEqualTo(200);
    assertThat(plain.body()).isEqualTo("hello");
    assertThat(tls.statusCode()).isEqualTo(200);
    assertThat(tls.body()).isEqualTo("hello");
    EgressReport report = gate.endCall();
    assertThat(report.hostsContacted()).containsExactly(http(), "api.test:" + tlsPort);
    assertThat(report.bytesUp()).isPositive();
    assertThat(report.bytesDown()).isGreaterThan(report.bytesUp());
    assertThat(report.refused()).isEmpty();
  }

  @Test
  void otherHostIsRefusedWithTheRuleInTheClientsException() throws Exception {
    startDefault();
    int tlsPort = EgressTestKit.port(kit.https);
    gate.beginCall(rules("api.test:" + tlsPort, https()));

    // HttpURLConnection puts the proxy's status line into its exception; JDK 17's HttpClient only the code.
    HttpsURLConnection connection = (HttpsURLConnection) URI.create("https://evil.test:" + tlsPort + "/hello")
        .toURL().openConnection(forwarder.proxy());
    connection.setSSLSocketFactory(EgressTestKit.clientContext(proxy).getSocketFactory());
    assertThatThrownBy(connection::getResponseCode)
        .isInstanceOf(IOException.class)
        .hasMessageContaining("403 Airlock egress refused evil.test:" + tlsPort + ": not in the egress allow list;"
            + " add it to @Airlock(egress) or airlock.egress.allow");
    assertThatThrownBy(() -> get(client(), "https://evil.test:" + tlsPort + "/hello"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("403");
    HttpResponse<String> plain = get(client(), "http://evil.test:" + EgressTestKit.port(kit.http) + "/hello");
    assertThat(plain.statusCode()).isEqualTo(403);
    assertThat(plain.body()).contains("not in the egress allow list");

    String refusal = "evil.test:" + tlsPort + ": not in the egress allow list (add it to @Airlock(egress) or"
        + " airlock.egress.allow)";
    assertThat(gate.endCall().refused()).containsExactly(refusal, refusal,
        "evil.test:" + EgressTestKit.port(kit.http) + ": not in the egress allow list (add it to @Airlock(egress)"
            + " or airlock.egress.allow)");
    assertThat(kit.received).isEmpty();
  }

  /** Sends {@code request} through the forwarder as raw bytes and returns everything the proxy answers. */
  private String raw(String request) throws IOException {
    try (Socket socket = new Socket(LOOPBACK, forwarder.server.getLocalPort())) {
      socket.setSoTimeout(5000);
      socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
    }
  }

  /**
   * Opens a CONNECT tunnel by hand and starts TLS in it with {@code serverName} (null: no SNI at all), offering
   * {@code protocols} by ALPN when there are any.
   */
  private void handshakeThroughTunnel(String authority, String serverName, String... protocols) throws Exception {
    tlsThroughTunnel(authority, serverName, protocols).close();
  }

  /** A TLS session through a CONNECT tunnel, handshake done; the caller closes it. */
  private SSLSocket tlsThroughTunnel(String authority, String serverName, String... protocols) throws Exception {
    Socket socket = new Socket(LOOPBACK, forwarder.server.getLocalPort());
    try {
      socket.setSoTimeout(5000);
      socket.getOutputStream().write(("CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority + "\r\n\r\n")
          .getBytes(StandardCharsets.ISO_8859_1));
      assertThat(readHead(socket.getInputStream())).startsWith("HTTP/1.1 200 ");
      SSLSocket tls = (SSLSocket) EgressTestKit.clientContext(proxy).getSocketFactory()
          .createSocket(socket, "ignored", 443, true);
      SSLParameters parameters = tls.getSSLParameters();
      parameters.setServerNames(serverName == null ? List.of() : List.of(new SNIHostName(serverName)));
      if (protocols.length > 0) {
        parameters.setApplicationProtocols(protocols);
      }
      tls.setSSLParameters(parameters);
      tls.startHandshake();
      return tls;
    } catch (Exception | AssertionError e) {
      socket.close();
      throw e;
    }
  }

  @Test
  void ipLiteralIsRefusedUnlessAnEntryNamesIt() throws Exception {
    startDefault();
    gate.beginCall(rules("api.test:" + EgressTestKit.port(kit.http)));

    HttpResponse<String> literal = get(client(), "http://" + http() + "/hello");

    assertThat(literal.statusCode()).isEqualTo(403);
    assertThat(literal.body()).contains("Airlock egress refused " + http()
        + ": IP addresses are reached only when an entry names them");
    assertThat(get(client(), "http://api.test:" + EgressTestKit.port(kit.http) + "/hello").statusCode())
        .as("the name resolves to loopback, which only an explicit entry allows").isEqualTo(403);
    assertThat(gate.endCall().refused()).hasSize(2);
    assertThat(kit.received).isEmpty();
  }

  @Test
  void wildcardMatchesSubdomainsButNotTheApexAndPortsAreExact() throws Exception {
    startDefault();
    int port = EgressTestKit.port(kit.http);
    gate.beginCall(rules("*.api.test:" + port, http()));

    assertThat(get(client(), "http://x.api.test:" + port + "/hello").statusCode()).isEqualTo(200);
    assertThat(get(client(), "http://api.test:" + port + "/hello").body()).contains("not in the egress allow list");
    gate.endCall();

    gate.beginCall(rules("api.test", "*.api.test", http()));
    assertThat(get(client(), "http://api.test:" + port + "/hello").body())
        .as("an entry without a port allows 80 and 443 only").contains("api.test:" + port + ": not in the egress");
    assertThat(gate.endCall().refused()).hasSize(1);
  }

  @Test
  void tunnelWhoseTlsNamesAnotherHostOrNoHostIsRefused() throws Exception {
    startDefault();
    int port = EgressTestKit.port(kit.https);
    gate.beginCall(rules("api.test:" + port, "evil.test:" + port, https()));

    handshakeThroughTunnel("api.test:" + port, "api.test");
    assertThatThrownBy(() -> handshakeThroughTunnel("api.test:" + port, "evil.test")).isInstanceOf(IOException.class);
    assertThatThrownBy(() -> handshakeThroughTunnel("api.test:" + port, null)).isInstanceOf(IOException.class);

    EgressReport report = gate.endCall();
    assertThat(report.refused()).containsExactly(
        "api.test:" + port + ": the TLS server name 'evil.test' is not the CONNECT host",
        "api.test:" + port + ": the TLS ClientHello names no server (SNI); a tunnel carries only TLS naming its"
            + " CONNECT host");
    assertThat(report.hostsContacted()).containsExactly("api.test:" + port);
  }

  @Test
  void tunnelThatIsNotTlsIsRefused() throws Exception {
    startDefault();
    gate.beginCall(rules(http()));

    String answer = raw("CONNECT " + http() + " HTTP/1.1\r\nHost: " + http() + "\r\n\r\nGET / HTTP/1.1\r\n"
        + "Host: " + http() + "\r\n\r\n");

    assertThat(answer).startsWith("HTTP/1.1 200 ").doesNotContain("hello");
    assertThat(gate.endCall().refused()).singleElement().asString().contains("does not start with a TLS handshake");
    assertThat(kit.received).isEmpty();
  }

  @Test
  void nameResolvingToANonPublicAddressIsRefused() throws Exception {
    byte[] mapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xFF, (byte) 0xFF, 127, 0, 0, 1};
    InetAddress mappedLoopback = Inet6Address.getByAddress("mapped.test", mapped, -1);
    assertThat(mappedLoopback).isInstanceOf(Inet6Address.class);
    start(EgressProxy.builder().resolver(EgressTestKit.resolver(Map.of(
        "ten.test", InetAddress.getByAddress(new byte[] {10, 0, 0, 1}),
        "metadata.test", InetAddress.getByAddress(new byte[] {(byte) 169, (byte) 254, (byte) 169, (byte) 254}),
        "mapped.test", mappedLoopback))));
    int port = EgressTestKit.port(kit.http);
    gate.beginCall(rules("ten.test:" + port, "metadata.test:" + port, "mapped.test:" + port));

    for (String name : List.of("ten.test", "metadata.test", "mapped.test")) {
      HttpResponse<String> answer = get(client(), "http://" + name + ":" + port + "/hello");
      assertThat(answer.statusCode()).isEqualTo(403);
      assertThat(answer.body()).contains(name + ":" + port + ": the name resolves to").contains("not a public");
    }
    assertThat(gate.endCall().refused()).hasSize(3);
    assertThat(kit.received).isEmpty();
  }

  @Test
  void everyAttemptIsRefusedBeforeTheFirstCallAndAfterACallEnds() throws Exception {
    startDefault();
    String request = "GET http://" + http() + "/hello HTTP/1.1\r\nHost: " + http() + "\r\n\r\n";

    assertThat(raw(request)).startsWith("HTTP/1.1 403 Airlock egress refused request: no tool call is running");
    gate.beginCall(rules(http()));
    assertThat(raw(request)).startsWith("HTTP/1.1 200 ").endsWith("hello");
    gate.endCall();
    assertThat(raw(request)).startsWith("HTTP/1.1 403 Airlock egress refused request: no tool call is running");
    assertThat(kit.received).hasSize(1);
  }

  @Test
  void refusalsInALoopAreCappedInTheReport() throws Exception {
    startDefault();
    gate.beginCall(rules(http()));

    for (int i = 0; i < 130; i++) {
      assertThat(raw("GET http://evil" + i + ".test/ HTTP/1.1\r\nHost: evil" + i + ".test\r\n\r\n"))
          .startsWith("HTTP/1.1 403 ");
    }

    List<String> refused = gate.endCall().refused();
    assertThat(refused).hasSize(EgressReport.MAX_ENTRIES + 1).endsWith("... and 30 more refused attempts");
    assertThat(refused.get(0)).isEqualTo("evil0.test:80: not in the egress allow list (add it to @Airlock(egress) or"
        + " airlock.egress.allow)");
  }

  @Test
  void onlyTheCheckedRequestAndItsBodyReachTheServer() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 5, LOOPBACK)) {
      startDefault();
      String authority = "127.0.0.1:" + server.getLocalPort();
      gate.beginCall(rules(authority));
      String start = "POST http://" + authority + "/a HTTP/1.1\r\nHost: " + authority + "\r\n";
      String pipelined = "GET /admin HTTP/1.1\r\nHost: internal.test\r\n\r\n";

      for (String framing : List.of("Content-Length: 5\r\n\r\nhello",
          "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")) {
        CompletableFuture<String> seen = CompletableFuture.supplyAsync(() -> answerOnce(server));
        assertThat(raw(start + framing + pipelined)).startsWith("HTTP/1.1 200 ");
        assertThat(seen.get(5, TimeUnit.SECONDS)).endsWith(framing.substring(framing.indexOf("\r\n\r\n")))
            .doesNotContain("internal.test");
      }
      assertThat(raw(start + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"))
          .startsWith("HTTP/1.1 400 Airlock egress refused " + authority + ": the request has both");
    }
  }

  /** Accepts one connection, keeps what arrives until it is quiet for 300 ms, answers 200 and returns it. */
  private static String answerOnce(ServerSocket server) {
    try (Socket socket = server.accept()) {
      socket.setSoTimeout(300);
      StringBuilder seen = new StringBuilder();
      byte[] buffer = new byte[4096];
      try {
        int n;
        while ((n = socket.getInputStream().read(buffer)) > 0) {
          seen.append(new String(buffer, 0, n, StandardCharsets.ISO_8859_1));
        }
      } catch (SocketTimeoutException e) {
        // quiet: the request is complete
      }
      socket.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
          .getBytes(StandardCharsets.ISO_8859_1));
      return seen.toString();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void hostHeaderNamingAnotherHostIsRefused() throws Exception {
    startDefault();
    gate.beginCall(rules(http()));

    String answer = raw("GET http://" + http() + "/hello HTTP/1.1\r\nHost: evil.test\r\n\r\n");

    assertThat(answer).startsWith("HTTP/1.1 403 Airlock egress refused " + http() + ": the Host header 'evil.test'");
    assertThat(kit.received).isEmpty();
  }

  @Test
  void byteCapCutsALargeDownloadAndIsReported() throws Exception {
    startDefault();
    gate.beginCall(EgressRules.parse(List.of(http()), 256 * 1024, Duration.ofSeconds(10)));

    assertThatThrownBy(() -> get(client(), "http://" + http() + "/big?" + 8 * 1024 * 1024))
        .isInstanceOf(IOException.class);

    EgressReport report = gate.endCall();
    assertThat(report.bytesUp() + report.bytesDown()).isBetween(256L * 1024, 256L * 1024 + 64 * 1024);
    assertThat(report.refused()).singleElement().asString()
        .contains(http() + ": the call moved more than 262144 bytes up and down (maxBytesPerCall)");
  }

  @Test
  void connectionTimeCapCutsASlowResponse() throws Exception {
    startDefault();
    gate.beginCall(EgressRules.parse(List.of(http()), 1 << 20, Duration.ofMillis(700)));
    long start = System.nanoTime();

    assertThatThrownBy(() -> get(client(), "http://" + http() + "/slow")).isInstanceOf(IOException.class);

    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    assertThat(gate.endCall().refused()).singleElement().asString()
        .contains(http() + ": the connection was open longer than 700 ms (maxConnectionTime)");
  }

  @Test
  void slowLorisRequestIsReleasedAtTheHandshakeTimeout() throws Exception {
    start(EgressProxy.builder().handshakeTimeout(Duration.ofMillis(500)));
    gate.beginCall(rules(http()));
    long start = System.nanoTime();

    try (Socket socket = new Socket(LOOPBACK, forwarder.server.getLocalPort())) {
      socket.setSoTimeout(5000);
      OutputStream out = socket.getOutputStream();
      out.write("GET http://".getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      assertThat(socket.getInputStream().read()).isEqualTo(-1);
    }

    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4));
    assertThat(gate.endCall().refused()).containsExactly("request: the request was not complete within 500 ms");
  }

  @Test
  void oversizedHeadsAreRefused() throws Exception {
    startDefault();
    gate.beginCall(rules(http()));
    String start = "GET http://" + http() + "/hello HTTP/1.1\r\nHost: " + http() + "\r\n";

    assertThat(raw(start + "X-Big: " + "a".repeat(20_000) + "\r\n\r\n"))
        .startsWith("HTTP/1.1 431 Airlock egress refused request: the message head is larger than 16384 bytes");
    assertThat(raw(start + "X-Many: 1\r\n".repeat(150) + "\r\n"))
        .startsWith("HTTP/1.1 431 Airlock egress refused request: the message has more than 100 header fields");
    assertThat(kit.received).isEmpty();
  }

  @Test
  void guestChosenTargetsCannotInflateTheCallsReport() throws Exception {
    // The report's refusals go into the audit record (one line) and into the note the model reads: a guest looping
    // over 16 KB authorities, not-allowed names and Host headers must not make each call write megabytes there.
    startDefault();
    gate.beginCall(rules(http()));
    String longName = "a".repeat(60) + ("." + "b".repeat(60)).repeat(250) + ".test";
    for (int i = 0; i < 40; i++) {
      raw("CONNECT " + "x".repeat(15_000) + i + ":443 HTTP/1.1\r\n\r\n");
      raw("CONNECT " + longName + ":443 HTTP/1.1\r\n\r\n");
      raw("GET http://" + http() + "/hello HTTP/1.1\r\nHost: " + "h".repeat(15_000) + "\r\n\r\n");
    }
    EgressReport report = gate.endCall();
    assertThat(report.refused()).hasSize(EgressReport.MAX_ENTRIES + 1);
    assertThat(String.join("; ", report.refused()).length()).isLessThan(64 * 1024);
    assertThat(kit.received).isEmpty();
  }

  @Test
  void connectionsPerWorkerAreCapped() throws Exception {
    start(EgressProxy.builder().maxConnectionsPerGate(2));
    gate.beginCall(rules(http()));
    try (Socket first = new Socket(LOOPBACK, forwarder.server.getLocalPort());
        Socket second = new Socket(LOOPBACK, forwarder.server.getLocalPort())) {
      first.getOutputStream().write('G');
      second.getOutputStream().write('G');
      Thread.sleep(300);

      assertThat(raw("GET http://" + http() + "/hello HTTP/1.1\r\nHost: " + http() + "\r\n\r\n"))
          .startsWith("HTTP/1.1 503 Airlock egress refused connection: the worker has 2 egress connections open");
    }
  }

  @Test
  void aSecretGoesOverPlainHttpOnlyWhenItsConfigurationSaysSo() throws Exception {
    start(EgressProxy.builder().upstreamTrust(EgressTestKit.testTrust())
        .resolver(EgressTestKit.resolver(Map.of("secret.test", LOOPBACK)))
        .secrets(List.of(new SecretInjection("secret.test:" + EgressTestKit.port(kit.https), "Authorization",
            "Bearer s3cr3t-token-value"), new SecretInjection("secret.test:" + EgressTestKit.port(kit.http),
            "Authorization", "Bearer s3cr3t-token-value"))));
    int tlsPort = EgressTestKit.port(kit.https);
    int httpPort = EgressTestKit.port(kit.http);
    gate.beginCall(rules("secret.test:" + tlsPort, "secret.test:" + httpPort, https(), http()));

    HttpResponse<String> plain = get(client(), "http://secret.test:" + httpPort + "/hello");
    assertThat(plain.statusCode()).isEqualTo(403);
    assertThat(plain.body()).contains("only over verified TLS").contains("https://secret.test");
    assertThat(kit.received).as("nothing, least of all the secret, went out in clear text").isEmpty();
    assertThat(get(client(), "https://secret.test:" + tlsPort + "/hello").body()).isEqualTo("hello");
    assertThat(kit.received).hasSize(1);
    assertThat(gate.endCall().refused()).singleElement().asString().contains("only over verified TLS");
  }

  @Test
  void secretIsInjectedReplacingTheClientsCopyAndNeverReachesTheClient() throws Exception {
    String secret = "Bearer s3cr3t-token-value";
    start(EgressProxy.builder().upstreamTrust(EgressTestKit.testTrust())
        .resolver(EgressTestKit.resolver(Map.of("secret.test", LOOPBACK)))
        .secrets(List.of(new SecretInjection("secret.test:" + EgressTestKit.port(kit.https), "Authorization", secret,
            true), new SecretInjection("secret.test:" + EgressTestKit.port(kit.http), "Authorization", secret, true))));
    int tlsPort = EgressTestKit.port(kit.https);
    int httpPort = EgressTestKit.port(kit.http);
    gate.beginCall(rules("secret.test:" + tlsPort, "secret.test:" + httpPort, https(), http()));
    HttpClient client = client();

    for (String url : List.of("https://secret.test:" + tlsPort + "/hello",
        "http://secret.test:" + httpPort + "/hello")) {
      HttpResponse<String> answer = client.send(HttpRequest.newBuilder(URI.create(url))
          .header("Authorization", "Bearer guest-copy").build(), HttpResponse.BodyHandlers.ofString());
      assertThat(answer.body()).isEqualTo("hello");
      assertThat(answer.headers().toString()).doesNotContain("s3cr3t");
    }
    assertThatThrownBy(() -> get(client, "http://secret.test:" + httpPort + "/echo"))
        .as("a server echoing the header").isInstanceOf(IOException.class);

    assertThat(kit.received).hasSize(3).allSatisfy(headers ->
        assertThat(headers.get("Authorization")).containsExactly(secret));
    assertThat(new String(forwarder.bytesToClient(), StandardCharsets.ISO_8859_1)).doesNotContain("s3cr3t")
        .contains("hello");
    EgressReport report = gate.endCall();
    assertThat(report.refused()).containsExactly(
        "secret.test:" + httpPort + ": the server sent back the injected secret; the connection was cut");
    assertThat(report.toString()).doesNotContain("s3cr3t");
  }

  /**
   * A secret names a service, not every port of a host: a tool allowed another port of the secret's host (another
   * service, maybe another tenant's) must not get the credential sent there. Without a port a secret means https on
   * 443 (and http on 80 with plain-http); with one, that port only.
   */
  @Test
  void aSecretIsInjectedOnItsPortOnlyNotOnEveryPortOfItsHost() throws Exception {
    String secret = "Bearer s3cr3t-token-value";
    int tlsPort = EgressTestKit.port(kit.https);
    int httpPort = EgressTestKit.port(kit.http);
    start(EgressProxy.builder().upstreamTrust(EgressTestKit.testTrust())
        .resolver(EgressTestKit.resolver(Map.of("secret.test", LOOPBACK)))
        .secrets(List.of(new SecretInjection("secret.test", "Authorization", secret, true))));
    gate.beginCall(rules("secret.test:" + tlsPort, "secret.test:" + httpPort, https(), http()));

    assertThat(get(client(), "https://secret.test:" + tlsPort + "/hello").body()).isEqualTo("hello");
    assertThat(get(client(), "http://secret.test:" + httpPort + "/hello").body()).isEqualTo("hello");

    assertThat(kit.received).hasSize(2).allSatisfy(headers ->
        assertThat(headers).as("the secret is for secret.test's default ports").doesNotContainKey("Authorization"));
    gate.endCall();
  }

  @Test
  void aSecretWithAPortIsInjectedThereOnly() throws Exception {
    String secret = "Bearer s3cr3t-token-value";
    int tlsPort = EgressTestKit.port(kit.https);
    int httpPort = EgressTestKit.port(kit.http);
    SecretInjection injection = new SecretInjection("secret.test:" + tlsPort, "Authorization", secret);
    assertThat(injection.host()).isEqualTo("secret.test");
    assertThat(injection.port()).isEqualTo(tlsPort);
    start(EgressProxy.builder().upstreamTrust(EgressTestKit.testTrust())
        .resolver(EgressTestKit.resolver(Map.of("secret.test", LOOPBACK))).secrets(List.of(injection)));
    gate.beginCall(rules("secret.test:" + tlsPort, "secret.test:" + httpPort, https(), http()));

    assertThat(get(client(), "https://secret.test:" + tlsPort + "/hello").body()).isEqualTo("hello");
    assertThat(get(client(), "http://secret.test:" + httpPort + "/hello").body()).isEqualTo("hello");

    assertThat(kit.received).hasSize(2);
    assertThat(kit.received.get(0).get("Authorization")).containsExactly(secret);
    assertThat(kit.received.get(1)).doesNotContainKey("Authorization");
    gate.endCall();
  }

  @Test
  void injectedHostSpeaksOnlyHttp1SoEveryRequestIsRead() throws Exception {
    start(EgressProxy.builder().upstreamTrust(EgressTestKit.testTrust())
        .resolver(EgressTestKit.resolver(Map.of("secret.test", LOOPBACK)))
        .secrets(List.of(new SecretInjection("secret.test:" + EgressTestKit.port(kit.https), "Authorization",
            "Bearer s3cr3t"))));
    int port = EgressTestKit.port(kit.https);
    gate.beginCall(rules("secret.test:" + port, https()));

    handshakeThroughTunnel("secret.test:" + port, "secret.test", "h2", "http/1.1");
    assertThatThrownBy(() -> handshakeThroughTunnel("secret.test:" + port, "secret.test", "h2"))
        .isInstanceOf(IOException.class);
    assertThat(kit.received).isEmpty();
  }

  @Test
  void closingTheProxyUnlinksItsSocketsAndEndsItsThreads() throws Exception {
    startDefault();
    Path socket = folder.resolve("egress.sock");
    assertThat(Files.getPosixFilePermissions(socket)).isEqualTo(PosixFilePermissions.fromString("rw-rw-rw-"));
    gate.beginCall(rules(http()));
    assertThat(get(client(), "http://" + http() + "/hello").body()).isEqualTo("hello");

    proxy.close();

    assertThat(socket).doesNotExist();
    long deadline = System.nanoTime() + Duration.ofSeconds(4).toNanos();
    while (egressThreads() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertThat(egressThreads()).isZero();
  }

  private static long egressThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(thread -> thread.getName().startsWith("airlock-egress-") && thread.isAlive()).count();
  }

  @Test
  void injectedHostWithAnUntrustedCertificateIsRefused() throws Exception {
    start(EgressProxy.builder().upstreamTrust(EgressTestKit.testTrust())
        .resolver(EgressTestKit.resolver(Map.of("secret.test", LOOPBACK)))
        .secrets(List.of(new SecretInjection("secret.test:" + EgressTestKit.port(kit.untrusted), "Authorization",
            "Bearer s3cr3t"))));
    int port = EgressTestKit.port(kit.untrusted);
    gate.beginCall(rules("secret.test:" + port, "127.0.0.1:" + port));

    HttpsURLConnection connection = (HttpsURLConnection) URI.create("https://secret.test:" + port + "/hello")
        .toURL().openConnection(forwarder.proxy());
    connection.setSSLSocketFactory(EgressTestKit.clientContext(proxy).getSocketFactory());
    assertThatThrownBy(connection::getResponseCode).isInstanceOf(IOException.class)
        .hasMessageContaining("502 Airlock egress refused secret.test:" + port + ": TLS to the server failed");

    assertThat(gate.endCall().refused()).singleElement().asString().startsWith("secret.test:" + port + ": TLS");
    assertThat(kit.received).isEmpty();
  }

  @Test
  void workerTrustStoreHoldsThePoolCaWithoutItsKeyOnlyWhenSecretsAreConfigured() throws Exception {
    try (EgressProxy plain = EgressProxy.builder().build()) {
      assertThat(plain.workerTrustStorePkcs12()).isEmpty();
    }
    SecretInjection injection = new SecretInjection("api.example", "Authorization", "Bearer s3cr3t");
    assertThat(injection.toString()).doesNotContain("s3cr3t");
    try (EgressProxy withSecret = EgressProxy.builder().secrets(List.of(injection)).build()) {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(new ByteArrayInputStream(withSecret.workerTrustStorePkcs12().orElseThrow()),
          EgressProxy.WORKER_TRUSTSTORE_PASSWORD.toCharArray());
      assertThat(store.isCertificateEntry("airlock-egress-pool-ca")).isTrue();
      assertThat(Collections.list(store.aliases())).hasSizeGreaterThan(50)
          .noneMatch(alias -> isKey(store, alias));
    }
  }

  private static boolean isKey(KeyStore store, String alias) {
    try {
      return store.isKeyEntry(alias);
    } catch (KeyStoreException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The head the server received: up to its blank line. */
  private static String headOf(String received) {
    int end = received.indexOf("\r\n\r\n");
    return end < 0 ? received : received.substring(0, end + 2);
  }

  @Test
  void connectionHeaderCannotRemoveTheFramingTheProxyCopiedTheBodyBy() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 5, LOOPBACK)) {
      startDefault();
      String authority = "127.0.0.1:" + server.getLocalPort();
      gate.beginCall(rules(authority));
      String start = "POST http://" + authority + "/a HTTP/1.1\r\nHost: " + authority + "\r\n";
      String smuggled = "GET /admin HTTP/1.1\r\nHost: internal.test\r\n\r\n";

      // Were the named field removed, the server would read the body as a second request with an unchecked Host.
      for (String framing : List.of(
          "Transfer-Encoding: chunked\r\nConnection: transfer-encoding\r\n\r\n"
              + Integer.toHexString(smuggled.length()) + "\r\n" + smuggled + "\r\n0\r\n\r\n",
          "Content-Length: " + smuggled.length() + "\r\nConnection: content-length\r\n\r\n" + smuggled)) {
        CompletableFuture<String> seen = CompletableFuture.supplyAsync(() -> answerOnce(server));
        raw(start + framing);
        String head = headOf(seen.get(5, TimeUnit.SECONDS));
        assertThat(head).containsIgnoringCase(framing.substring(0, framing.indexOf(':')) + ": ")
            .doesNotContain("internal.test");
      }
    }
  }

  @Test
  void chunkedBodyIsParsedStrictlySoNoRequestHidesInItsTrailer() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 5, LOOPBACK)) {
      startDefault();
      String authority = "127.0.0.1:" + server.getLocalPort();
      gate.beginCall(rules(authority));
      String start = "POST http://" + authority + "/a HTTP/1.1\r\nHost: " + authority
          + "\r\nTransfer-Encoding: chunked\r\n\r\n";
      String smuggled = "GET /admin HTTP/1.1\r\nHost: internal.test\r\n\r\n";

      // "0x2c" is 0 to a parser stopping at the first non-digit, 44 to one taking a 0x prefix; "a\n" ends the
      // trailer to a parser that takes any short line as its end.
      for (String body : List.of("0x2c\r\n" + smuggled, "0\r\na\n" + smuggled, "0\r\n" + smuggled)) {
        CompletableFuture<String> seen = CompletableFuture.supplyAsync(() -> answerOnce(server));
        raw(start + body);
        assertThat(seen.get(5, TimeUnit.SECONDS)).doesNotContain("internal.test");
      }
      assertThat(gate.endCall().refused()).hasSize(3);
    }
  }

  @Test
  void requestLineWithAControlCharacterIsRefused() throws Exception {
    startDefault();
    gate.beginCall(rules(http()));

    for (String target : List.of("/x\rHost:evil.test", "/x\tHost:evil.test", "/x\u0085y")) {
      assertThat(raw("GET http://" + http() + target + " HTTP/1.1\r\nHost: " + http() + "\r\n\r\n"))
          .startsWith("HTTP/1.1 400 Airlock egress refused request: the request line");
    }
    assertThat(kit.received).isEmpty();
  }

  @Test
  void secretEchoedAcrossAChunkBoundaryIsCut() throws Exception {
    String secret = "Bearer sk-live-4f9a1c7e2b8d6f0a3c5e7b9d1f2a4c6e";
    HttpServer echo = HttpServer.create(new InetSocketAddress(LOOPBACK, 0), 0);
    // A streaming echo: the JDK server sends it chunked, 4096 bytes a chunk.
    echo.createContext("/", exchange -> {
      exchange.getRequestBody().readAllBytes();
      exchange.sendResponseHeaders(200, 0);
      try (OutputStream body = exchange.getResponseBody()) {
        body.write(("pad=" + exchange.getRequestHeaders().getFirst("X-Pad") + "\nauth="
            + exchange.getRequestHeaders().getFirst("Authorization") + "\n").getBytes(StandardCharsets.ISO_8859_1));
      }
    });
    echo.start();
    try {
      int port = echo.getAddress().getPort();
      start(EgressProxy.builder().resolver(EgressTestKit.resolver(Map.of("secret.test", LOOPBACK)))
          .secrets(List.of(new SecretInjection("secret.test:" + port, "Authorization", secret, true))));
      gate.beginCall(rules("secret.test:" + port, "127.0.0.1:" + port));

      for (int split : List.of(1, secret.length() / 2, secret.length() - 1)) {
        // The guest pads so that the first chunk ends `split` characters into the echoed value.
        String pad = "p".repeat(4096 - "pad=".length() - "\nauth=".length() - split);
        String seen;
        try {
          seen = client().send(HttpRequest.newBuilder(URI.create("http://secret.test:" + port + "/"))
              .header("X-Pad", pad).timeout(Duration.ofSeconds(10)).build(),
              HttpResponse.BodyHandlers.ofString(StandardCharsets.ISO_8859_1)).body();
        } catch (IOException e) {
          seen = ""; // cut by the proxy
        }
        assertThat(seen).doesNotContain(secret.substring(7));
      }
      assertThat(gate.endCall().hostsContacted()).containsExactly("secret.test:" + port);
    } finally {
      echo.stop(0);
    }
  }

  @Test
  void aConnectionDoesNotOutliveItsCall() throws Exception {
    startDefault();
    gate.beginCall(rules(http()));
    try (Socket socket = new Socket(LOOPBACK, forwarder.server.getLocalPort())) {
      socket.setSoTimeout(5000);
      socket.getOutputStream().write(("GET http://" + http() + "/slow HTTP/1.1\r\nHost: " + http() + "\r\n\r\n")
          .getBytes(StandardCharsets.ISO_8859_1));
      assertThat(readHead(socket.getInputStream())).startsWith("HTTP/1.1 200 ");
      long start = System.nanoTime();

      gate.endCall();

      InputStream in = socket.getInputStream();
      while (in.read() >= 0) {
        // the dots the server sent before the call ended
      }
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4));
    }
  }

  @Test
  void ofSeveralAddressesOnlyOneTheRulesAllowIsConnectedTo() throws Exception {
    InetAddress ten = InetAddress.getByAddress(new byte[] {10, 0, 0, 1});
    InetAddress metadata = InetAddress.getByAddress(new byte[] {(byte) 169, (byte) 254, (byte) 169, (byte) 254});
    Map<String, List<InetAddress>> names = Map.of("mixed.test", List.of(ten, metadata, LOOPBACK),
        "private.test", List.of(ten, metadata));
    start(EgressProxy.builder().resolver(name -> names.get(name)));
    int port = EgressTestKit.port(kit.http);
    gate.beginCall(rules("mixed.test:" + port, "private.test:" + port, http()));

    assertThat(get(client(), "http://mixed.test:" + port + "/hello").body()).isEqualTo("hello");
    assertThat(get(client(), "http://private.test:" + port + "/hello").statusCode()).isEqualTo(403);
    assertThat(kit.received).hasSize(1);
  }

  @Test
  void numericHostNamesAreJudgedByTheAddressTheyResolveTo() throws Exception {
    start(EgressProxy.builder()); // the system resolver, which reads 2130706433 and 127.1 as 127.0.0.1
    int port = EgressTestKit.port(kit.http);
    gate.beginCall(rules("2130706433:" + port, "127.1:" + port, "0x7f.1:" + port, "017700000001:" + port));

    for (String host : List.of("2130706433", "127.1", "0x7f.1", "017700000001")) {
      String authority = host + ":" + port;
      assertThat(raw("GET http://" + authority + "/hello HTTP/1.1\r\nHost: " + authority + "\r\n\r\n"))
          .as(host).matches("HTTP/1.1 (403|502) Airlock egress refused (?s).*");
    }
    assertThat(kit.received).isEmpty();
  }

  @Test
  void insideAnInjectedTunnelTheRequestMustNameTheHostAndOnlyOneIsRelayed() throws Exception {
    start(EgressProxy.builder().upstreamTrust(EgressTestKit.testTrust())
        .resolver(EgressTestKit.resolver(Map.of("secret.test", LOOPBACK)))
        .secrets(List.of(new SecretInjection("secret.test:" + EgressTestKit.port(kit.https), "Authorization",
            "Bearer s3cr3t-token-value"))));
    int port = EgressTestKit.port(kit.https);
    String authority = "secret.test:" + port;
    gate.beginCall(rules(authority, https()));

    for (String request : List.of("GET /hello HTTP/1.1\r\nHost: evil.test\r\n\r\n",
        "GET http://evil.test/hello HTTP/1.1\r\nHost: evil.test\r\n\r\n",
        "TRACE /hello HTTP/1.1\r\nHost: " + authority + "\r\n\r\n")) {
      try (SSLSocket tls = tlsThroughTunnel(authority, "secret.test")) {
        tls.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
        assertThat(readHead(tls.getInputStream())).matches("HTTP/1.1 4\\d\\d Airlock egress refused (?s).*");
      }
    }
    assertThat(kit.received).isEmpty();

    try (SSLSocket tls = tlsThroughTunnel(authority, "secret.test")) {
      String one = "GET /hello HTTP/1.1\r\nHost: " + authority + "\r\n\r\n";
      tls.getOutputStream().write((one + one.replace("/hello", "/echo")).getBytes(StandardCharsets.ISO_8859_1));
      String answer = new String(tls.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
      assertThat(answer).startsWith("HTTP/1.1 200 ").endsWith("hello").doesNotContain("s3cr3t");
    }
    assertThat(kit.received).hasSize(1);
  }

  @Test
  void aGateServesOnlyItsOwnWorkersCall() throws Exception {
    startDefault();
    EgressGate other = proxy.openGate(folder.resolve("other.sock"));
    EgressTestKit.Forwarder otherForwarder = kit.forwarder(folder.resolve("other.sock"));
    gate.beginCall(rules(http()));
    String request = "GET http://" + http() + "/hello HTTP/1.1\r\nHost: " + http() + "\r\n\r\n";

    try (Socket socket = new Socket(LOOPBACK, otherForwarder.server.getLocalPort())) {
      socket.setSoTimeout(5000);
      socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      assertThat(new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1))
          .startsWith("HTTP/1.1 403 Airlock egress refused request: no tool call is running");
    }
    other.beginCall(rules("api.test"));
    try (Socket socket = new Socket(LOOPBACK, otherForwarder.server.getLocalPort())) {
      socket.setSoTimeout(5000);
      socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      assertThat(new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1))
          .startsWith("HTTP/1.1 403 Airlock egress refused " + http() + ": IP addresses");
    }
    assertThat(other.endCall().refused()).hasSize(1);
    assertThat(gate.endCall().refused()).isEmpty();
    assertThat(kit.received).isEmpty();
  }

  @Test
  void byteCapCutsALargeUpload() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 5, LOOPBACK)) {
      startDefault();
      String authority = "127.0.0.1:" + server.getLocalPort();
      gate.beginCall(EgressRules.parse(List.of(authority), 64 * 1024, Duration.ofSeconds(10)));
      CompletableFuture<String> seen = CompletableFuture.supplyAsync(() -> answerOnce(server));

      try (Socket socket = new Socket(LOOPBACK, forwarder.server.getLocalPort())) {
        OutputStream out = socket.getOutputStream();
        out.write(("POST http://" + authority + "/up HTTP/1.1\r\nHost: " + authority + "\r\nContent-Length: "
            + (4 << 20) + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        try {
          for (int i = 0; i < 256; i++) {
            out.write(new byte[16 * 1024]);
          }
        } catch (IOException e) {
          // cut: the forwarder may also have taken it all into its socket buffers first
        }
      }

      assertThat(seen.get(5, TimeUnit.SECONDS).length()).isLessThan(64 * 1024 + 16 * 1024);
      assertThat(gate.endCall().refused()).singleElement().asString().contains("maxBytesPerCall");
    }
  }

  /** A real ClientHello record naming {@code serverName}, as the JDK's TLS client writes it. */
  private static byte[] clientHello(String serverName) throws Exception {
    SSLEngine engine = SSLContext.getDefault().createSSLEngine(serverName, 443);
    engine.setUseClientMode(true);
    SSLParameters parameters = engine.getSSLParameters();
    parameters.setServerNames(List.of(new SNIHostName(serverName)));
    engine.setSSLParameters(parameters);
    ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
    engine.wrap(ByteBuffer.allocate(0), out);
    return Arrays.copyOf(out.array(), out.position());
  }

  @Test
  void clientHelloFragmentedOverTwoRecordsClosesTheTunnel() throws Exception {
    startDefault();
    int port = EgressTestKit.port(kit.https);
    String authority = "api.test:" + port;
    gate.beginCall(rules(authority, https()));
    byte[] record = clientHello("api.test");
    int length = record.length - 5;
    int first = 40; // the server name extension comes after the first 40 bytes of the handshake message
    byte[] split = new byte[record.length + 5];
    System.arraycopy(record, 0, split, 0, 5 + first);
    split[3] = (byte) (first >> 8);
    split[4] = (byte) first;
    split[5 + first] = 22;
    split[6 + first] = record[1];
    split[7 + first] = record[2];
    split[8 + first] = (byte) ((length - first) >> 8);
    split[9 + first] = (byte) (length - first);
    System.arraycopy(record, 5 + first, split, 10 + first, length - first);

    try (Socket socket = new Socket(LOOPBACK, forwarder.server.getLocalPort())) {
      socket.setSoTimeout(5000);
      socket.getOutputStream().write(("CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority + "\r\n\r\n")
          .getBytes(StandardCharsets.ISO_8859_1));
      assertThat(readHead(socket.getInputStream())).startsWith("HTTP/1.1 200 ");
      socket.getOutputStream().write(split);
      assertThat(socket.getInputStream().read()).isEqualTo(-1);
    }

    assertThat(gate.endCall().refused()).singleElement().asString().contains("spans more than one record");
  }

  @Test
  void anInjectedHostAnswersUncompressedOrIsCutSoAnEchoIsSeen() throws Exception {
    String secret = "Bearer sk-live-4f9a1c7e2b8d6f0a3c5e7b9d1f2a4c6e";
    HttpServer echo = HttpServer.create(new InetSocketAddress(LOOPBACK, 0), 0);
    // An echo that compresses when the client accepts it, as most web servers do.
    echo.createContext("/", exchange -> {
      exchange.getRequestBody().readAllBytes();
      byte[] text = ("auth=" + exchange.getRequestHeaders().getFirst("Authorization"))
          .getBytes(StandardCharsets.ISO_8859_1);
      String accepted = exchange.getRequestHeaders().getFirst("Accept-Encoding");
      if (accepted != null && accepted.contains("gzip") || exchange.getRequestURI().getPath().equals("/always")) {
        ByteArrayOutputStream zipped = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(zipped)) {
          gzip.write(text);
        }
        text = zipped.toByteArray();
        exchange.getResponseHeaders().add("Content-Encoding", "gzip");
      }
      exchange.sendResponseHeaders(200, text.length);
      try (OutputStream body = exchange.getResponseBody()) {
        body.write(text);
      }
    });
    echo.start();
    try {
      int port = echo.getAddress().getPort();
      start(EgressProxy.builder().resolver(EgressTestKit.resolver(Map.of("secret.test", LOOPBACK)))
          .secrets(List.of(new SecretInjection("secret.test:" + port, "Authorization", secret, true))));
      gate.beginCall(rules("secret.test:" + port, "127.0.0.1:" + port));

      // "/always" first: an echo spends the worker's secrets, and a compressed answer is refused before any is read.
      for (String path : List.of("/always", "/")) {
        byte[] seen;
        try {
          HttpResponse<byte[]> answer = client().send(HttpRequest.newBuilder(URI.create("http://secret.test:" + port
              + path)).header("Accept-Encoding", "gzip").timeout(Duration.ofSeconds(10)).build(),
              HttpResponse.BodyHandlers.ofByteArray());
          seen = answer.headers().firstValue("Content-Encoding").isPresent()
              ? new GZIPInputStream(new ByteArrayInputStream(answer.body())).readAllBytes() : answer.body();
        } catch (IOException e) {
          seen = new byte[0]; // cut by the proxy
        }
        assertThat(new String(seen, StandardCharsets.ISO_8859_1)).as(path).doesNotContain(secret.substring(7));
      }

      EgressReport report = gate.endCall();
      assertThat(report.hostsContacted()).containsExactly("secret.test:" + port);
      assertThat(report.refused()).hasSize(2).first().asString().contains("compressed");
    } finally {
      echo.stop(0);
    }
  }
}
