package dev.airlock.internal.egress;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The start line and header fields of one HTTP/1.1 message, read within a byte and a field-count bound so a guest
 * cannot make the proxy buffer without limit. Lines end in CRLF (a bare LF is accepted); folded lines, NUL bytes and
 * field names that are not tokens are refused, so what the proxy forwards is what it checked.
 */
final class HttpHead {
  static final int MAX_REQUEST_HEAD_BYTES = 16 * 1024;
  static final int MAX_RESPONSE_HEAD_BYTES = 64 * 1024;
  static final int MAX_FIELDS = 100;

  final String startLine;
  final List<String[]> fields;

  private HttpHead(String startLine, List<String[]> fields) {
    this.startLine = startLine;
    this.fields = fields;
  }

  /** Thrown for a head that is malformed or over a bound; {@code status} is the answer to give. */
  static final class BadHead extends IOException {
    final int status;

    BadHead(int status, String message) {
      super(message);
      this.status = status;
    }
  }

  /** Reads one head; null when the stream ends before its first byte. */
  static HttpHead read(InputStream in, int maxBytes) throws IOException {
    byte[] line = new byte[maxBytes];
    int total = 0;
    String start = null;
    List<String[]> fields = new ArrayList<>();
    while (true) {
      int length = 0;
      while (true) {
        int b = in.read();
        if (b < 0) {
          if (start == null && length == 0) {
            return null;
          }
          throw new BadHead(400, "the message head ended early");
        }
        if (++total > maxBytes) {
          throw new BadHead(431, "the message head is larger than " + maxBytes + " bytes");
        }
        if (b == '\n') {
          break;
        }
        if (b == 0) {
          throw new BadHead(400, "the message head contains a NUL byte");
        }
        line[length++] = (byte) b;
      }
      if (length > 0 && line[length - 1] == '\r') {
        length--;
      }
      String text = new String(line, 0, length, StandardCharsets.ISO_8859_1);
      if (start == null) {
        start = text;
        continue;
      }
      if (text.isEmpty()) {
        return new HttpHead(start, fields);
      }
      if (text.charAt(0) == ' ' || text.charAt(0) == '\t' || text.indexOf('\r') >= 0) {
        throw new BadHead(400, "the message head contains a folded line or a bare CR");
      }
      int colon = text.indexOf(':');
      if (colon <= 0 || !isToken(text.substring(0, colon))) {
        throw new BadHead(400, "a header field is not 'name: value'");
      }
      if (fields.size() == MAX_FIELDS) {
        throw new BadHead(431, "the message has more than " + MAX_FIELDS + " header fields");
      }
      fields.add(new String[] {text.substring(0, colon), text.substring(colon + 1).strip()});
    }
  }

  /**
   * Whether this is an interim response (1xx other than 101): the final response follows it on the same connection.
   * 101 switches protocols, after which nothing is HTTP; a start line that is not a status line is final too.
   */
  boolean interim() {
    String[] parts = startLine.split(" ", 3);
    return parts.length >= 2 && parts[1].length() == 3 && parts[1].charAt(0) == '1' && !parts[1].equals("101");
  }

  /** Whether the start line is visible ASCII and single spaces: a control character may end a line downstream. */
  boolean plainStartLine() {
    return startLine.chars().allMatch(c -> c > 0x20 && c < 0x7F || c == ' ');
  }

  static boolean isToken(String text) {
    if (text.isEmpty()) {
      return false;
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c <= 0x20 || c >= 0x7F || "()<>@,;:\\\"/[]?={}".indexOf(c) >= 0) {
        return false;
      }
    }
    return true;
  }

  /** The values of field {@code name}, case-insensitively. */
  List<String> values(String name) {
    List<String> out = new ArrayList<>();
    for (String[] field : fields) {
      if (field[0].equalsIgnoreCase(name)) {
        out.add(field[1]);
      }
    }
    return out;
  }

  /**
   * Removes the hop-by-hop fields: the standard ones, the proxy credentials and every field Connection names, except
   * the ones the proxy relays the message by (Host, Content-Length, Transfer-Encoding): the body is copied as those
   * frame it, so the next hop must read the same framing, or it would take the body for another request.
   */
  void removeHopByHop() {
    List<String> named = new ArrayList<>();
    for (String value : values("Connection")) {
      for (String token : value.split(",")) {
        named.add(token.strip().toLowerCase(Locale.ROOT));
      }
    }
    named.removeAll(List.of("host", "content-length", "transfer-encoding"));
    fields.removeIf(field -> {
      String name = field[0].toLowerCase(Locale.ROOT);
      return named.contains(name) || name.equals("connection") || name.equals("proxy-connection")
          || name.equals("keep-alive") || name.equals("proxy-authorization") || name.equals("proxy-authenticate")
          || name.equals("upgrade") || name.equals("te") || name.equals("trailer");
    });
  }

  void remove(String name) {
    fields.removeIf(field -> field[0].equalsIgnoreCase(name));
  }

  void add(String name, String value) {
    fields.add(new String[] {name, value});
  }

  /** Writes {@code startLine} and the fields; returns the bytes written. */
  long writeTo(OutputStream out, String startLine) throws IOException {
    StringBuilder text = new StringBuilder(startLine).append("\r\n");
    for (String[] field : fields) {
      text.append(field[0]).append(": ").append(field[1]).append("\r\n");
    }
    byte[] bytes = text.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
    out.write(bytes);
    out.flush();
    return bytes.length;
  }
}
