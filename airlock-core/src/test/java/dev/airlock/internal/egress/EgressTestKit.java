package dev.airlock.internal.egress;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.airlock.internal.wire.ChannelStreams;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.UnixDomainSocketAddress;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import okhttp3.tls.HandshakeCertificates;
import okhttp3.tls.HeldCertificate;

/**
 * Real parts for the egress tests: a test CA, HTTP and HTTPS servers on loopback that record the headers they
 * receive, a TCP-to-Unix-socket forwarder standing in for the in-sandbox one (it keeps every byte it hands back to
 * the client), and a JDK HttpClient that uses it as its proxy.
 */
final class EgressTestKit implements AutoCloseable {
  static final HeldCertificate TEST_CA = new HeldCertificate.Builder().certificateAuthority(0)
      .commonName("egress test CA").build();
  static final HeldCertificate OTHER_CA = new HeldCertificate.Builder().certificateAuthority(0)
      .commonName("untrusted test CA").build();

  final HttpServer http;
  final HttpsServer https;
  final HttpsServer untrusted;
  final List<Map<String, List<String>>> received = new CopyOnWriteArrayList<>();
  private final ExecutorService executor = Executors.newCachedThreadPool();
  private final List<AutoCloseable> closeables = new ArrayList<>();

  EgressTestKit() throws IOException {
    http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    https = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    https.setHttpsConfigurator(new HttpsConfigurator(serverContext(TEST_CA)));
    untrusted = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    untrusted.setHttpsConfigurator(new HttpsConfigurator(serverContext(OTHER_CA)));
    for (HttpServer server : List.of(http, https, untrusted)) {
      server.createContext("/", this::handle);
      server.setExecutor(executor);
      server.start();
    }
  }

  private static SSLContext serverContext(HeldCertificate ca) {
    HeldCertificate leaf = new HeldCertificate.Builder().commonName("egress test server")
        .addSubjectAlternativeName("api.test").addSubjectAlternativeName("x.api.test")
        .addSubjectAlternativeName("secret.test").addSubjectAlternativeName("127.0.0.1")
        .signedBy(ca).build();
    return new HandshakeCertificates.Builder().heldCertificate(leaf, ca.certificate()).build().sslContext();
  }

  /** /hello answers "hello"; /big?n answers n bytes; /slow streams a byte a second; /echo answers the headers. */
  private void handle(HttpExchange exchange) throws IOException {
    received.add(Map.copyOf(exchange.getRequestHeaders()));
    exchange.getRequestBody().readAllBytes();
    String path = exchange.getRequestURI().getPath();
    try (OutputStream body = exchange.getResponseBody()) {
      if (path.equals("/big")) {
        long size = Long.parseLong(exchange.getRequestURI().getQuery());
        exchange.sendResponseHeaders(200, size);
        byte[] chunk = new byte[64 * 1024];
        for (long sent = 0; sent < size; sent += chunk.length) {
          body.write(chunk, 0, (int) Math.min(chunk.length, size - sent));
        }
      } else if (path.equals("/slow")) {
        exchange.sendResponseHeaders(200, 0);
        for (int i = 0; i < 30; i++) {
          body.write('.');
          body.flush();
          sleep(1000);
        }
      } else if (path.equals("/echo")) {
        byte[] text = Map.copyOf(exchange.getRequestHeaders()).toString().getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(200, text.length);
        body.write(text);
      } else {
        byte[] text = "hello".getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(200, text.length);
        body.write(text);
      }
    } catch (IOException e) {
      // The proxy cut the connection, as some tests want.
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static int port(HttpServer server) {
    return server.getAddress().getPort();
  }

  /** Forwards loopback TCP connections to the gate's Unix socket, as the in-sandbox forwarder does. */
  final class Forwarder implements AutoCloseable {
    final ServerSocket server;
    final ByteArrayOutputStream toClient = new ByteArrayOutputStream();

    Forwarder(Path socket) throws IOException {
      server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      executor.execute(() -> {
        while (!server.isClosed()) {
          try {
            Socket client = server.accept();
            SocketChannel gate = SocketChannel.open(UnixDomainSocketAddress.of(socket));
            InputStream fromClient = client.getInputStream();
            OutputStream toClientStream = client.getOutputStream();
            executor.execute(() -> copy(fromClient, gate, null, null));
            executor.execute(() -> copy(ChannelStreams.input(gate), null, toClientStream, client));
          } catch (IOException e) {
            return;
          }
        }
      });
    }

    /** Copies one direction; {@code client} is set for the proxy-to-client direction, which ends the connection. */
    private void copy(InputStream in, SocketChannel toGate, OutputStream toClientStream, Socket client) {
      byte[] buffer = new byte[16 * 1024];
      try {
        int n;
        while ((n = in.read(buffer)) > 0) {
          if (toGate != null) {
            ByteBuffer wrapped = ByteBuffer.wrap(buffer, 0, n);
            while (wrapped.hasRemaining()) {
              toGate.write(wrapped);
            }
          } else {
            synchronized (toClient) {
              toClient.write(buffer, 0, n);
            }
            toClientStream.write(buffer, 0, n);
          }
        }
      } catch (IOException e) {
        // either side closed
      } finally {
        try {
          if (client != null) {
            client.close(); // the proxy's side ended: the whole connection ends
          } else {
            toGate.shutdownOutput(); // the client's side ended: the proxy may still answer
          }
        } catch (IOException e) {
          // closing
        }
      }
    }

    byte[] bytesToClient() {
      synchronized (toClient) {
        return toClient.toByteArray();
      }
    }

    Proxy proxy() {
      return new Proxy(Proxy.Type.HTTP, new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort()));
    }

    HttpClient client(SSLContext tls) {
      HttpClient.Builder builder = HttpClient.newBuilder()
          .proxy(ProxySelector.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort())))
          .connectTimeout(Duration.ofSeconds(5));
      if (tls != null) {
        builder.sslContext(tls);
      }
      return builder.build();
    }

    @Override
    public void close() throws IOException {
      server.close();
    }
  }

  Forwarder forwarder(Path socket) throws IOException {
    Forwarder forwarder = new Forwarder(socket);
    closeables.add(forwarder);
    return forwarder;
  }

  /** A client context trusting the test CA, plus the pool CA when the proxy has one. */
  static SSLContext clientContext(EgressProxy proxy) throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    byte[] pool = proxy.workerTrustStorePkcs12().orElse(null);
    if (pool != null) {
      store.load(new ByteArrayInputStream(pool), EgressProxy.WORKER_TRUSTSTORE_PASSWORD.toCharArray());
    } else {
      store.load(null, null);
    }
    store.setCertificateEntry("test-ca", TEST_CA.certificate());
    TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    factory.init(store);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, factory.getTrustManagers(), null);
    return context;
  }

  /** The host's own trust for upstream TLS in tests: only the test CA. */
  static X509TrustManager testTrust() {
    return new HandshakeCertificates.Builder().addTrustedCertificate(TEST_CA.certificate()).build().trustManager();
  }

  /** A resolver for test names; every other name is unknown. */
  static HostResolver resolver(Map<String, InetAddress> names) {
    Map<String, InetAddress> copy = new ConcurrentHashMap<>(names);
    return host -> {
      InetAddress address = copy.get(host);
      if (address == null) {
        throw new UnknownHostException(host);
      }
      return List.of(address);
    };
  }

  @Override
  public void close() throws Exception {
    for (AutoCloseable closeable : closeables) {
      closeable.close();
    }
    http.stop(0);
    https.stop(0);
    untrusted.stop(0);
    executor.shutdownNow();
  }
}
