package dev.airlock.internal.egress;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * IP literals and the address ranges the egress proxy never reaches through a name: a guest must not use an allowed
 * name (or one it controls the DNS of) to reach the host itself, the pool's network or the cloud metadata service.
 */
final class Addresses {
  private static final Pattern IPV4 = Pattern.compile("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d"
      + "|1\\d\\d|[1-9]?\\d)){3}");
  private static final Pattern IPV6 = Pattern.compile("[0-9a-fA-F:.]+");

  private Addresses() {
  }

  /** The address {@code text} spells (dotted quad, or IPv6 without brackets), or null when it is not an IP literal. */
  static InetAddress literal(String text) {
    if (IPV4.matcher(text).matches()) {
      String[] parts = text.split("\\.");
      byte[] bytes = new byte[4];
      for (int i = 0; i < 4; i++) {
        bytes[i] = (byte) Integer.parseInt(parts[i]);
      }
      return address(bytes);
    }
    if (text.indexOf(':') >= 0 && IPV6.matcher(text).matches()) {
      try {
        // Brackets make the JDK parse a literal and never ask DNS.
        return InetAddress.getByName("[" + text + "]");
      } catch (UnknownHostException e) {
        return null;
      }
    }
    return null;
  }

  private static InetAddress address(byte[] bytes) {
    try {
      return InetAddress.getByAddress(bytes);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(e);
    }
  }

  /**
   * Whether {@code address} is on the public internet: not unspecified, loopback, private (RFC 1918, fc00::/7),
   * link-local (169.254/16 with the metadata service, fe80::/10), CGNAT (100.64/10), multicast, reserved or
   * broadcast; IPv6 outside global unicast 2000::/3 is not public, and the forms that carry an IPv4 address
   * (mapped, NAT64 64:ff9b::/96, 6to4) are judged by that address.
   */
  static boolean isPublic(InetAddress address) {
    byte[] b = address.getAddress();
    if (b.length == 4) {
      return isPublicV4(b);
    }
    if (isZero(b, 0, 10) && (b[10] & 0xFF) == 0xFF && (b[11] & 0xFF) == 0xFF) {
      return isPublicV4(slice(b, 12));
    }
    if (isZero(b, 0, 12)) {
      return false; // ::, ::1 and the deprecated IPv4-compatible form
    }
    if ((b[0] & 0xFF) == 0x00 && (b[1] & 0xFF) == 0x64 && (b[2] & 0xFF) == 0xFF && (b[3] & 0xFF) == 0x9B
        && isZero(b, 4, 12)) {
      return isPublicV4(slice(b, 12)); // NAT64 64:ff9b::/96
    }
    if ((b[0] & 0xFF) == 0x20 && (b[1] & 0xFF) == 0x02) {
      return isPublicV4(slice(b, 2)); // 6to4 2002::/16
    }
    int first = b[0] & 0xFF;
    if ((first & 0xE0) != 0x20) {
      // Only 2000::/3 is global unicast. The rest is reserved (::/8 with local-use NAT64 64:ff9b:1::/48 and SIIT's
      // ::ffff:0:0/96, which a translator on the host's network turns into the IPv4 address they carry), discard,
      // unassigned, unique local fc00::/7, link-local fe80::/10, site-local fec0::/10 or multicast ff00::/8.
      return false;
    }
    if (first == 0x20 && b[1] == 0x01 && b[2] == 0x0D && (b[3] & 0xFF) == 0xB8) {
      return false; // documentation 2001:db8::/32
    }
    return !(address instanceof Inet6Address a6) || a6.getScopeId() == 0;
  }

  private static boolean isPublicV4(byte[] b) {
    int a = b[0] & 0xFF;
    int c = b[1] & 0xFF;
    if (a == 0 || a == 10 || a == 127 || a >= 224) {
      return false; // this network, private, loopback, multicast, reserved, broadcast
    }
    if (a == 100 && (c & 0xC0) == 64 || a == 169 && c == 254 || a == 172 && (c & 0xF0) == 16
        || a == 192 && c == 168 || a == 198 && (c & 0xFE) == 18) {
      return false; // CGNAT, link-local and metadata, private, private, benchmarking
    }
    return !(a == 192 && c == 0 && (b[2] & 0xFF) == 0); // IETF protocol assignments 192.0.0.0/24
  }

  /** Whether {@code address} lies in {@code network}/{@code prefixLength}; an IPv4-mapped IPv6 address is IPv4. */
  static boolean contains(InetAddress network, int prefixLength, InetAddress address) {
    byte[] n = network.getAddress();
    byte[] a = unmapped(address.getAddress());
    if (n.length != a.length) {
      return false;
    }
    int full = prefixLength / 8;
    for (int i = 0; i < full; i++) {
      if (n[i] != a[i]) {
        return false;
      }
    }
    int rest = prefixLength % 8;
    if (rest == 0) {
      return true;
    }
    int mask = (0xFF << (8 - rest)) & 0xFF;
    return (n[full] & mask) == (a[full] & mask);
  }

  /** The IPv4 address an IPv4-mapped IPv6 address carries, so a rule for one matches the other. */
  static InetAddress unmapped(InetAddress address) {
    byte[] b = address.getAddress();
    return b.length == 16 && isMapped(b) ? address(slice(b, 12)) : address;
  }

  private static byte[] unmapped(byte[] b) {
    return b.length == 16 && isMapped(b) ? slice(b, 12) : b;
  }

  private static boolean isMapped(byte[] b) {
    return isZero(b, 0, 10) && (b[10] & 0xFF) == 0xFF && (b[11] & 0xFF) == 0xFF;
  }

  private static boolean isZero(byte[] b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (b[i] != 0) {
        return false;
      }
    }
    return true;
  }

  private static byte[] slice(byte[] b, int from) {
    byte[] out = new byte[4];
    System.arraycopy(b, from, out, 0, 4);
    return out;
  }

  /** {@code address} as written in a URL authority: IPv6 in brackets. */
  static String authority(InetAddress address) {
    String text = address.getHostAddress();
    return address instanceof Inet4Address ? text : "[" + text + "]";
  }
}
