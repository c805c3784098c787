package dev.airlock.internal.egress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The egress proxy with real sockets: a JDK HttpClient in front (through a TCP-to-Unix forwarder, as in a
 * sandbox), real HTTP and HTTPS servers behind, and a TLS chain made by the test.
 */
class EgressProxyTest {
  private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

  @TempDir
  Path folder;

  private EgressTestKit kit;
  private EgressProxy proxy;
  private EgressGate gate;
  private EgressTestKit.Forwarder forwarder;

  @BeforeEach
  void setUp() throws Exception {
    kit = new EgressTestKit();
  }

  @AfterEach
  void tearDown() throws Exception {
    if (proxy != null) {
      proxy.close();
    }
    kit.close();
  }

  private void start(EgressProxy.Builder builder) throws IOException {
    proxy = builder.build();
    gate = proxy.openGate(folder.resolve("egress.sock"));
    forwarder = kit.forwarder(folder.resolve("egress.sock"));
  }

  private void startDefault() throws IOException {
    start(EgressProxy.builder().upstreamTrust(EgressTestKit.testTrust()).resolver(EgressTestKit.resolver(Map.of(
        "api.test", LOOPBACK, "x.api.test", LOOPBACK, "evil.test", LOOPBACK, "secret.test", LOOPBACK))));
  }

  private static EgressRules rules(String... entries) {
    return EgressRules.parse(List.of(entries), EgressRules.DEFAULT_MAX_BYTES_PER_CALL, Duration.ofSeconds(10));
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
}
