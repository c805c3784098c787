package dev.airlock.samples.quickstart;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/** A documentation site on the host's loopback, so the quickstart shows allowed egress without the internet. */
final class DocsServer implements AutoCloseable {
  private final HttpServer server;

  private DocsServer(HttpServer server) {
    this.server = server;
  }

  static DocsServer start(int port) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
    server.createContext("/", exchange -> {
      byte[] page = ("Airlock guide: page " + exchange.getRequestURI().getPath()).getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, page.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(page);
      }
    });
    server.start();
    return new DocsServer(server);
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
