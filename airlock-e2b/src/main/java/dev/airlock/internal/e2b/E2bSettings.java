package dev.airlock.internal.e2b;

import static dev.airlock.internal.cloud.SettingValues.firstOf;
import static dev.airlock.internal.cloud.SettingValues.httpUrl;
import static dev.airlock.internal.cloud.SettingValues.wholeNumber;

import dev.airlock.AirlockConfig;
import dev.airlock.SandboxUnavailableException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import okhttp3.HttpUrl;

/**
 * The E2B backend's settings, read once from {@link AirlockConfig} and the SDKs' environment variables
 * ({@code E2B_API_KEY}, {@code E2B_DOMAIN}, {@code E2B_API_URL}, {@code E2B_SANDBOX_URL}).
 */
record E2bSettings(String apiKey, HttpUrl apiUrl, HttpUrl sandboxUrl, String domain, String scheme, String template,
    boolean internet, Duration lifetime, int bridgePort, String home, List<String> bridgeCommand) {
  static final String PREFIX = "airlock.e2b.";
  static final String API_KEY = PREFIX + "api-key";
  static final String API_URL = PREFIX + "api-url";
  static final String SANDBOX_URL = PREFIX + "sandbox-url";
  static final String DOMAIN = PREFIX + "domain";
  static final String TEMPLATE = PREFIX + "template";
  static final String INTERNET = PREFIX + "internet";
  static final String LIFETIME_MARGIN = PREFIX + "lifetime-margin-seconds";
  static final String BRIDGE_PORT = PREFIX + "bridge-port";
  static final String HOME = PREFIX + "home";
  static final List<String> KEYS = List.of(API_KEY, API_URL, SANDBOX_URL, DOMAIN, TEMPLATE, INTERNET,
      LIFETIME_MARGIN, BRIDGE_PORT, HOME);

  static final String DEFAULT_TEMPLATE = "airlock-worker";
  static final int DEFAULT_BRIDGE_PORT = 49990;
  static final String DEFAULT_HOME = "/home/user/airlock";
  /** Domains whose proxy serves every sandbox on one host, selected by headers (what the SDKs do). */
  static final Set<String> SHARED_HOST_DOMAINS = Set.of("e2b.app", "e2b.dev", "e2b.pro", "e2b-staging.dev");

  static E2bSettings from(AirlockConfig config, Function<String, String> env) {
    String apiKey = firstOf(config.backendProperty(API_KEY, null), env.apply("E2B_API_KEY"));
    if (apiKey == null || apiKey.isBlank()) {
      throw new SandboxUnavailableException("the e2b backend needs an E2B API key: set E2B_API_KEY (or "
          + API_KEY + "); create one at https://e2b.dev/dashboard");
    }
    String domain = firstOf(config.backendProperty(DOMAIN, null), env.apply("E2B_DOMAIN"), "e2b.app");
    HttpUrl apiUrl = httpUrl(API_URL, firstOf(config.backendProperty(API_URL, null), env.apply("E2B_API_URL"),
        "https://api." + domain));
    String sandboxUrl = firstOf(config.backendProperty(SANDBOX_URL, null), env.apply("E2B_SANDBOX_URL"));
    int margin = wholeNumber(LIFETIME_MARGIN, config.backendProperty(LIFETIME_MARGIN, "120"));
    int port = wholeNumber(BRIDGE_PORT, config.backendProperty(BRIDGE_PORT, Integer.toString(DEFAULT_BRIDGE_PORT)));
    String home = config.backendProperty(HOME, DEFAULT_HOME);
    String internet = config.backendProperty(INTERNET, "false");
    if (!internet.equals("true") && !internet.equals("false")) {
      throw new IllegalArgumentException("Invalid Airlock configuration: " + INTERNET + "='" + internet
          + "' is not true or false");
    }
    return new E2bSettings(apiKey.trim(), apiUrl, sandboxUrl == null ? null : httpUrl(SANDBOX_URL, sandboxUrl), domain,
        "https", config.backendProperty(TEMPLATE, DEFAULT_TEMPLATE), Boolean.parseBoolean(internet),
        config.timeout().plusSeconds(margin), port, home, bridgeCommand(home, port));
  }

  /** What the template's start command runs (see e2b/), for a sandbox where it is not running. */
  static List<String> bridgeCommand(String home, int port) {
    return List.of("/bin/sh", "-c", "exec java -Xmx128m -XX:+UseSerialGC -cp '/opt/airlock/lib/*' "
        + "dev.airlock.internal.cloud.WorkerBridge --port " + port + " --home " + home);
  }

  E2bSettings withScheme(String newScheme) {
    return new E2bSettings(apiKey, apiUrl, sandboxUrl, domain, newScheme, template, internet, lifetime, bridgePort,
        home, bridgeCommand);
  }

  E2bSettings withBridgeCommand(List<String> command) {
    return new E2bSettings(apiKey, apiUrl, sandboxUrl, domain, scheme, template, internet, lifetime, bridgePort,
        home, List.copyOf(command));
  }

  @Override
  public String toString() {
    return "E2bSettings[apiUrl=" + apiUrl + ", sandboxUrl=" + sandboxUrl + ", domain=" + domain + ", template="
        + template + ", internet=" + internet + ", lifetime=" + lifetime + "]";
  }
}
