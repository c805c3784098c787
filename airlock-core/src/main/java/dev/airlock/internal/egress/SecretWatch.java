package dev.airlock.internal.egress;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * Watches the bytes going back to the sandbox on a connection that carries an injected secret, so that a server
 * that echoes request headers (a debug endpoint, an error page) cannot hand the secret to the guest in plain text.
 * It keeps the last bytes of the previous chunk, so a value split across reads is still found. Encoded or
 * compressed echoes are not found; that limit is stated in docs/security.md.
 */
final class SecretWatch {
  private final List<byte[]> values;
  private final int keep;
  private byte[] tail = new byte[0];

  SecretWatch(List<SecretInjection> injections) {
    this.values = injections.stream().map(i -> i.value().getBytes(StandardCharsets.ISO_8859_1))
        .filter(v -> v.length > 0).toList();
    this.keep = values.stream().mapToInt(v -> v.length - 1).max().orElse(0);
  }

  /** Whether a secret value ends in {@code chunk} (possibly starting in an earlier one). */
  boolean seen(byte[] chunk, int offset, int length) {
    byte[] window = new byte[tail.length + length];
    System.arraycopy(tail, 0, window, 0, tail.length);
    System.arraycopy(chunk, offset, window, tail.length, length);
    for (byte[] value : values) {
      if (indexOf(window, value) >= 0) {
        return true;
      }
    }
    tail = Arrays.copyOfRange(window, Math.max(0, window.length - keep), window.length);
    return false;
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
