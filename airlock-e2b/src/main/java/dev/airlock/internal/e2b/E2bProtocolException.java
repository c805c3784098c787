package dev.airlock.internal.e2b;

import java.io.IOException;

/** E2B answered something that breaks its own protocol. */
final class E2bProtocolException extends IOException {
  private static final long serialVersionUID = 1L;

  E2bProtocolException(String message) {
    super(message);
  }
}
