package dev.airlock.internal.egress;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import org.junit.jupiter.api.Test;

/**
 * Attacks on what the proxy checks in the bytes it relays, by a guest and by an upstream that echoes: a check made on
 * the first message head must hold for every head that follows it, and a check of the TLS server name must see the
 * name the server will serve.
 */
class EgressEvasionTest extends ProxyTestBase {
  /**
   * An upstream that echoes the injected header compressed, after a head the proxy reads first: an interim 1xx
   * response (which any server may send, and sends for {@code Expect: 100-continue}), or a transfer coding that
   * compresses. The proxy's "answer compressed although asked not to" check looked at the first head only, and at
   * Content-Encoding only, so the echo reached the guest gzipped, where the secret watch cannot see it.
   */
  @Test
  void aCompressedEchoBehindAnInterimResponseOrATransferCodingIsRefused() throws Exception {
    byte[] random = new byte[20];
    new SecureRandom().nextBytes(random);
    String secret = "Bearer sk-live-" + HexFormat.of().formatHex(random);
    byte[] zipped = gzip("auth=" + secret);
    Map<String, byte[]> answers = Map.of(
        "/continue", concat("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n"
            + "Content-Length: " + zipped.length + "\r\n\r\n", zipped),
        "/hints", concat("HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\n"
            + "Content-Encoding: gzip\r\nContent-Length: " + zipped.length + "\r\n\r\n", zipped),
        "/transfer", concat(concat("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
            + Integer.toHexString(zipped.length) + "\r\n", zipped),
            "\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
    try (ServerSocket echo = new ServerSocket(0, 50, LOOPBACK)) {
      Thread server = new Thread(() -> serve(echo, secret, answers), "compressing-echo");
      server.setDaemon(true);
      server.start();
      int port = echo.getLocalPort();
      start(EgressProxy.builder().resolver(EgressTestKit.resolver(Map.of("secret.test", LOOPBACK)))
          .secrets(List.of(new SecretInjection("secret.test:" + port, "Authorization", secret, true))));
      gate.beginCall(rules("secret.test:" + port, "127.0.0.1:" + port));

      for (String path : answers.keySet()) {
        byte[] seen = raw("GET http://secret.test:" + port + path + " HTTP/1.1\r\nHost: secret.test:" + port
            + "\r\nExpect: 100-continue\r\n\r\n");
        assertThat(new String(gunzipAfterMagic(seen), StandardCharsets.ISO_8859_1)).as(path)
            .doesNotContain(secret.substring(7, 30));
      }
      assertThat(gate.endCall().refused()).as("each answer refused").hasSize(answers.size())
          .allSatisfy(entry -> assertThat(entry).asString().contains("compress"));
    }
  }

  /**
   * TLS Encrypted Client Hello: the ClientHello the proxy reads names the CONNECT host in its outer SNI, and the
   * server name that the front end serves is inside the encrypted extension. A front end shared by many sites (a CDN
   * that supports ECH) then serves a host the rules never allowed, and the SNI check was passed. The legacy ESNI
   * extension hides the name the same way. The proxy must refuse a ClientHello carrying either.
   */
  @Test
  void aClientHelloThatEncryptsItsRealServerNameIsRefused() throws Exception {
    start(EgressProxy.builder().upstreamTrust(EgressTestKit.testTrust()).resolver(EgressTestKit.resolver(Map.of(
        "api.test", LOOPBACK))));
    int port = EgressTestKit.port(kit.https);
    String authority = "api.test:" + port;
    gate.beginCall(rules(authority, "127.0.0.1:" + port));
    for (int extension : new int[] {0xfe0d, 0xffce}) {
      byte[] hello = withExtension(clientHello("api.test"), extension, new byte[64]);
      try (Socket socket = new Socket(LOOPBACK, forwarder.server.getLocalPort())) {
        socket.setSoTimeout(5000);
        socket.getOutputStream().write(("CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority + "\r\n\r\n")
            .getBytes(StandardCharsets.ISO_8859_1));
        assertThat(readHead(socket.getInputStream())).startsWith("HTTP/1.1 200 ");
        socket.getOutputStream().write(hello);
        int first;
        try {
          first = socket.getInputStream().read();
        } catch (SocketTimeoutException e) {
          first = -2;
        }
        assertThat(first).as("the tunnel of a ClientHello with extension 0x%04x is closed unanswered", extension)
            .isEqualTo(-1);
      }
    }
    assertThat(gate.endCall().refused()).hasSize(2).allSatisfy(entry -> assertThat(entry).asString()
        .contains("encrypt"));
  }

  /**
   * Inside a tunnel the proxy terminates (a host with a secret), the guest renegotiates TLS over and over while its
   * request body is open: each full handshake costs the host a key exchange and a signature with the leaf key, on a
   * proxy thread no sandbox limit applies to, for as long as the connection may live. The proxy's TLS must offer no
   * renegotiation.
   */
  @Test
  void aGuestCannotRenegotiateTlsInsideATerminatedTunnel() throws Exception {
    start(EgressProxy.builder().upstreamTrust(EgressTestKit.testTrust())
        .resolver(EgressTestKit.resolver(Map.of("secret.test", LOOPBACK)))
        .secrets(List.of(new SecretInjection("secret.test:" + EgressTestKit.port(kit.https), "Authorization",
            "Bearer s3cr3t-token-value-0123"))));
    int port = EgressTestKit.port(kit.https);
    String authority = "secret.test:" + port;
    gate.beginCall(rules(authority, "127.0.0.1:" + port));
    int renegotiated = 0;
    try (Socket socket = new Socket(LOOPBACK, forwarder.server.getLocalPort())) {
      socket.setSoTimeout(5000);
      socket.getOutputStream().write(("CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority + "\r\n\r\n")
          .getBytes(StandardCharsets.ISO_8859_1));
      assertThat(readHead(socket.getInputStream())).startsWith("HTTP/1.1 200 ");
      javax.net.ssl.SSLSocket tls = (javax.net.ssl.SSLSocket) EgressTestKit.clientContext(proxy).getSocketFactory()
          .createSocket(socket, "secret.test", port, true);
      tls.setEnabledProtocols(new String[] {"TLSv1.2"}); // TLS 1.3 has no renegotiation
      java.util.concurrent.atomic.AtomicInteger handshakes = new java.util.concurrent.atomic.AtomicInteger();
      tls.addHandshakeCompletedListener(event -> handshakes.incrementAndGet());
      try {
        tls.startHandshake();
        tls.getOutputStream().write(("POST /echo HTTP/1.1\r\nHost: " + authority + "\r\nTransfer-Encoding: chunked"
            + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        tls.getOutputStream().flush();
        long end = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        while (System.nanoTime() < end && handshakes.get() < 20) {
          int before = handshakes.get();
          tls.getSession().invalidate();
          tls.startHandshake(); // sends the ClientHello; the proxy's reads of the body complete it
          tls.getOutputStream().write("1\r\nx\r\n".getBytes(StandardCharsets.ISO_8859_1));
          tls.getOutputStream().flush();
          tls.setSoTimeout(100);
          while (handshakes.get() == before && System.nanoTime() < end) {
            try {
              if (tls.getInputStream().read() < 0) {
                throw new IOException("closed");
              }
            } catch (SocketTimeoutException e) {
              // the read processed what handshake records arrived; nothing else is due
            }
          }
        }
      } catch (IOException e) {
        // refused: the connection ends
      }
      renegotiated = Math.max(0, handshakes.get() - 1);
    }
    assertThat(renegotiated).as("full handshakes the guest made the host's proxy do after the first").isZero();
  }

  // ------------------------------------------------------------------------------------------------ helpers

  private byte[] raw(String request) throws IOException {
    try (Socket socket = new Socket(LOOPBACK, forwarder.server.getLocalPort())) {
      socket.setSoTimeout(5000);
      socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      return socket.getInputStream().readAllBytes();
    } catch (SocketTimeoutException e) {
      return new byte[0];
    }
  }

  /** Answers each request with the bytes for its path once it has seen the secret in it (it is an echo). */
  private static void serve(ServerSocket server, String secret, Map<String, byte[]> answers) {
    while (!server.isClosed()) {
      try (Socket client = server.accept()) {
        client.setSoTimeout(5000);
        String head = readHead(client.getInputStream());
        String path = head.split(" ", 3)[1];
        OutputStream out = client.getOutputStream();
        if (head.contains(secret) && answers.containsKey(path)) {
          out.write(answers.get(path));
        } else {
          out.write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        out.flush();
      } catch (IOException | RuntimeException e) {
        // the proxy cut the connection, or the test ended
      }
    }
  }

  private static byte[] gzip(String text) throws IOException {
    ByteArrayOutputStream zipped = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(zipped)) {
      out.write(text.getBytes(StandardCharsets.ISO_8859_1));
    }
    return zipped.toByteArray();
  }

  /** What a guest would decode: the gzip stream that starts at the first gzip magic, as far as it goes. */
  private static byte[] gunzipAfterMagic(byte[] bytes) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i + 1 < bytes.length; i++) {
      if ((bytes[i] & 0xFF) == 0x1f && (bytes[i + 1] & 0xFF) == 0x8b) {
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(bytes, i, bytes.length - i))) {
          int b;
          while ((b = in.read()) >= 0) {
            out.write(b);
          }
        } catch (IOException e) {
          // as far as it goes
        }
        break;
      }
    }
    return out.toByteArray();
  }

  private static byte[] concat(String head, byte[] body) {
    return concat(head.getBytes(StandardCharsets.ISO_8859_1), body);
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  /** A real ClientHello record naming {@code serverName}, as the JDK's TLS client writes it. */
  static byte[] clientHello(String serverName) throws Exception {
    SSLEngine engine = SSLContext.getDefault().createSSLEngine(serverName, 443);
    engine.setUseClientMode(true);
    SSLParameters parameters = engine.getSSLParameters();
    parameters.setServerNames(List.of(new SNIHostName(serverName)));
    engine.setSSLParameters(parameters);
    ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
    engine.wrap(ByteBuffer.allocate(0), out);
    return Arrays.copyOf(out.array(), out.position());
  }

  /** {@code record} (one ClientHello in one record) with extension {@code type} appended, every length fixed. */
  static byte[] withExtension(byte[] record, int type, byte[] body) {
    int added = 4 + body.length;
    byte[] out = Arrays.copyOf(record, record.length + added);
    out[out.length - added] = (byte) (type >> 8);
    out[out.length - added + 1] = (byte) type;
    out[out.length - added + 2] = (byte) (body.length >> 8);
    out[out.length - added + 3] = (byte) body.length;
    System.arraycopy(body, 0, out, out.length - body.length, body.length);
    int recordLength = ((record[3] & 0xFF) << 8 | (record[4] & 0xFF)) + added;
    out[3] = (byte) (recordLength >> 8);
    out[4] = (byte) recordLength;
    int helloLength = ((record[6] & 0xFF) << 16 | (record[7] & 0xFF) << 8 | (record[8] & 0xFF)) + added;
    out[6] = (byte) (helloLength >> 16);
    out[7] = (byte) (helloLength >> 8);
    out[8] = (byte) helloLength;
    int at = 9 + 2 + 32; // version, random
    at += 1 + (record[at] & 0xFF); // session id
    at += 2 + ((record[at] & 0xFF) << 8 | (record[at + 1] & 0xFF)); // cipher suites
    at += 1 + (record[at] & 0xFF); // compression methods
    int extensionsLength = ((record[at] & 0xFF) << 8 | (record[at + 1] & 0xFF)) + added;
    out[at] = (byte) (extensionsLength >> 8);
    out[at + 1] = (byte) extensionsLength;
    return out;
  }
}
