package dev.airlock.internal.egress;

import java.net.InetAddress;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * One allowed destination. A name rule ({@code host} set) matches that name, or with {@code subdomains} every name
 * below it but not the name itself ({@code *.example.com}); an address rule ({@code network} set) matches an IP
 * literal or a CIDR. {@code port} 0 means 80 and 443. Addresses that are not public are reached only through an
 * address rule that names them: a name rule never makes loopback or the metadata service reachable.
 */
public record EgressRule(String host, boolean subdomains, InetAddress network, int prefixLength, int port) {

  static final String SYNTAX = "host names with an optional '*.' prefix and an optional port (api.github.com,"
      + " *.wikipedia.org, example.com:8443), IP literals or CIDRs (10.0.0.0/8, 192.0.2.7:8080, [::1]:8443)";

  private static final Pattern LABEL = Pattern.compile("[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?");

  /** A rule is a normalized name or an address with a prefix that fits it, never both; use {@link #parse}. */
  public EgressRule {
    if ((host == null) == (network == null) || host != null && !host.equals(normalizeName(host))
        || subdomains && host == null || port < 0 || port > 65535
        || network != null && (prefixLength < 1 || prefixLength > network.getAddress().length * 8)) {
      throw new IllegalArgumentException("not a valid egress rule; write entries as " + SYNTAX);
    }
  }

  /** Parses one entry; IllegalArgumentException naming it and the accepted syntax. */
  public static EgressRule parse(String entry) {
    String text = entry == null ? "" : entry.strip();
    String hostPart = text;
    int port = 0;
    int colon = text.lastIndexOf(':');
    if (text.startsWith("[")) {
      int close = text.indexOf(']');
      if (close < 0) {
        throw bad(entry);
      }
      hostPart = text.substring(1, close);
      String rest = text.substring(close + 1);
      if (!rest.isEmpty()) {
        if (!rest.startsWith(":")) {
          throw bad(entry);
        }
        port = port(rest.substring(1), entry);
      }
      int slash = hostPart.indexOf('/');
      return addressRule(slash < 0 ? hostPart : hostPart.substring(0, slash),
          slash < 0 ? null : hostPart.substring(slash + 1), port, entry, true);
    }
    if (colon >= 0 && text.indexOf(':') == colon) {
      hostPart = text.substring(0, colon);
      port = port(text.substring(colon + 1), entry);
    }
    int slash = hostPart.indexOf('/');
    if (slash >= 0 || hostPart.indexOf(':') >= 0 || Addresses.literal(hostPart) != null) {
      if (hostPart.indexOf(':') >= 0 && port != 0) {
        throw bad(entry); // an IPv6 address with a port is written [::1]:8443
      }
      return addressRule(slash < 0 ? hostPart : hostPart.substring(0, slash),
          slash < 0 ? null : hostPart.substring(slash + 1), port, entry, hostPart.indexOf(':') >= 0);
    }
    boolean subdomains = hostPart.startsWith("*.");
    String name = normalizeName(subdomains ? hostPart.substring(2) : hostPart);
    if (name == null || subdomains && name.indexOf('.') < 0) {
      throw bad(entry); // *.com would allow a whole top-level domain
    }
    return new EgressRule(name, subdomains, null, 0, port);
  }

  private static EgressRule addressRule(String address, String prefix, int port, String entry, boolean v6) {
    InetAddress network = Addresses.literal(address);
    if (network == null || v6 != (network.getAddress().length == 16 || address.indexOf(':') >= 0)) {
      throw bad(entry);
    }
    network = Addresses.unmapped(network);
    int bits = network.getAddress().length * 8;
    int length = bits;
    if (prefix != null) {
      try {
        length = Integer.parseInt(prefix);
      } catch (NumberFormatException e) {
        throw bad(entry);
      }
      if (length < 1 || length > bits) {
        throw bad(entry); // /0 would allow every address
      }
    }
    return new EgressRule(null, false, network, length, port);
  }

  private static int port(String text, String entry) {
    try {
      int port = Integer.parseInt(text);
      if (port >= 1 && port <= 65535 && text.chars().allMatch(Character::isDigit)) {
        return port;
      }
    } catch (NumberFormatException e) {
      // falls through to the error naming the entry
    }
    throw bad(entry);
  }

  /** {@code name} lower-cased without a trailing dot, or null when it is not an ASCII host name. */
  static String normalizeName(String name) {
    String lower = name.toLowerCase(Locale.ROOT);
    if (lower.endsWith(".")) {
      lower = lower.substring(0, lower.length() - 1);
    }
    if (lower.isEmpty() || lower.length() > 253) {
      return null;
    }
    for (String label : lower.split("\\.", -1)) {
      if (!LABEL.matcher(label).matches()) {
        return null;
      }
    }
    return lower;
  }

  private static IllegalArgumentException bad(String entry) {
    return new IllegalArgumentException("egress entry '" + entry + "' is not valid; entries are " + SYNTAX);
  }

  boolean matchesPort(int requested) {
    return port == 0 ? requested == 80 || requested == 443 : requested == port;
  }

  /** Whether this name rule allows {@code name} (normalized) on {@code requested}. */
  boolean allowsName(String name, int requested) {
    if (host == null || !matchesPort(requested)) {
      return false;
    }
    return subdomains ? name.endsWith("." + host) : name.equals(host);
  }

  /** Whether this address rule names {@code address} on {@code requested}. */
  boolean allowsAddress(InetAddress address, int requested) {
    return network != null && matchesPort(requested) && Addresses.contains(network, prefixLength, address);
  }

  @Override
  public String toString() {
    String base;
    if (host != null) {
      base = subdomains ? "*." + host : host;
    } else {
      String ip = network.getHostAddress();
      boolean full = prefixLength == network.getAddress().length * 8;
      base = ip.indexOf(':') >= 0 ? "[" + ip + (full ? "" : "/" + prefixLength) + "]"
          : ip + (full ? "" : "/" + prefixLength);
    }
    return port == 0 ? base : base + ":" + port;
  }
}
