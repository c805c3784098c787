package dev.airlock.internal.local;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.Socket;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/** What the egress tests' tools run inside the sandbox: ordinary JDK HTTP code, no Airlock API. */
final class EgressTools {
  /** Calls counted in the worker JVM: a reused worker's count goes on. */
  static final AtomicInteger CALLS = new AtomicInteger();

  private EgressTools() {
  }

  /** GET with {@code java.net.http.HttpClient} and the JVM's default proxy settings: "status body" or the failure. */
  static String fetch(String url) {
    try {
      HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
      HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create(url))
          .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
      return response.statusCode() + " " + response.body();
    } catch (IOException e) {
      return "IOException: " + e.getMessage();
    } catch (InterruptedException e) {
      return "interrupted";
    }
  }

  /**
   * GET with {@code HttpURLConnection}, the connection closed after it: leaves no thread behind (HttpClient's selector
   * thread would), so a reusing pool can prove the worker idle. "status body" or the failure.
   */
  static String fetchOnce(String url) {
    HttpURLConnection connection = null;
    try {
      connection = (HttpURLConnection) new URL(url).openConnection();
      connection.setRequestProperty("Connection", "close");
      connection.setReadTimeout(20_000);
      int status = connection.getResponseCode();
      InputStream in = status < 400 ? connection.getInputStream() : connection.getErrorStream();
      String body = in == null ? "" : new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      return status + " " + body;
    } catch (IOException e) {
      return "IOException: " + e.getMessage();
    } finally {
      if (connection != null) {
        connection.disconnect();
      }
    }
  }

  /** GET with {@code HttpURLConnection}: how many body bytes arrived before the end or the failure. */
  static String countBytes(String url) {
    long count = 0;
    try {
      HttpURLConnection connection = (HttpURLConnection) new URL(url).openConnection();
      connection.setReadTimeout(20_000);
      try (InputStream in = connection.getInputStream()) {
        byte[] buffer = new byte[8192];
        for (int n; (n = in.read(buffer)) > 0; ) {
          count += n;
        }
      }
      return "complete " + count;
    } catch (IOException e) {
      return "cut after " + count + ": " + e;
    }
  }

  /**
   * The oracle attack: extends {@code "Bearer " + format} one character at a time, sending the last 11 characters and a guess to
   * a host that quotes the query back; a guess whose answer was cut is taken as the next character of the injected
   * secret. Returns what it learned (stops at the first character it cannot learn, or after {@code more}).
   */
  static String guessThroughReflection(String url, String format, int more) {
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    String recovered = "Bearer " + format;
    guessing:
    for (int i = 0; i < more; i++) {
      for (char c : "0123456789abcdef".toCharArray()) {
        String guess = recovered.substring(recovered.length() - 11) + c;
        try {
          URI uri = URI.create(url + "?q=" + guess.replace(" ", "%20"));
          HttpResponse<String> answer = client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10))
              .build(), HttpResponse.BodyHandlers.ofString());
          if (answer.statusCode() != 200) {
            break guessing;
          }
        } catch (IOException e) {
          if (String.valueOf(e.getMessage()).contains("403")) {
            break guessing; // the proxy refused the tunnel
          }
          recovered += c; // cut
          continue guessing;
        } catch (InterruptedException e) {
          break guessing;
        }
      }
      break;
    }
    return recovered;
  }

  /** An HTTPS GET with {@code HttpURLConnection} (a CONNECT through the proxy): the failure text, or the status. */
  static String https(String url) {
    try {
      HttpURLConnection connection = (HttpURLConnection) new URL(url).openConnection();
      connection.setConnectTimeout(10_000);
      connection.setReadTimeout(10_000);
      return "status " + connection.getResponseCode();
    } catch (IOException e) {
      return "IOException: " + e.getMessage();
    }
  }

  /**
   * Sends a request with its own headers, then returns every header it sent, the response, its whole environment, its
   * system properties, its command line and every file it can read under {@code /run}, {@code /tmp} and
   * {@code /proc/self}: a secret injected on the host must be in none of them.
   */
  static String everythingTheSandboxHas(String url) {
    StringBuilder out = new StringBuilder();
    try {
      HttpRequest request = HttpRequest.newBuilder(URI.create(url)).header("X-Tool", "sandboxed")
          .timeout(Duration.ofSeconds(20)).build();
      HttpResponse<String> response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
      out.append("sent headers: ").append(request.headers().map()).append('\n');
      out.append("response: ").append(response.statusCode()).append(' ').append(response.headers().map())
          .append(' ').append(response.body()).append('\n');
    } catch (IOException | InterruptedException e) {
      out.append("request failed: ").append(e).append('\n');
    }
    out.append("environment: ").append(new TreeMap<>(System.getenv())).append('\n');
    out.append("properties: ").append(new TreeMap<>(System.getProperties())).append('\n');
    List<Path> files = new ArrayList<>();
    for (String root : List.of("/run", "/tmp")) {
      try (Stream<Path> walk = Files.walk(Path.of(root))) {
        walk.filter(Files::isRegularFile).forEach(files::add);
      } catch (IOException | RuntimeException e) {
        out.append("cannot walk ").append(root).append(": ").append(e).append('\n');
      }
    }
    files.addAll(List.of(Path.of("/proc/self/environ"), Path.of("/proc/self/cmdline")));
    for (Path file : files) {
      try {
        out.append("file ").append(file).append(": ")
            .append(new String(Files.readAllBytes(file), java.nio.charset.StandardCharsets.ISO_8859_1)).append('\n');
      } catch (IOException e) {
        out.append("unreadable ").append(file).append('\n');
      }
    }
    return out.toString();
  }

  /**
   * What the guest finds of its gate: the folder's entries, the parent's (other workers' gates would be there), and
   * each trust store entry with whether it is a key (the pool CA's private key must not be in the sandbox).
   */
  static String gateFolderAndTrustStore() {
    StringBuilder out = new StringBuilder();
    for (String folder : List.of("/run/airlock-egress", "/run")) {
      try (Stream<Path> list = Files.list(Path.of(folder))) {
        out.append(folder).append(": ").append(list.map(p -> p.getFileName().toString()).sorted().toList())
            .append('\n');
      } catch (IOException e) {
        out.append(folder).append(": ").append(e).append('\n');
      }
    }
    try (InputStream in = Files.newInputStream(Path.of(System.getProperty("javax.net.ssl.trustStore")))) {
      java.security.KeyStore store = java.security.KeyStore.getInstance("PKCS12");
      store.load(in, System.getProperty("javax.net.ssl.trustStorePassword").toCharArray());
      for (String alias : java.util.Collections.list(store.aliases())) {
        out.append("entry ").append(alias).append(store.isKeyEntry(alias) ? " KEY" : " certificate").append('\n');
      }
    } catch (IOException | java.security.GeneralSecurityException e) {
      out.append("trust store: ").append(e).append('\n');
    }
    return out.toString();
  }

  /** A connection a call opened and did not close, kept by the worker JVM for its next call. */
  static volatile InputStream kept;

  /** Opens {@code url} through the proxy by hand, reads its first 1,000 bytes and keeps the connection open. */
  static String openAndKeep(String hostPort, String path) {
    try {
      Socket socket = new Socket("127.0.0.1", 3128);
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(("GET http://" + hostPort + path + " HTTP/1.1\r\nHost: " + hostPort
          + "\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
      kept = socket.getInputStream();
      return "read " + kept.readNBytes(1000).length;
    } catch (IOException e) {
      return "IOException: " + e;
    }
  }

  /** In a later call: how many more bytes the kept connection still delivers. */
  static String drainKept() {
    long total = 0;
    byte[] buffer = new byte[16 * 1024];
    try {
      for (int n = kept.read(buffer); n > 0; n = kept.read(buffer)) {
        total += n;
      }
      return "ended after " + total;
    } catch (IOException e) {
      return "cut after " + total + ": " + e;
    }
  }

  /** Tries to write a file at {@code path}: "wrote" or the failure. */
  static String tryWrite(String path) {
    try {
      Files.writeString(Path.of(path), "fill the host's disk");
      return "wrote";
    } catch (IOException e) {
      return "IOException: " + e;
    }
  }

  /** A plain TCP connection to {@code host:port}, bypassing every proxy setting: what it got. */
  static String directConnect(String host, int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new java.net.InetSocketAddress(host, port), 3000);
      return "connected";
    } catch (IOException e) {
      return "IOException: " + e;
    }
  }
}
