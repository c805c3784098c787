package dev.airlock.internal.e2b;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;

/** An error answered by envd in Connect's shape ({@code {"code":"not_found","message":"..."}}). */
final class ConnectException extends IOException {
  private static final long serialVersionUID = 1L;
  private final String code;

  ConnectException(String code, String message) {
    super(code + ": " + message);
    this.code = code;
  }

  static ConnectException of(JsonNode error) {
    return new ConnectException(Json.text(error, "code", "unknown"), Json.text(error, "message", ""));
  }

  String code() {
    return code;
  }
}
