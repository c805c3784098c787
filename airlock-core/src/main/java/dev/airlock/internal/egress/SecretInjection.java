package dev.airlock.internal.egress;

import java.util.Objects;

/**
 * A header the egress proxy adds (or replaces) on every request to {@code host} on {@code port}, so a credential
 * reaches the API without entering the sandbox. {@code value} is resolved on the host; {@link #toString()} never
 * prints it. The host may be written {@code host:port}.
 *
 * @param plainHttp whether the header may also go with plain {@code http://} requests, in clear text to a server
 *     nobody authenticated; off by default, when such a request to {@code host} is refused
 * @param port the one port the header goes to; 0 means the standard ones, 443 over TLS and 80 for plain http. A
 *     host's other ports are other services (another tenant's, a debug listener): a tool allowed one of them must
 *     not have the credential sent there.
 */
public record SecretInjection(String host, String header, String value, boolean plainHttp, int port) {

  /** Injected over verified TLS only. */
  public SecretInjection(String host, String header, String value) {
    this(host, header, value, false);
  }

  /** On the port {@code host} names, or the standard ones. */
  public SecretInjection(String host, String header, String value, boolean plainHttp) {
    this(host, header, value, plainHttp, 0);
  }

  public SecretInjection {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(header, "header");
    Objects.requireNonNull(value, "value");
    EgressRule rule = EgressRule.parse(host);
    if (rule.host() == null || rule.subdomains() || port < 0 || port > 65535
        || port != 0 && rule.port() != 0 && port != rule.port()) {
      throw new IllegalArgumentException("egress secret host '" + host + "' must be one host name with an optional"
          + " port and no wildcard, such as api.openai.com or api.example.com:8443");
    }
    host = rule.host();
    port = port != 0 ? port : rule.port();
    if (!HttpHead.isToken(header)) {
      throw new IllegalArgumentException("egress secret header '" + header + "' is not a valid HTTP header name");
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c < 0x20 && c != '\t' || c == 0x7F || c > 0xFF) {
        // The value is not echoed: it is the secret.
        throw new IllegalArgumentException("the value of egress secret header '" + header + "' for " + host
            + " contains a control or non-Latin-1 character; a header value is one line of text");
      }
    }
  }

  /** Whether the header goes to a request on {@code requested}, over TLS or (with {@code tls} false) plain http. */
  boolean appliesTo(int requested, boolean tls) {
    return port == 0 ? requested == (tls ? 443 : 80) : requested == port;
  }

  @Override
  public String toString() {
    return "SecretInjection[host=" + host + (port == 0 ? "" : ":" + port) + ", header=" + header + ", value=<" + value.length() + " chars>"
        + (plainHttp ? ", plainHttp" : "") + "]";
  }
}
