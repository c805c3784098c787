package dev.airlock.internal.mcp.serve;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The SDK's streamable HTTP servlet behind two guards. A POST body is read up to {@code maxBodyBytes} (a longer one
 * is refused with 413 unread) and must pass {@link JsonRpcCheck} before the SDK sees it; a refusal is a 400 with a
 * JSON-RPC error naming the problem. And an error the SDK answers itself (an unknown session, a missing header) is
 * rewritten to a plain JSON-RPC error: the SDK serializes its exception whole, stack trace and class names included,
 * which is nothing a client should read.
 *
 * <p>The body is read as it arrives (non-blocking), holding no container thread while the client is slow, and must
 * arrive whole within {@link #BODY_TIMEOUT_MILLIS}: read with blocking reads, a body that trickled a byte now and then
 * held a thread for as long as its client liked, and as many such bodies as the container has threads stalled it.
 */
public final class GuardedServlet extends HttpServlet {
  private static final long serialVersionUID = 1L;
  /** An SDK error body is small; more than this is not kept. */
  private static final int MAX_ERROR_BODY_CHARS = 64 * 1024;
  private static final String SESSION = "Mcp-Session-Id";
  /** How long a client has to send a POST's whole body. */
  static final long BODY_TIMEOUT_MILLIS = 10_000;
  /** The request attribute holding a POST's body, read before the request is dispatched again to be served. */
  private static final String BODY = GuardedServlet.class.getName() + ".body";

  private final transient HttpServlet sdk;
  private final transient JsonMapper json;
  private final transient JsonRpcCheck check;
  private final int maxBodyBytes;
  private final transient SessionLimit sessions;

  GuardedServlet(HttpServlet sdk, JsonMapper json, int maxBodyBytes, SessionLimit sessions) {
    this.sdk = sdk;
    this.json = json;
    this.check = new JsonRpcCheck(json);
    this.maxBodyBytes = maxBodyBytes;
    this.sessions = sessions;
  }

  @Override
  public void init() throws jakarta.servlet.ServletException {
    sdk.init(getServletConfig());
  }

  @Override
  public void destroy() {
    sdk.destroy();
  }

  @Override
  protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException,
      jakarta.servlet.ServletException {
    HttpServletRequest admitted = request;
    if ("POST".equals(request.getMethod())) {
      byte[] body = (byte[]) request.getAttribute(BODY);
      if (body == null) {
        readBody(request, response);
        return;
      }
      request.removeAttribute(BODY);
      String refusal = check.refusal(body);
      if (refusal != null) {
        refuse(response, HttpServletResponse.SC_BAD_REQUEST, refusal);
        return;
      }
      admitted = new ReadBody(request, body);
    }
    String session = request.getHeader(SESSION);
    // Only an initialize makes a session, and only a POST without a session id can be one (the SDK refuses others).
    boolean opening = session == null && "POST".equals(request.getMethod());
    if (opening && !sessions.tryOpen()) {
      refuse(response, HttpServletResponse.SC_SERVICE_UNAVAILABLE, check.reply(null, JsonRpcCheck.INVALID_REQUEST,
          "message refused: " + sessions.max() + " sessions are open; close one (HTTP DELETE) or retry when one"
          + " has been idle for two minutes"));
      return;
    }
    ScrubbedErrors scrubbed = new ScrubbedErrors(response);
    // Threads the SDK and the pools start here inherit this loader, not the container's per-context one.
    Thread thread = Thread.currentThread();
    ClassLoader previous = thread.getContextClassLoader();
    thread.setContextClassLoader(GuardedServlet.class.getClassLoader());
    try {
      sdk.service(admitted, scrubbed);
    } finally {
      thread.setContextClassLoader(previous);
      if (opening) {
        sessions.opened(scrubbed.status < 400 ? scrubbed.sessionId : null);
      } else if (session != null) {
        sessions.used(session, scrubbed.status == HttpServletResponse.SC_NOT_FOUND
            || "DELETE".equals(request.getMethod()) && scrubbed.status < 400);
      }
    }
    scrubbed.finish();
  }

  /**
   * Reads the body without a thread waiting for it, then dispatches the request again to be served with the body
   * (in {@link #BODY}); a body longer than {@code maxBodyBytes} is refused with 413 (not read further), one that does
   * not arrive in time with 408, and either way the connection is closed.
   */
  private void readBody(HttpServletRequest request, HttpServletResponse response) throws IOException {
    AsyncContext async = request.startAsync();
    async.setTimeout(BODY_TIMEOUT_MILLIS);
    ServletInputStream in = request.getInputStream();
    BodyReader reader = new BodyReader(async, in, response);
    async.addListener(reader);
    in.setReadListener(reader);
  }

  /** Collects one body as it arrives; exactly one of dispatch, refusal or error ends it. */
  private final class BodyReader implements ReadListener, AsyncListener {
    private final AsyncContext async;
    private final ServletInputStream in;
    private final HttpServletResponse response;
    private final ByteArrayOutputStream body = new ByteArrayOutputStream();
    private final byte[] buffer = new byte[8192];
    private final AtomicBoolean ended = new AtomicBoolean();

    BodyReader(AsyncContext async, ServletInputStream in, HttpServletResponse response) {
      this.async = async;
      this.in = in;
      this.response = response;
    }

    @Override
    public void onDataAvailable() throws IOException {
      while (in.isReady()) {
        int read = in.read(buffer);
        if (read == -1) {
          return;
        }
        if (body.size() + read > maxBodyBytes) {
          end(HttpServletResponse.SC_REQUEST_ENTITY_TOO_LARGE, "at most " + maxBodyBytes + " bytes per message");
          return;
        }
        body.write(buffer, 0, read);
      }
    }

    @Override
    public void onAllDataRead() {
      if (ended.compareAndSet(false, true)) {
        async.getRequest().setAttribute(BODY, body.toByteArray());
        async.dispatch();
      }
    }

    @Override
    public void onError(Throwable failure) {
      if (ended.compareAndSet(false, true)) {
        async.complete();
      }
    }

    @Override
    public void onTimeout(AsyncEvent event) throws IOException {
      end(HttpServletResponse.SC_REQUEST_TIMEOUT, "the message did not arrive whole within "
          + BODY_TIMEOUT_MILLIS / 1000 + " s");
    }

    @Override
    public void onError(AsyncEvent event) {
      onError(event.getThrowable());
    }

    @Override
    public void onComplete(AsyncEvent event) {
      // Nothing held: the body is dropped with this reader.
    }

    @Override
    public void onStartAsync(AsyncEvent event) {
      // The dispatched request's own asynchronous work (the SDK's) is not this reader's.
    }

    /** Refuses the message; the status (413, 408) makes the container close the connection, not read on. */
    private void end(int status, String why) throws IOException {
      if (ended.compareAndSet(false, true)) {
        response.setHeader("Connection", "close");
        refuse(response, status, check.reply(null, JsonRpcCheck.INVALID_REQUEST, "message refused: " + why));
        async.complete();
      }
    }
  }

  private static void refuse(HttpServletResponse response, int status, String reply) throws IOException {
    response.setStatus(status);
    response.setContentType("application/json");
    response.setCharacterEncoding("UTF-8");
    response.getWriter().write(reply);
  }

  /** The request with its body already read. */
  private static final class ReadBody extends HttpServletRequestWrapper {
    private final byte[] body;

    ReadBody(HttpServletRequest request, byte[] body) {
      super(request);
      this.body = body;
    }

    @Override
    public ServletInputStream getInputStream() {
      ByteArrayInputStream in = new ByteArrayInputStream(body);
      return new ServletInputStream() {
        @Override
        public int read() {
          return in.read();
        }

        @Override
        public int read(byte[] buffer, int offset, int length) {
          return in.read(buffer, offset, length);
        }

        @Override
        public boolean isFinished() {
          return in.available() == 0;
        }

        @Override
        public boolean isReady() {
          return true;
        }

        @Override
        public void setReadListener(ReadListener listener) {
          throw new IllegalStateException("the body was read already");
        }
      };
    }

    @Override
    public BufferedReader getReader() {
      return new BufferedReader(new InputStreamReader(getInputStream(), StandardCharsets.UTF_8));
    }

    @Override
    public int getContentLength() {
      return body.length;
    }

    @Override
    public long getContentLengthLong() {
      return body.length;
    }
  }

  /** Keeps what the SDK writes for an error status, and writes a plain JSON-RPC error in its place. */
  private final class ScrubbedErrors extends HttpServletResponseWrapper {
    private final StringWriter kept = new StringWriter();
    private int status = SC_OK;
    /** The session id the SDK handed out in this answer, if it did. */
    private String sessionId;

    ScrubbedErrors(HttpServletResponse response) {
      super(response);
    }

    @Override
    public void setHeader(String name, String value) {
      noteSession(name, value);
      super.setHeader(name, value);
    }

    @Override
    public void addHeader(String name, String value) {
      noteSession(name, value);
      super.addHeader(name, value);
    }

    private void noteSession(String name, String value) {
      if (SESSION.equalsIgnoreCase(name)) {
        sessionId = value;
      }
    }

    @Override
    public void setStatus(int status) {
      this.status = status;
      super.setStatus(status);
    }

    @Override
    public PrintWriter getWriter() throws IOException {
      if (status < 400) {
        return super.getWriter();
      }
      return new PrintWriter(new StringWriter() {
        @Override
        public void write(String text, int offset, int length) {
          if (kept.getBuffer().length() + length <= MAX_ERROR_BODY_CHARS) {
            kept.write(text, offset, length);
          }
        }
      });
    }

    void finish() throws IOException {
      if (status < 400 || kept.getBuffer().length() == 0 || isCommitted()) {
        return;
      }
      int code = JsonRpcCheck.INVALID_REQUEST;
      String message = "request refused (HTTP " + status + ")";
      try {
        JsonNode error = json.readTree(kept.toString()).path("jsonRpcError");
        if (error.path("code").isIntegralNumber()) {
          code = error.path("code").asInt();
        }
        if (error.path("message").isString()) {
          message = error.path("message").asString();
        }
      } catch (JacksonException e) {
        // not the SDK's serialized error: the generic message says enough
      }
      super.getWriter().write(check.reply(null, code, message));
    }
  }
}
