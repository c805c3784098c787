package dev.airlock.internal.guard;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The one description of what a secret looks like, shared by the masker (text going out to a caller or a model)
 * and the shipping check (a receiver's state going into a sandbox), so neither knows a word the other misses.
 *
 * <p>A secret is found two ways: by its name (a field, map key or {@code key=value} key holding one of
 * {@link #WORDS}) and by its shape (a private key block, a JWT, a provider's API key, a bearer token, a chat webhook
 * URL, a connection string with a password). Every pattern is linear: bounded, possessive repetitions.
 */
public final class SecretKeys {
  /**
   * Words that name a secret, lowercase, matched anywhere in a name in any case: {@code apiKey}, {@code DB_PASSWORD},
   * {@code authorization}, {@code slackWebhook}. Wide on purpose: a false hit costs a rename or a
   * {@code transient}, a miss ships or prints the secret.
   */
  public static final List<String> WORDS = List.of("password", "passwd", "passphrase", "pwd", "secret", "key",
      "token", "credential", "auth", "cookie", "dsn", "webhook");

  /** A kind of sensitive text and how to find it; {@code check} rejects look-alikes, {@code group} is replaced. */
  record Detector(String kind, Pattern pattern, Predicate<String> check, int group) {
    Detector(String kind, Pattern pattern, Predicate<String> check) {
      this(kind, pattern, check, 0);
    }

    Detector(String kind, Pattern pattern) {
      this(kind, pattern, s -> true, 0);
    }
  }

  /** Spaces after NFKC: ASCII and Unicode separators, and the zero-width characters NFKC keeps. */
  static final String SPACE = "[\\s\\p{Z}\\u200B-\\u200D\\u2060\\uFEFF]";

  /**
   * A secret's key in text: an identifier (up to six segments joined by {@code _ . -}) whose last segment holds one
   * of {@link #WORDS}, so {@code DB_PASSWORD}, {@code AWS_SECRET_ACCESS_KEY}, {@code spring.datasource.password},
   * {@code client-secret} and {@code apiKey}.
   */
  private static final String KEY_IN_TEXT = "(?<![A-Za-z0-9])(?:[A-Za-z0-9]{1,24}+[_.-]){0,5}[A-Za-z0-9]{0,24}?(?i:"
      + WORDS.stream().collect(Collectors.joining("|")) + ")[A-Za-z0-9_-]{0,24}+";

  /** What the masker puts in a secret's place: {@code [REDACTED]}, {@code [JWT]}, {@code [JWT:0123456789abcdef]}. */
  private static final Pattern REPLACED = Pattern.compile("\\[[A-Z_]{3,20}+(?::[0-9a-f]{16})?]");

  /** Secrets by shape (and {@code key=value} by key), in the order the masker replaces them. */
  static final List<Detector> DETECTORS = List.of(
      new Detector("PRIVATE_KEY", Pattern.compile(
          "-----BEGIN (?:[A-Z0-9]{1,20} ){0,3}PRIVATE KEY-----[\\s\\S]{0,65536}?"
              + "-----END (?:[A-Z0-9]{1,20} ){0,3}PRIVATE KEY-----")),
      new Detector("JWT", Pattern.compile(
          "(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{5,8192}+\\.eyJ[A-Za-z0-9_-]{5,65536}+\\.[A-Za-z0-9_-]{10,8192}+")),
      new Detector("AWS_KEY", Pattern.compile("\\b(?:AKIA|ASIA)[0-9A-Z]{16}\\b")),
      new Detector("API_KEY", Pattern.compile(
          "\\b(?:sk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,512}+|ghp_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{40,255}+"
              + "|xox[baprs]-[A-Za-z0-9-]{10,255}+|AIza[0-9A-Za-z_-]{35}|e2b_[A-Za-z0-9]{20,255}+)")),
      new Detector("BEARER_TOKEN", Pattern.compile("(?<![A-Za-z0-9])(?i:bearer)" + SPACE
          + "{1,3}+[A-Za-z0-9._~+/=-]{8,8192}+")),
      new Detector("WEBHOOK_URL", Pattern.compile("(?i:https?)://(?:hooks\\.slack\\.com/(?:services|workflows|triggers)"
          + "|(?:[a-z0-9-]{1,63}+\\.)?discord(?:app)?\\.com/api/webhooks|[a-z0-9.-]{1,128}+\\.webhook\\.office\\.com"
          + "|chat\\.googleapis\\.com/v1/spaces)/[^\\s\"'<>]{4,2048}+")),
      new Detector("CONNECTION_STRING", Pattern.compile(
          "(?<![A-Za-z0-9+.-])[a-zA-Z][a-zA-Z0-9+.-]{1,20}+://[^\\s:/@]{1,256}+:[^\\s@/]{1,256}+@[^\\s]{1,2048}+")),
      // The value after a secret's key, in key=value, key: value and JSON "key": "value" forms; not a value an
      // earlier detector already replaced ("key: [PRIVATE_KEY]").
      new Detector("PASSWORD", Pattern.compile(KEY_IN_TEXT + "[\"']?" + SPACE + "{0,3}+[=:]" + SPACE
          + "{0,3}+[\"']?([^\\s,;\"'\\p{Z}]{3,4096}+)"), s -> !REPLACED.matcher(s).matches(), 1));

  private SecretKeys() {
  }

  /** Whether {@code text} is what the masker writes in a secret's place ({@code [REDACTED]}, {@code [JWT:...]}). */
  static boolean isReplacement(String text) {
    return REPLACED.matcher(text).matches();
  }

  /** The word of {@link #WORDS} that {@code name} holds (any case), if any. */
  public static Optional<String> wordIn(String name) {
    String lower = name.toLowerCase(Locale.ROOT);
    return WORDS.stream().filter(lower::contains).findFirst();
  }

  /** The kind of the first secret-shaped text in {@code text} ({@code "JWT"}, {@code "PASSWORD"}...), if any. */
  public static Optional<String> kindIn(CharSequence text) {
    for (Detector d : DETECTORS) {
      Matcher m = d.pattern().matcher(text);
      while (m.find()) {
        if (d.check().test(m.group(d.group()))) {
          return Optional.of(d.kind());
        }
      }
    }
    return Optional.empty();
  }
}
