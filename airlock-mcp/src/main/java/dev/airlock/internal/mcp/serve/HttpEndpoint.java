package dev.airlock.internal.mcp.serve;

import jakarta.servlet.http.HttpServlet;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.apache.catalina.LifecycleException;
import org.apache.catalina.Wrapper;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.core.StandardContext;
import org.apache.catalina.startup.Tomcat;
import org.apache.catalina.valves.ErrorReportValve;

/**
 * An embedded Tomcat that serves one MCP servlet at one path, with bounds for clients it does not know: request
 * bodies (the servlet's own limit, and Tomcat's for anything it would buffer), headers, connections, threads and idle
 * time.
 */
public final class HttpEndpoint implements AutoCloseable {
  private static final int MAX_THREADS = 32;
  private static final int MAX_CONNECTIONS = 256;
  private static final int MAX_HEADER_BYTES = 16 * 1024;
  private static final int CONNECTION_TIMEOUT_MILLIS = 20_000;

  private final Tomcat tomcat;
  private final Path baseDir;
  private final URI uri;

  private HttpEndpoint(Tomcat tomcat, Path baseDir, URI uri) {
    this.tomcat = tomcat;
    this.baseDir = baseDir;
    this.uri = uri;
  }

  /** Starts serving {@code servlet} at {@code path} on {@code address} (port 0: any free port). */
  public static HttpEndpoint start(InetSocketAddress address, String path, HttpServlet servlet, int maxBodyBytes) {
    Path baseDir;
    try {
      baseDir = Files.createTempDirectory("airlock-mcp-tomcat");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Tomcat tomcat = new Tomcat();
    tomcat.setBaseDir(baseDir.toString());
    Connector connector = new Connector();
    connector.setPort(address.getPort());
    connector.setProperty("address", address.getHostString());
    connector.setProperty("maxThreads", String.valueOf(MAX_THREADS));
    connector.setProperty("maxConnections", String.valueOf(MAX_CONNECTIONS));
    connector.setProperty("maxHttpHeaderSize", String.valueOf(MAX_HEADER_BYTES));
    connector.setProperty("connectionTimeout", String.valueOf(CONNECTION_TIMEOUT_MILLIS));
    connector.setMaxPostSize(maxBodyBytes);
    connector.setProperty("maxSwallowSize", String.valueOf(maxBodyBytes));
    tomcat.getService().addConnector(connector);
    tomcat.setConnector(connector);
    // Tomcat's error pages name its version and may show a stack trace; the servlet writes its own errors.
    ErrorReportValve errors = new ErrorReportValve();
    errors.setShowReport(false);
    errors.setShowServerInfo(false);
    tomcat.getHost().getPipeline().addValve(errors);
    StandardContext context = (StandardContext) tomcat.addContext("", null);
    // Leak detection for redeployed web applications: there is none here, and it needs --add-opens to run.
    context.setClearReferencesObjectStreamClassCaches(false);
    context.setClearReferencesThreadLocals(false);
    context.setClearReferencesRmiTargets(false);
    Wrapper wrapper = Tomcat.addServlet(context, "mcp", servlet);
    wrapper.setAsyncSupported(true);
    context.addServletMappingDecoded(path, "mcp");
    try {
      tomcat.start();
    } catch (LifecycleException e) {
      destroy(tomcat, baseDir);
      throw new IllegalStateException("Airlock MCP: cannot serve HTTP on " + address + ": " + e.getMessage(), e);
    }
    if (connector.getLocalPort() <= 0) {
      destroy(tomcat, baseDir);
      throw new IllegalStateException("Airlock MCP: cannot listen on " + address
          + " (is the port in use, or the address not this machine's?)");
    }
    URI uri = URI.create("http://" + hostForUri(address.getHostString()) + ":" + connector.getLocalPort() + path);
    return new HttpEndpoint(tomcat, baseDir, uri);
  }

  private static String hostForUri(String host) {
    return host.contains(":") ? "[" + host + "]" : host;
  }

  /** Where clients post: {@code http://host:port/path}. */
  public URI uri() {
    return uri;
  }

  @Override
  public void close() {
    destroy(tomcat, baseDir);
  }

  private static void destroy(Tomcat tomcat, Path baseDir) {
    try {
      tomcat.stop();
      tomcat.destroy();
    } catch (LifecycleException e) {
      throw new IllegalStateException("Airlock MCP: the HTTP server did not stop cleanly", e);
    } finally {
      try (Stream<Path> files = Files.walk(baseDir)) {
        files.sorted(Comparator.reverseOrder()).forEach(file -> file.toFile().delete());
      } catch (IOException e) {
        // A temporary folder that outlives us is left to the system's cleaner.
      }
    }
  }
}
