package dev.airlock.internal.cloud;

import okhttp3.HttpUrl;

/** Reading a cloud backend's settings: first value that is set, and values that fail naming their key. */
public final class SettingValues {

  private SettingValues() {
  }

  /** The first value that is set and not blank, trimmed; null when none is. */
  public static String firstOf(String... values) {
    for (String v : values) {
      if (v != null && !v.isBlank()) {
        return v.trim();
      }
    }
    return null;
  }

  public static int wholeNumber(String key, String value) {
    try {
      return Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("Invalid Airlock configuration: " + key + "='" + value
          + "' is not a whole number", e);
    }
  }

  public static HttpUrl httpUrl(String key, String value) {
    HttpUrl url = HttpUrl.parse(value);
    if (url == null) {
      throw new IllegalArgumentException("Invalid Airlock configuration: " + key + "='" + value
          + "' is not an http(s) URL");
    }
    return url;
  }
}
