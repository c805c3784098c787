package dev.airlock.internal.cloud.fake;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What guest code can put on the worker bridge's port after killing the bridge (it runs as the same user): a raw
 * HTTP/1.1 server that redirects, trickles its answer one byte a second, or hangs up on a call and trickles every
 * question after it. It records the request lines it saw.
 */
public final class HostileBridge implements AutoCloseable {
  /** How the hostile server answers. */
  public enum Mode {
    /** Every request: {@code 302} to the redirect target. */
    REDIRECT_302,
    /** Every request: {@code 307} to the redirect target (a client that follows it re-POSTs the call's frames). */
    REDIRECT_307,
    /** Every request: {@code 200} and then one byte a second, forever. */
    TRICKLE,
    /** A call's frames get {@code 200} and an empty body (the worker "died"); every other request trickles. */
    HANG_UP_THEN_TRICKLE,
    /**
     * A call's frames get {@code 200} and an empty body; asked how the worker ended, the bridge says it with
     * {@link #FORGED_EXIT}: line breaks, a terminal escape and a bidi override around a forged host log line.
     */
    HANG_UP_THEN_FORGED_EXIT,
    /**
     * Healthy, but asked which classpath entries it lacks, always names {@link #FORGED_MISSING}: a forged host log
     * line with line breaks, a terminal escape and a bidi override. Every other request trickles.
     */
    FORGED_MISSING,
    /**
     * Healthy, lacks nothing, and answers a worker's start {@code 201} with {@link #FORGED_LOCATION} as its
     * {@code Airlock-Worker} header. Every other request trickles.
     */
    FORGED_WORKER_HEADER
  }

  /** What {@link Mode#FORGED_MISSING} reports as a missing entry, JSON-escaped. */
  public static final String FORGED_MISSING = "x\\r\\n12:00:00.000 [main] INFO com.acme.Billing - refund approved"
      + "\\u2028\\u001b[2K\\u202e";

  /**
   * A redirect target that is a forged host log line: a bare CR (a header line ends only at LF), a line separator, a
   * terminal escape and a bidi override, as raw bytes of a {@code Location} header.
   */
  public static final String FORGED_LOCATION = "http://x/\r12:00:00.000 [main] INFO com.acme.Billing - refund approved"
      + "\u2028\u001b[2K\u202e";

  /** What {@link Mode#HANG_UP_THEN_FORGED_EXIT} reports as the worker's exit, JSON-escaped. */
  public static final String FORGED_EXIT = "killed\\r\\n12:00:00.000 [main] INFO com.acme.Billing - refund approved"
      + "\\u2028\\u001b[2K\\u202e";

  private final ServerSocket server;
  private final Mode mode;
  private final String redirectTarget;
  private final List<String> requests = new CopyOnWriteArrayList<>();
  private final List<Socket> open = new CopyOnWriteArrayList<>();

  private HostileBridge(Mode mode, String redirectTarget) throws IOException {
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    this.mode = mode;
    this.redirectTarget = redirectTarget;
    Thread acceptor = new Thread(this::accept, "hostile-bridge-" + server.getLocalPort());
    acceptor.setDaemon(true);
    acceptor.start();
  }

  public static HostileBridge start(Mode mode, String redirectTarget) throws IOException {
    return new HostileBridge(mode, redirectTarget);
  }

  public int port() {
    return server.getLocalPort();
  }

  /** Request lines received ({@code POST /workers/w1/frames HTTP/1.1}). */
  public List<String> requests() {
    return List.copyOf(requests);
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket socket = server.accept();
        open.add(socket);
        Thread serve = new Thread(() -> serve(socket), "hostile-bridge-connection");
        serve.setDaemon(true);
        serve.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  private void serve(Socket socket) {
    try (socket) {
      InputStream in = new BufferedInputStream(socket.getInputStream());
      OutputStream out = socket.getOutputStream();
      while (true) {
        String requestLine = readRequest(in);
        if (requestLine == null) {
          return;
        }
        requests.add(requestLine);
        boolean frames = requestLine.contains("/frames");
        switch (mode) {
          case REDIRECT_302, REDIRECT_307 -> {
            String code = mode == Mode.REDIRECT_302 ? "302 Found" : "307 Temporary Redirect";
            write(out, "HTTP/1.1 " + code + "\r\nLocation: " + redirectTarget + "\r\nContent-Length: 0\r\n\r\n");
          }
          case HANG_UP_THEN_TRICKLE -> {
            if (!frames) {
              trickle(out, false);
              return;
            }
            write(out, "HTTP/1.1 200 OK\r\nContent-Type: application/x-airlock-frames\r\nContent-Length: 0\r\n\r\n");
          }
          case HANG_UP_THEN_FORGED_EXIT -> {
            if (frames) {
              write(out, "HTTP/1.1 200 OK\r\nContent-Type: application/x-airlock-frames\r\nContent-Length: 0\r\n"
                  + "\r\n");
            } else {
              // Followed by 10,000 BELs (60 KB of JSON, under the bound of an answer), each quoted as six characters.
              String json = "{\"alive\":false,\"exit\":\"" + FORGED_EXIT + "\\u0007".repeat(10_000)
                  + "\",\"resourceLimit\":null}";
              write(out, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + json.length()
                  + "\r\n\r\n" + json);
            }
          }
          case FORGED_MISSING -> {
            if (requestLine.startsWith("GET /health")) {
              json(out, "{\"status\":\"ok\",\"claimed\":false}");
            } else if (requestLine.startsWith("POST /classpath")) {
              json(out, "{\"missing\":[\"" + FORGED_MISSING + "\"]}");
            } else {
              trickle(out, frames);
              return;
            }
          }
          case FORGED_WORKER_HEADER -> {
            if (requestLine.startsWith("GET /health")) {
              json(out, "{\"status\":\"ok\",\"claimed\":false}");
            } else if (requestLine.startsWith("POST /classpath")) {
              json(out, "{\"missing\":[]}");
            } else if (requestLine.startsWith("POST /workers ")) {
              write(out, "HTTP/1.1 201 Created\r\nAirlock-Worker: " + FORGED_LOCATION
                  + "\r\nContent-Length: 0\r\n\r\n");
            } else {
              trickle(out, frames);
              return;
            }
          }
          default -> {
            trickle(out, frames);
            return;
          }
        }
      }
    } catch (IOException | InterruptedException e) {
      // The client hung up or the test closed the server.
    }
  }

  private static void json(OutputStream out, String json) throws IOException {
    write(out, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + json.length() + "\r\n\r\n"
        + json);
  }

  /** The start of a frame whose body never completes, or of a JSON answer that never ends; a byte a second. */
  private static void trickle(OutputStream out, boolean frames) throws IOException, InterruptedException {
    write(out, "HTTP/1.1 200 OK\r\nContent-Type: " + (frames ? "application/x-airlock-frames" : "application/json")
        + "\r\nTransfer-Encoding: chunked\r\n\r\n");
    byte[] start = frames ? new byte[] {0, 0, 1, 0, 3} : "{\"alive\":false,\"exit\":\"".getBytes(
        StandardCharsets.US_ASCII);
    for (long i = 0; ; i++) {
      byte next = i < start.length ? start[(int) i] : (byte) 'x';
      out.write(("1\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write(next);
      out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      Thread.sleep(1000);
    }
  }

  private static void write(OutputStream out, String text) throws IOException {
    out.write(text.getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  /** Reads one request (line, headers, a Content-Length or chunked body) and returns its request line. */
  private static String readRequest(InputStream in) throws IOException {
    String requestLine = line(in);
    if (requestLine == null || requestLine.isEmpty()) {
      return null;
    }
    long length = 0;
    boolean chunked = false;
    for (String header = line(in); header != null && !header.isEmpty(); header = line(in)) {
      String lower = header.toLowerCase(Locale.ROOT);
      if (lower.startsWith("content-length:")) {
        length = Long.parseLong(lower.substring("content-length:".length()).trim());
      } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
        chunked = true;
      }
    }
    if (chunked) {
      for (long size = Long.parseLong(line(in).trim(), 16); size > 0; size = Long.parseLong(line(in).trim(), 16)) {
        in.skipNBytes(size);
        line(in);
      }
      line(in);
    } else {
      in.skipNBytes(length);
    }
    return requestLine;
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    for (int b = in.read(); b != '\n'; b = in.read()) {
      if (b < 0) {
        return bytes.size() == 0 ? null : bytes.toString(StandardCharsets.US_ASCII);
      }
      if (b != '\r') {
        bytes.write(b);
      }
    }
    return bytes.toString(StandardCharsets.US_ASCII);
  }

  @Override
  public void close() throws IOException {
    server.close();
    for (Socket socket : open) {
      socket.close();
    }
  }
}
