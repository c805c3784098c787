package dev.airlock.internal.egress;

import java.util.Objects;

/**
 * A header the egress proxy adds (or replaces) on every request to {@code host}, so a credential reaches the API
 * without entering the sandbox. {@code value} is resolved on the host; {@link #toString()} never prints it.
 *
 * @param plainHttp whether the header may also go with plain {@code http://} requests, in clear text to a server
 *     nobody authenticated; off by default, when such a request to {@code host} is refused
 */
public record SecretInjection(String host, String header, String value, boolean plainHttp) {

  /** Injected over verified TLS only. */
  public SecretInjection(String host, String header, String value) {
    this(host, header, value, false);
  }

  public SecretInjection {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(header, "header");
    Objects.requireNonNull(value, "value");
    EgressRule rule = EgressRule.parse(host);
    if (rule.host() == null || rule.subdomains() || rule.port() != 0) {
      throw new IllegalArgumentException("egress secret host '" + host + "' must be one host name without port or"
          + " wildcard, such as api.openai.com");
    }
    host = rule.host();
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

  @Override
  public String toString() {
    return "SecretInjection[host=" + host + ", header=" + header + ", value=<" + value.length() + " chars>"
        + (plainHttp ? ", plainHttp" : "") + "]";
  }
}
