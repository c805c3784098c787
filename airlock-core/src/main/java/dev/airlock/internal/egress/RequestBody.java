package dev.airlock.internal.egress;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * The body of the one request a connection carries, framed as its head declares (Content-Length, chunked, or none)
 * and copied exactly: the proxy stops reading the guest where the body ends, so bytes a guest pipelines behind the
 * request it checked (a second request with another Host, a smuggled one) never reach the server. Heads whose
 * framing is ambiguous (both fields, several lengths, another transfer coding) are refused.
 */
final class RequestBody {
  static final int MAX_CHUNK_LINE = 1024;
  static final int MAX_TRAILER_BYTES = 16 * 1024;
  private static final long CHUNKED = -1;

  private final long length;

  private RequestBody(long length) {
    this.length = length;
  }

  /** Where the body's bytes go: counted and written, or an IOException that ends the copy. */
  interface Sink {
    void write(byte[] bytes, int offset, int length) throws IOException;
  }

  static RequestBody of(HttpHead head) throws HttpHead.BadHead {
    List<String> codings = head.values("Transfer-Encoding");
    List<String> lengths = head.values("Content-Length");
    if (!codings.isEmpty()) {
      if (!lengths.isEmpty()) {
        throw new HttpHead.BadHead(400, "the request has both Transfer-Encoding and Content-Length");
      }
      if (codings.size() != 1 || !codings.get(0).equalsIgnoreCase("chunked")) {
        throw new HttpHead.BadHead(501, "the only request transfer coding the proxy relays is 'chunked'");
      }
      return new RequestBody(CHUNKED);
    }
    if (lengths.isEmpty()) {
      return new RequestBody(0);
    }
    String first = lengths.get(0);
    if (!lengths.stream().allMatch(first::equals) || first.isEmpty() || first.length() > 18
        || !first.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new HttpHead.BadHead(400, "the request's Content-Length is not one decimal number");
    }
    return new RequestBody(Long.parseLong(first));
  }

  /**
   * Copies the body from {@code in} to {@code out}; returns where it ends, without reading further. Chunked framing
   * is read strictly (hex size then ';' or CRLF, every line CRLF, trailer lines are header fields), since a line a
   * lenient parser reads one way and the server another would let bytes the proxy took for the body start a request.
   */
  void copy(InputStream in, Sink out) throws IOException {
    byte[] buffer = new byte[16 * 1024];
    if (length >= 0) {
      copyExactly(in, out, length, buffer);
      return;
    }
    // One buffer for every line: a body of one-byte chunks has a line per three bytes.
    byte[] line = new byte[MAX_TRAILER_BYTES];
    while (true) {
      int lineLength = line(in, line, MAX_CHUNK_LINE);
      long size = chunkSize(line, lineLength);
      out.write(line, 0, lineLength);
      if (size == 0) {
        break;
      }
      copyExactly(in, out, size, buffer);
      if (line(in, line, 2) != 2) {
        throw new HttpHead.BadHead(400, "a chunk does not end in CRLF");
      }
      out.write(line, 0, 2);
    }
    int trailer = 0;
    while (true) {
      int lineLength = line(in, line, MAX_TRAILER_BYTES);
      trailer += lineLength;
      if (trailer > MAX_TRAILER_BYTES) {
        throw new HttpHead.BadHead(431, "the chunked trailer is larger than " + MAX_TRAILER_BYTES + " bytes");
      }
      if (lineLength > 2) {
        String field = new String(line, 0, lineLength - 2, StandardCharsets.ISO_8859_1);
        int colon = field.indexOf(':');
        if (colon <= 0 || !HttpHead.isToken(field.substring(0, colon))) {
          throw new HttpHead.BadHead(400, "a chunked trailer line is not 'name: value'");
        }
      }
      out.write(line, 0, lineLength);
      if (lineLength == 2) {
        return;
      }
    }
  }

  private static void copyExactly(InputStream in, Sink out, long count, byte[] buffer) throws IOException {
    long left = count;
    while (left > 0) {
      int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
      if (n < 0) {
        throw new IOException("the request body ended early");
      }
      out.write(buffer, 0, n);
      left -= n;
    }
  }

  /**
   * One line ending in CRLF, with no other control character than a tab, at most {@code max} bytes, read into
   * {@code line}; returns its length.
   */
  private static int line(InputStream in, byte[] line, int max) throws IOException {
    int length = 0;
    while (true) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("the request body ended early");
      }
      if (length == max) {
        throw new HttpHead.BadHead(400, "a chunk line is longer than " + max + " bytes");
      }
      line[length++] = (byte) b;
      if (b == '\n') {
        if (length < 2 || line[length - 2] != '\r' || indexOf(line, length, (byte) '\r') != length - 2) {
          throw new HttpHead.BadHead(400, "a line of the chunked body does not end in CRLF or has a bare CR");
        }
        return length;
      }
      if (b < 0x20 && b != '\t' && b != '\r' || b == 0x7F) {
        throw new HttpHead.BadHead(400, "a line of the chunked body contains a control character");
      }
    }
  }

  /** The size of a chunk line: 1 to 15 hex digits, then a ';' extension or the CRLF. */
  private static long chunkSize(byte[] line, int length) throws HttpHead.BadHead {
    long size = 0;
    int digits = 0;
    for (int i = 0; i < length; i++) {
      int digit = Character.digit(line[i], 16);
      if (digit < 0) {
        break;
      }
      if (++digits > 15) {
        throw new HttpHead.BadHead(400, "a chunk size is too large");
      }
      size = size * 16 + digit;
    }
    if (digits == 0 || digits != length - 2 && line[digits] != ';') {
      throw new HttpHead.BadHead(400, "a chunk line is not a hex size, an optional ';' extension and CRLF");
    }
    return size;
  }

  private static int indexOf(byte[] bytes, int length, byte value) {
    for (int i = 0; i < length; i++) {
      if (bytes[i] == value) {
        return i;
      }
    }
    return -1;
  }
}
