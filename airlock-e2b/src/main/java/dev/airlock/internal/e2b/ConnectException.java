package dev.airlock.internal.e2b;

import com.fasterxml.jackson.databind.JsonNode;
import dev.airlock.internal.backend.GuestText;
import java.io.IOException;

/** An error answered by envd in Connect's shape ({@code {"code":"not_found","message":"..."}}). */
final class ConnectException extends IOException {
  private static final long serialVersionUID = 1L;
  private static final int MAX_QUOTED_CHARS = 2048;
  private final String code;

  /** The code and message are envd's text (the guest's, once it ran): the exception's message holds them escaped. */
  ConnectException(String code, String message) {
    super(GuestText.escape(code, MAX_QUOTED_CHARS) + ": " + GuestText.escape(message, MAX_QUOTED_CHARS));
    this.code = code;
  }

  static ConnectException of(JsonNode error) {
    return new ConnectException(Json.text(error, "code", "unknown"), Json.text(error, "message", ""));
  }

  String code() {
    return code;
  }
}
