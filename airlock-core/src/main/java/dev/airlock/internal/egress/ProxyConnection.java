package dev.airlock.internal.egress;

import dev.airlock.internal.backend.GuestText;
import dev.airlock.internal.wire.ChannelStreams;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.UnknownHostException;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection from the sandbox, from its request to its last relayed byte. Everything it reads from the guest is
 * hostile: the head is bounded ({@link HttpHead}), the handshake has a deadline, the connection has the call's time
 * and byte caps, and the destination is decided here, on the host, before any byte goes upstream.
 */
final class ProxyConnection implements Runnable, Closeable {
  private static final Logger LOG = LoggerFactory.getLogger(ProxyConnection.class);
  private static final String[] HTTP_1_1 = {"http/1.1"};
  private static final String[] TLS_1_3 = {"TLSv1.3"};
  /**
   * Interim (1xx) heads relayed before the final one: servers send one or two (100 Continue, 103 Early Hints). Each
   * costs a head buffer and a write, so a server sending them without end would cost the host that per 25 bytes.
   */
  static final int MAX_INTERIM_HEADS = 8;
  /** Methods a server answers with the request it received. */
  private static final Set<String> ECHOING_METHODS = Set.of("TRACE", "TRACK", "CONNECT");
  /** Headers that frameworks (Rails, Express, Google's APIs, ASP.NET) read as the request's method. */
  private static final List<String> METHOD_OVERRIDES = List.of("X-HTTP-Method-Override", "X-HTTP-Method",
      "X-Method-Override");
  private static final List<String> RANGE_HEADERS = List.of("Range", "Request-Range", "If-Range");

  private final EgressProxy proxy;
  private final EgressGate gate;
  private final SocketChannel guest;
  private final InputStream guestIn;
  private final OutputStream guestOut;
  private final List<Closeable> resources = new CopyOnWriteArrayList<>();
  private CallLedger call;
  private volatile String target = "request";
  private OutputStream answerOut;
  private boolean tunnelOpen;
  private volatile boolean handshaking = true;
  private volatile boolean carriesSecret;
  private boolean cutDone;
  private volatile boolean closed;
  private Future<?> handshakeDeadline;
  private Future<?> connectionDeadline;

  ProxyConnection(EgressProxy proxy, EgressGate gate, SocketChannel guest) {
    this.proxy = proxy;
    this.gate = gate;
    this.guest = guest;
    this.guestIn = ChannelStreams.input(guest);
    this.guestOut = ChannelStreams.output(guest);
    this.answerOut = guestOut;
    resources.add(guest);
  }

  @Override
  public void run() {
    try {
      call = gate.call();
      if (call == null || !call.join(this)) {
        call = null;
        throw new Refusal(403, "request", "no tool call is running on this worker", null);
      }
      handshakeDeadline = proxy.schedule(() -> cut(new Refusal(408, target, "the request was not complete within "
          + proxy.handshakeTimeout().toMillis() + " ms", null)), proxy.handshakeTimeout());
      connectionDeadline = proxy.schedule(() -> cut(new Refusal(0, target, "the connection was open longer than "
          + call.rules.maxConnectionTime().toMillis() + " ms (maxConnectionTime) and was cut", null)),
          call.rules.maxConnectionTime());
      HttpHead head = HttpHead.read(guestIn, HttpHead.MAX_REQUEST_HEAD_BYTES);
      if (head == null) {
        return;
      }
      String[] start = head.startLine.split(" ", -1);
      if (start.length != 3 || !head.plainStartLine() || !HttpHead.isToken(start[0])
          || !start[2].startsWith("HTTP/1.")) {
        throw new Refusal(400, "request", "the request line is not 'METHOD target HTTP/1.1'", null);
      }
      if (start[0].equals("CONNECT")) {
        tunnel(start[1]);
      } else if (start[1].regionMatches(true, 0, "http://", 0, 7)) {
        forward(start[0], start[1], head);
      } else {
        throw new Refusal(400, "request", "the proxy takes CONNECT host:port and absolute http:// requests", null);
      }
    } catch (Refusal refusal) {
      refuse(refusal);
    } catch (HttpHead.BadHead bad) {
      refuse(new Refusal(bad.status, target, bad.getMessage(), null));
    } catch (IOException | RuntimeException e) {
      // The peer went away, or a deadline or cap closed the connection (`cut` recorded which).
      LOG.debug("egress connection to {} ended: {}", target, GuestText.escape(String.valueOf(e.getMessage())));
    } finally {
      close();
      if (call != null) {
        call.leave(this);
      }
      gate.released();
    }
  }

  /** CONNECT: a raw tunnel whose ClientHello must name the host, or a terminated one for an injected host. */
  private void tunnel(String authority) throws IOException {
    HostPort destination = HostPort.parse(authority, 0);
    target = destination.toString();
    InetAddress address = decide(destination);
    List<SecretInjection> injections = secretsFor(destination, true);
    Socket upstream = open(address, destination.port());
    if (!injections.isEmpty()) {
      terminate(destination, upstream, injections);
      return;
    }
    writeToGuest("HTTP/1.1 200 Connection established\r\n\r\n");
    tunnelOpen = true;
    ClientHello hello;
    try {
      hello = ClientHello.read(guestIn);
    } catch (ClientHello.NotClientHello e) {
      throw new Refusal(0, target, e.getMessage() + "; a tunnel carries only TLS naming its host", null);
    }
    String sni = hello.serverName == null ? null : EgressRule.normalizeName(hello.serverName);
    if (destination.name() != null && sni == null) {
      throw new Refusal(0, target, "the TLS ClientHello names no server (SNI); a tunnel carries only TLS naming"
          + " its CONNECT host", null);
    }
    if (hello.serverName != null && !destination.host().equals(sni)) {
      throw new Refusal(0, target, "the TLS server name '" + hello.serverName + "' is not the CONNECT host", null);
    }
    handshakeDeadline.cancel(false);
    call.contacted(target);
    OutputStream upOut = upstream.getOutputStream();
    if (!call.count(true, hello.record.length)) {
      throw byteCap();
    }
    upOut.write(hello.record);
    upOut.flush();
    relay(() -> pump(guestIn, upOut, true, null), upstream.getInputStream(), guestOut, false, null);
  }

  /** An absolute http:// request: the Host header must name the URI's host; forwarded in origin form. */
  private void forward(String method, String uri, HttpHead head) throws IOException {
    String rest = uri.substring(7);
    int end = 0;
    while (end < rest.length() && "/?#".indexOf(rest.charAt(end)) < 0) {
      end++;
    }
    String authority = rest.substring(0, end);
    String path = end == rest.length() ? "/" : rest.substring(end);
    if (!path.startsWith("/")) {
      path = "/" + path;
    }
    if (authority.indexOf('@') >= 0) {
      throw new Refusal(400, "request", "the request URI carries user info", null);
    }
    HostPort destination = HostPort.parse(authority, 80);
    target = destination.toString();
    requireHost(head, destination);
    InetAddress address = decide(destination);
    List<SecretInjection> injections = secretsFor(destination, false);
    if (!injections.stream().allMatch(SecretInjection::plainHttp)) {
      throw new Refusal(403, target, "its secret is sent only over verified TLS, and this request is plain http://",
          "request https://" + destination.host() + " instead, or set the secret's plain-http=true");
    }
    refuseEcho(method, head, injections);
    Socket upstream = open(address, destination.port());
    handshakeDeadline.cancel(false);
    call.contacted(target);
    OutputStream toServer = upstream.getOutputStream();
    RequestBody body = sendRequest(head, method + " " + path + " HTTP/1.1", injections, toServer);
    InputStream fromServer = new BufferedInputStream(upstream.getInputStream(), 16 * 1024);
    relay(() -> pumpBody(body, guestIn, toServer), fromServer, guestOut, true,
        injections.isEmpty() ? null : new SecretWatch(injections));
  }

  /**
   * CONNECT to a host with an injected secret: the upstream TLS session is verified first (so a bad certificate is
   * a clear 502), then the guest's TLS ends here with a leaf certificate from the pool's CA, one request is read,
   * the header added, and the response relayed back with the secret watched for.
   */
  private void terminate(HostPort destination, Socket upstream, List<SecretInjection> injections) throws IOException {
    String host = destination.name();
    SSLSocket up = (SSLSocket) proxy.upstreamContext().getSocketFactory()
        .createSocket(new ChannelSocket(upstream.getChannel(), metered(upstream.getInputStream(), false),
            metered(upstream.getOutputStream(), true)), host, destination.port(), true);
    resources.add(up);
    SSLParameters upParameters = up.getSSLParameters();
    upParameters.setEndpointIdentificationAlgorithm("HTTPS");
    upParameters.setServerNames(List.of(new SNIHostName(host)));
    upParameters.setApplicationProtocols(HTTP_1_1);
    up.setSSLParameters(upParameters);
    try {
      up.startHandshake();
    } catch (SSLException e) {
      throw new Refusal(502, target, "TLS to the server failed, its certificate is not trusted or not for " + host
          + " (" + e.getMessage() + ")", null);
    }
    writeToGuest("HTTP/1.1 200 Connection established\r\n\r\n");
    tunnelOpen = true;
    SSLSocket tls = (SSLSocket) proxy.authority().serverContext(host).getSocketFactory()
        .createSocket(new ChannelSocket(guest, metered(guestIn, true), metered(guestOut, false)), null, true);
    resources.add(tls);
    SSLParameters parameters = tls.getSSLParameters();
    parameters.setApplicationProtocols(HTTP_1_1);
    // TLS 1.3 only: it has no renegotiation, so a guest cannot make this thread do a full handshake (a key exchange
    // and a signature) again and again for as long as the connection lives. Every JDK since 11 speaks it.
    parameters.setProtocols(TLS_1_3);
    tls.setSSLParameters(parameters);
    tls.setUseClientMode(false);
    tls.startHandshake();
    InputStream tlsIn = new BufferedInputStream(tls.getInputStream(), 8192);
    OutputStream tlsOut = tls.getOutputStream();
    answerOut = tlsOut;
    tunnelOpen = false; // from here refusals are HTTP answers inside the TLS session
    handshaking = false; // from here the request and answer are counted as they are relayed
    HttpHead head = HttpHead.read(tlsIn, HttpHead.MAX_REQUEST_HEAD_BYTES);
    if (head == null) {
      return;
    }
    String[] start = head.startLine.split(" ", -1);
    if (start.length != 3 || !head.plainStartLine() || !HttpHead.isToken(start[0])
        || !start[2].startsWith("HTTP/1.") || !start[1].startsWith("/")) {
      throw new Refusal(400, target, "the request line is not 'METHOD /path HTTP/1.1'", null);
    }
    requireHost(head, destination);
    refuseEcho(start[0], head, injections);
    handshakeDeadline.cancel(false);
    call.contacted(target);
    OutputStream toServer = up.getOutputStream();
    RequestBody body = sendRequest(head, start[0] + " " + start[1] + " HTTP/1.1", injections, toServer);
    relay(() -> pumpBody(body, tlsIn, toServer), new BufferedInputStream(up.getInputStream(), 16 * 1024), tlsOut,
        true, new SecretWatch(injections));
  }

  /**
   * The headers to inject into a request to {@code destination}. Refused once a server has sent back a secret to
   * this worker: each cut answers whether the text the guest made a server reflect (a path quoted by a 404 page, a
   * parameter named in an error) was part of a secret, so with unlimited requests a guest extended a known prefix
   * one character at a time and read the whole key (attack review 29). Now it learns at most one such answer a
   * worker (a reused worker's memory outlives its call): the echo also cuts the call's other connections that carry
   * a secret, opened before it (see {@link #secretEcho}).
   */
  private List<SecretInjection> secretsFor(HostPort destination, boolean tls) throws Refusal {
    List<SecretInjection> injections = proxy.secretsFor(destination.name(), destination.port(), tls);
    // Set before the check: an echo on another connection either is seen here or finds this one to cut.
    carriesSecret = !injections.isEmpty();
    if (carriesSecret && gate.secretEchoed()) {
      throw new Refusal(403, target, "a server sent back an injected secret earlier on this worker, so no further"
          + " request from it gets a secret", "do not inject secrets into hosts that reflect request headers or"
          + " request text; the pool's next worker starts afresh");
    }
    return injections;
  }

  private static void requireHost(HttpHead head, HostPort destination) throws Refusal {
    List<String> hosts = head.values("Host");
    if (hosts.size() != 1) {
      throw new Refusal(400, destination.toString(), "the request must have exactly one Host header", null);
    }
    HostPort named;
    try {
      named = HostPort.parse(hosts.get(0).strip(), destination.port());
    } catch (Refusal e) {
      throw new Refusal(403, destination.toString(), "the Host header is not a host name", null);
    }
    if (!named.equals(destination)) {
      throw new Refusal(403, destination.toString(), "the Host header '" + hosts.get(0) + "' is not the host the"
          + " request goes to", null);
    }
  }

  /**
   * Refuses a request a server would answer with the request itself, the injected header in it: TRACE, IIS's TRACK
   * and a nested CONNECT, in any case (some servers read methods case-insensitively), named by the method or by a
   * method override header that frameworks honour.
   */
  private void refuseEcho(String method, HttpHead head, List<SecretInjection> injections) throws Refusal {
    if (injections.isEmpty()) {
      return;
    }
    List<String> named = new ArrayList<>(List.of(method));
    for (String override : METHOD_OVERRIDES) {
      // Each name of a list: method-override (Express) takes the first of "TRACE, GET" (attack review 32).
      head.values(override).forEach(value -> Arrays.stream(value.split(",")).map(String::strip).forEach(named::add));
    }
    for (String name : named) {
      if (ECHOING_METHODS.contains(name.toUpperCase(Locale.ROOT))) {
        throw new Refusal(405, target, GuestText.escape(name) + " echoes the request, and is refused on a host with"
            + " an injected header", null);
      }
    }
  }

  /**
   * Sends the checked head, amended; returns the body that may follow it (checked before anything is sent). A host
   * with an injected header is asked for an uncompressed answer, so the secret watch reads what the guest will, and
   * for the whole of it: a range (or the old Request-Range) chose which bytes of an echo came back, so a guest read
   * the echoed secret in slices each shorter than a piece of the watch (attack review 32).
   */
  private RequestBody sendRequest(HttpHead head, String startLine, List<SecretInjection> injections,
      OutputStream out) throws IOException {
    RequestBody body = RequestBody.of(head);
    head.removeHopByHop();
    for (SecretInjection injection : injections) {
      head.remove(injection.header());
    }
    for (SecretInjection injection : injections) {
      head.add(injection.header(), injection.value());
    }
    if (!injections.isEmpty()) {
      head.remove("Accept-Encoding");
      head.add("Accept-Encoding", "identity");
      RANGE_HEADERS.forEach(head::remove);
    }
    head.add("Connection", "close");
    if (!call.count(true, head.writeTo(out, startLine))) {
      throw byteCap();
    }
    return body;
  }

  /**
   * Relays both ways until the server's side ends. {@code upward} runs on a second proxy thread; downward on this
   * one. With {@code http}, the response head is read (bounded) and marked Connection: close, so the client does
   * not reuse a connection the proxy will close after this one request.
   */
  private void relay(Runnable upward, InputStream fromServer, OutputStream toGuest, boolean http, SecretWatch watch)
      throws IOException {
    try {
      proxy.execute(upward);
    } catch (RejectedExecutionException e) {
      throw new Refusal(503, target, "the egress proxy is at its thread limit", null);
    }
    if (http) {
      boolean interim = true;
      for (int heads = 0; interim; heads++) {
        HttpHead response = HttpHead.read(fromServer, HttpHead.MAX_RESPONSE_HEAD_BYTES);
        if (response == null) {
          return;
        }
        interim = response.interim();
        if (interim && heads == MAX_INTERIM_HEADS) {
          throw new Refusal(0, target, "the server sent more than " + MAX_INTERIM_HEADS + " interim (1xx) responses"
              + " before its answer; the connection was cut", null);
        }
        relayHead(response, interim, toGuest, watch);
      }
    }
    pump(fromServer, toGuest, false, watch);
  }

  /**
   * Relays one response head, checked as the final one is: interim (1xx) heads come before it, and a check made on
   * the first head only would let the next one through unread. With a secret watched, the body must reach the guest
   * as the watch reads it, so a content or transfer coding other than identity and chunked is refused, and so is a
   * charset that does not write ASCII as ASCII ({@link SecretWatch#readable}).
   */
  private void relayHead(HttpHead response, boolean interim, OutputStream toGuest, SecretWatch watch)
      throws IOException {
    if (watch != null && response.values("Content-Type").stream().flatMap(type -> Arrays.stream(type.split(";")))
        .map(String::strip).filter(parameter -> parameter.regionMatches(true, 0, "charset=", 0, 8))
        .anyMatch(parameter -> !SecretWatch.readable(parameter.substring(8)))) {
      throw new Refusal(502, target, "the server answered in a charset that does not write ASCII as ASCII; the"
          + " secret watch cannot read an echo of the injected header in it", null);
    }
    if (watch != null && (response.values("Content-Encoding").stream().anyMatch(coding -> !coding.isBlank()
        && !coding.equalsIgnoreCase("identity")) || response.values("Transfer-Encoding").stream()
        .flatMap(value -> Arrays.stream(value.split(","))).map(String::strip)
        .anyMatch(coding -> !coding.isEmpty() && !coding.equalsIgnoreCase("chunked")))) {
      throw new Refusal(502, target, "the server compressed or encoded its answer though asked not to; the secret"
          + " watch cannot read an encoded echo of the injected header", null);
    }
    response.removeHopByHop();
    if (!interim) {
      response.add("Connection", "close");
    }
    StringBuilder text = new StringBuilder(response.startLine).append("\r\n");
    response.fields.forEach(field -> text.append(field[0]).append(": ").append(field[1]).append("\r\n"));
    byte[] bytes = text.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
    if (watch != null && watch.seen(bytes, 0, bytes.length)) {
      throw secretEcho(watch);
    }
    if (!call.count(false, bytes.length)) {
      throw byteCap();
    }
    toGuest.write(bytes);
    toGuest.flush();
    if (watch != null && !interim && response.values("Transfer-Encoding").stream()
        .anyMatch(value -> value.toLowerCase(Locale.ROOT).contains("chunked"))) {
      watch.chunkedBody();
    }
  }

  private void pump(InputStream in, OutputStream out, boolean upward, SecretWatch watch) {
    byte[] buffer = new byte[16 * 1024];
    try {
      int n;
      while ((n = in.read(buffer)) > 0) {
        if (watch != null && watch.seen(buffer, 0, n)) {
          cut(secretEcho(watch));
          return;
        }
        if (!call.count(upward, n)) {
          cut(byteCap());
          return;
        }
        out.write(buffer, 0, n);
        out.flush();
      }
    } catch (IOException e) {
      // Closed by the other direction, a deadline or the peer.
    }
  }

  /**
   * Copies the request body upward, and nothing after it. Writes are coalesced and flushed when the guest has sent
   * nothing more yet: a body of one-byte chunks is three writes a chunk, and sent one by one they cost the host a
   * system call (and a TCP segment) per two bytes of the guest's, which wrote them all at once.
   */
  private void pumpBody(RequestBody body, InputStream in, OutputStream out) {
    BufferedOutputStream coalesced = new BufferedOutputStream(out, 16 * 1024);
    try {
      body.copy(in, (bytes, offset, length) -> {
        if (!call.count(true, length)) {
          cut(byteCap());
          throw new IOException("over the byte cap");
        }
        coalesced.write(bytes, offset, length);
        if (in.available() == 0) {
          coalesced.flush();
        }
      });
      coalesced.flush();
    } catch (HttpHead.BadHead bad) {
      cut(new Refusal(bad.status, target, bad.getMessage(), null));
    } catch (IOException e) {
      // Closed by the other direction, a deadline or the peer.
    }
  }

  private Refusal byteCap() {
    if (call.ended()) {
      return new Refusal(0, target, "the call ended; its connections are closed", null);
    }
    return new Refusal(0, target, "the call moved more than " + call.rules.maxBytesPerCall() + " bytes up and"
        + " down (maxBytesPerCall); the connection was cut", "raise the call's egress byte limit");
  }

  /**
   * Marks the worker before the cut, so the guest cannot try again once it sees the connection end, and cuts the
   * call's other connections that carry a secret: a guest that opened them first, heads sent and bodies held back,
   * would otherwise ask through each of them after the echo.
   */
  private Refusal secretEcho(SecretWatch watch) {
    gate.markSecretEchoed();
    for (Closeable other : call.openConnections()) {
      if (other != this && other instanceof ProxyConnection connection && connection.carriesSecret) {
        connection.cut(new Refusal(0, connection.target, "a server sent back an injected secret on another"
            + " connection of this call; this one carried a secret too and was cut", null));
      }
    }
    if (watch.malformed()) {
      return new Refusal(0, target, "the server's chunked framing cannot be read, so the secret watch cannot see"
          + " what the guest decodes from it; the connection was cut", null);
    }
    return new Refusal(0, target, "the server sent back the injected secret; the connection was cut", null);
  }

  /** Picks the address to connect to: decided on the host, and the one connected to. */
  private InetAddress decide(HostPort destination) throws Refusal {
    EgressRules rules = call.rules;
    int port = destination.port();
    if (destination.literal() != null) {
      if (rules.allowsAddress(destination.literal(), port)) {
        return destination.literal();
      }
      throw new Refusal(403, target, "IP addresses are reached only when an entry names them",
          "use the host name, or add " + target + " to @Airlock(egress) or airlock.egress.allow");
    }
    if (!rules.allowsName(destination.name(), port)) {
      throw new Refusal(403, target, "not in the egress allow list", Refusal.NOT_ALLOWED_FIX);
    }
    List<InetAddress> addresses;
    try {
      addresses = proxy.resolver().resolve(destination.name());
    } catch (UnknownHostException e) {
      throw new Refusal(502, target, "the name does not resolve", null);
    }
    for (InetAddress address : addresses) {
      if (Addresses.isPublic(address) || rules.allowsAddress(address, port)) {
        return address;
      }
    }
    String first = addresses.isEmpty() ? "nothing" : addresses.get(0).getHostAddress();
    throw new Refusal(403, target, "the name resolves to " + first + ", which is not a public address (loopback,"
        + " private, link-local, metadata or reserved)", "if that is intended, add the address explicitly");
  }

  /**
   * The handshakes of a terminated tunnel, counted against the call's byte cap while they run: two a connection
   * (the server's certificate chain, a key exchange and a signature on the host), which a guest opening connections
   * in a loop moved without limit while only the requests inside were counted (attack review 29). After them the
   * relay counts what it moves, so nothing is counted twice.
   */
  private InputStream metered(InputStream in, boolean upward) {
    return new FilterInputStream(in) {
      @Override
      public int read() throws IOException {
        int b = in.read();
        meter(upward, b < 0 ? 0 : 1);
        return b;
      }

      @Override
      public int read(byte[] bytes, int offset, int length) throws IOException {
        int n = in.read(bytes, offset, length);
        meter(upward, n);
        return n;
      }
    };
  }

  private OutputStream metered(OutputStream out, boolean upward) {
    return new FilterOutputStream(out) {
      @Override
      public void write(int b) throws IOException {
        meter(upward, 1);
        out.write(b);
      }

      @Override
      public void write(byte[] bytes, int offset, int length) throws IOException {
        meter(upward, length);
        out.write(bytes, offset, length);
      }
    };
  }

  private void meter(boolean upward, int bytes) throws IOException {
    if (!handshaking || bytes <= 0) {
      return;
    }
    if (closed) {
      throw new IOException("the connection is closed"); // a TLS close_notify while cut: nothing more moves
    }
    if (!call.count(upward, bytes)) {
      Refusal cap = byteCap();
      cut(cap);
      throw cap;
    }
  }

  /** Connects to the checked address; a channel's socket, so a terminated tunnel can layer TLS on metered streams. */
  private Socket open(InetAddress address, int port) throws IOException {
    Socket socket = SocketChannel.open().socket();
    resources.add(socket);
    if (closed) {
      throw new IOException("closed");
    }
    try {
      socket.connect(new InetSocketAddress(address, port), (int) EgressProxy.CONNECT_TIMEOUT.toMillis());
    } catch (IOException e) {
      if (closed) {
        throw e;
      }
      throw new Refusal(502, target, "could not connect to " + Addresses.authority(address) + ":" + port, null);
    }
    return socket;
  }

  private void writeToGuest(String text) throws IOException {
    guestOut.write(text.getBytes(StandardCharsets.ISO_8859_1));
    guestOut.flush();
  }

  private void refuse(Refusal refusal) {
    if (closed) {
      return; // cut (which recorded why) or its call ended: what fails after that is a consequence, not an attempt
    }
    record(refusal);
    if (tunnelOpen) {
      return; // the tunnel is up: there is no HTTP answer to give, only the closed connection
    }
    try {
      answerOut.write(answer(refusal, true).getBytes(StandardCharsets.ISO_8859_1));
      answerOut.flush();
    } catch (IOException e) {
      // The guest is gone.
    }
  }

  /** Adds the refusal to the call's report; logs the first few of a call (without a call, at debug only). */
  private void record(Refusal refusal) {
    int count = call == null ? Integer.MAX_VALUE : call.refused(refusal);
    if (count <= CallLedger.LOGGED_REFUSALS) {
      LOG.info("egress refused {}{}", refusal.reportEntry(), count == CallLedger.LOGGED_REFUSALS
          ? " (further refusals of this call are in its report only)" : "");
    } else {
      LOG.debug("egress refused {}", refusal.reportEntry());
    }
  }

  /** The answer for a refusal: status line with the reason (clients show it), the same text as the body. */
  static String answer(Refusal refusal, boolean withBody) {
    int status = refusal.status == 0 ? 403 : refusal.status;
    String text = refusal.statusText();
    String body = withBody ? text + "\n" : "";
    return "HTTP/1.1 " + status + " " + text + "\r\nContent-Type: text/plain; charset=us-ascii\r\nContent-Length: "
        + body.length() + "\r\nConnection: close\r\n\r\n" + body;
  }

  /**
   * Closes the connection because of {@code reason} (a deadline or a cap). Only the first reason is reported, and
   * it is recorded before the close, so the report is complete when the guest sees the connection end.
   */
  private synchronized void cut(Refusal reason) {
    if (!closed && !cutDone) {
      cutDone = true;
      record(reason);
    }
    close();
  }

  /**
   * Closes everything, plain sockets first (they were added first): a TLS socket's close then fails fast instead of
   * blocking the timer thread on a close_notify write to a guest that does not read.
   */
  @Override
  public void close() {
    closed = true;
    if (handshakeDeadline != null) {
      handshakeDeadline.cancel(false);
    }
    if (connectionDeadline != null) {
      connectionDeadline.cancel(false);
    }
    for (Closeable resource : resources) {
      EgressProxy.closeQuietly(resource);
    }
  }
}
