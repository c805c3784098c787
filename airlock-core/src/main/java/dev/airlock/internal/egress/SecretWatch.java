package dev.airlock.internal.egress;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Watches the bytes going back to the sandbox on a connection that carries an injected secret, so that a server
 * that echoes request headers (a debug endpoint, an error page) cannot hand the secret to the guest in plain text.
 *
 * <p>It looks for every piece of a value {@link #PIECE} bytes long (the whole value when it is shorter), not only the
 * whole value: a streamed echo is cut into chunks wherever the chunked framing falls, and the guest chooses where by
 * padding its request, so the value arrives in two pieces with the framing between them; a truncated echo likewise
 * shows a prefix. The first piece reaches the guest before the second is seen, so the piece's length bounds what an
 * echo can hand out: {@code PIECE - 1} bytes, whatever the value's length (it was half the value, which handed out
 * "Bearer " and 21 characters of a 51-character key, attack review 15). It keeps the last bytes of the previous read,
 * so a piece split across reads is still found. A chunked body is watched as the guest's client decodes it too
 * ({@link #chunkedBody}). Encoded or compressed echoes are not found; that limit is stated in docs/security.md.
 */
final class SecretWatch {
  /** Long enough that no answer holds 12 bytes of a secret by chance; short enough that 11 bytes give little away. */
  static final int PIECE = 12;
  private static final long BASE = 1_000_003;
  private static final String PRINTABLE_ASCII = IntStream.rangeClosed(0x20, 0x7E)
      .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();

  private final List<Pieces> pieces = new ArrayList<>();
  private final int keep;
  /** The bytes as they go to the guest, framing and heads included. */
  private final Stream raw = new Stream();
  /** The body as the guest's client decodes it, chunk framing removed; null until a chunked body starts. */
  private Stream decoded;
  private ChunkFraming framing;
  private boolean malformed;

  /** Bytes watched in order, keeping the last ones of each read so that a piece split across reads is found. */
  private final class Stream {
    private byte[] tail = new byte[0];

    boolean seen(byte[] chunk, int offset, int length) {
      byte[] window = new byte[tail.length + length];
      System.arraycopy(tail, 0, window, 0, tail.length);
      System.arraycopy(chunk, offset, window, tail.length, length);
      for (Pieces piece : pieces) {
        if (piece.foundIn(window)) {
          return true;
        }
      }
      tail = Arrays.copyOfRange(window, Math.max(0, window.length - keep), window.length);
      return false;
    }
  }

  /** The pieces of one value: each of its windows of {@code length} bytes, by rolling hash. */
  private static final class Pieces {
    final byte[] value;
    final int length;
    final long topPower;
    final long[] hashes;

    Pieces(byte[] value) {
      this.value = value;
      this.length = Math.min(value.length, PIECE);
      long power = 1;
      for (int i = 1; i < length; i++) {
        power *= BASE;
      }
      this.topPower = power;
      this.hashes = new long[value.length - length + 1];
      long hash = 0;
      for (int i = 0; i < value.length; i++) {
        hash = roll(hash, i >= length ? value[i - length] & 0xFF : -1, value[i]);
        if (i >= length - 1) {
          hashes[i - length + 1] = hash;
        }
      }
      Arrays.sort(hashes);
    }

    /** The hash with byte {@code out} (0-255, or -1: none) leaving the window and {@code in} entering it. */
    long roll(long hash, int out, byte in) {
      long dropped = out < 0 ? hash : hash - out * topPower;
      return dropped * BASE + (in & 0xFF);
    }

    boolean foundIn(byte[] window) {
      long hash = 0;
      for (int i = 0; i < window.length; i++) {
        hash = roll(hash, i >= length ? window[i - length] & 0xFF : -1, window[i]);
        if (i >= length - 1) {
          if (Arrays.binarySearch(hashes, hash) >= 0 && isPiece(window, i - length + 1)) {
            return true;
          }
        }
      }
      return false;
    }

    /** Whether the {@code length} bytes of {@code window} from {@code from} are a window of the value. */
    private boolean isPiece(byte[] window, int from) {
      for (int start = 0; start + length <= value.length; start++) {
        if (Arrays.equals(window, from, from + length, value, start, start + length)) {
          return true;
        }
      }
      return false;
    }
  }

  SecretWatch(List<SecretInjection> injections) {
    for (SecretInjection injection : injections) {
      byte[] value = injection.value().getBytes(StandardCharsets.ISO_8859_1);
      if (value.length > 0) {
        pieces.add(new Pieces(value));
      }
    }
    this.keep = pieces.stream().mapToInt(p -> p.length - 1).max().orElse(0);
  }

  /**
   * From here on the bytes are a chunked body. The guest chooses where the server's chunk framing falls (by padding
   * its request), so the framing can split an echoed value into halves shorter than a piece each, which the bytes as
   * sent never show whole (a value of up to 22 bytes then went through entire, attack review 29). Its client removes
   * the framing, so the body is watched as decoded too.
   */
  void chunkedBody() {
    decoded = new Stream();
    framing = new ChunkFraming();
  }

  /**
   * Whether a piece of a secret value ends in {@code chunk} (possibly starting in an earlier one), as sent or in the
   * decoded body; also true when a chunked body's framing cannot be read, since the watch could not see what the
   * guest decodes from it ({@link #malformed()}).
   */
  boolean seen(byte[] chunk, int offset, int length) {
    if (raw.seen(chunk, offset, length)) {
      return true;
    }
    if (framing == null) {
      return false;
    }
    byte[] payload = framing.payload(chunk, offset, length);
    if (payload == null) {
      malformed = true;
      return true;
    }
    return decoded.seen(payload, 0, payload.length);
  }

  /**
   * Whether an answer declared in {@code charset} (a Content-Type parameter, possibly quoted) shows an echoed value
   * in the bytes the watch looks for: the charset writes printable ASCII as ASCII. The guest chooses the charset (a
   * parameter of Accept, or Accept-Charset, which frameworks honour), and in UTF-16, UTF-32 or EBCDIC no byte of the
   * value appears as it was sent, while the guest decodes the whole of it (attack review 32). An unknown charset
   * cannot be checked, so it is unreadable too.
   */
  static boolean readable(String charset) {
    String name = charset.strip();
    if (name.length() >= 2 && name.startsWith("\"") && name.endsWith("\"")) {
      name = name.substring(1, name.length() - 1);
    }
    try {
      return Arrays.equals(PRINTABLE_ASCII.getBytes(Charset.forName(name)),
          PRINTABLE_ASCII.getBytes(StandardCharsets.US_ASCII));
    } catch (IllegalArgumentException | UnsupportedOperationException e) {
      return false; // an illegal or unsupported name, or a charset that only decodes
    }
  }

  /** Whether {@link #seen} answered true because the chunked framing could not be read. */
  boolean malformed() {
    return malformed;
  }
}
