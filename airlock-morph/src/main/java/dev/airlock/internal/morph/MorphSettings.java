package dev.airlock.internal.morph;

import static dev.airlock.internal.cloud.SettingValues.firstOf;
import static dev.airlock.internal.cloud.SettingValues.httpUrl;
import static dev.airlock.internal.cloud.SettingValues.wholeNumber;

import dev.airlock.AirlockConfig;
import dev.airlock.SandboxUnavailableException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import okhttp3.HttpUrl;

/**
 * The Morph backend's settings, read once from {@link AirlockConfig} and the SDK's environment variables
 * ({@code MORPH_API_KEY}, {@code MORPH_BASE_URL}, {@code MORPH_SSH_HOSTNAME}, {@code MORPH_SSH_PORT}).
 */
record MorphSettings(String apiKey, HttpUrl apiUrl, String sshHost, int sshPort, String sshHostKey, Path knownHosts,
    String snapshot, Duration lifetime, int bridgePort, String home, List<String> bridgeCommand, Duration readyPoll) {
  static final String PREFIX = "airlock.morph.";
  static final String API_KEY = PREFIX + "api-key";
  static final String API_URL = PREFIX + "api-url";
  static final String SSH_HOST = PREFIX + "ssh-host";
  static final String SSH_PORT = PREFIX + "ssh-port";
  static final String SSH_HOST_KEY = PREFIX + "ssh-host-key-sha256";
  static final String SSH_KNOWN_HOSTS = PREFIX + "ssh-known-hosts";
  static final String SNAPSHOT = PREFIX + "snapshot";
  static final String LIFETIME_MARGIN = PREFIX + "lifetime-margin-seconds";
  static final String BRIDGE_PORT = PREFIX + "bridge-port";
  static final String HOME = PREFIX + "home";
  static final List<String> KEYS = List.of(API_KEY, API_URL, SSH_HOST, SSH_PORT, SSH_HOST_KEY, SSH_KNOWN_HOSTS,
      SNAPSHOT, LIFETIME_MARGIN, BRIDGE_PORT, HOME);
  static final int DEFAULT_BRIDGE_PORT = 49990;
  static final String DEFAULT_HOME = "/root/airlock";

  static MorphSettings from(AirlockConfig config, Function<String, String> env) {
    String apiKey = firstOf(config.backendProperty(API_KEY, null), env.apply("MORPH_API_KEY"));
    if (apiKey == null) {
      throw new SandboxUnavailableException("the morph backend needs a Morph Cloud API key: set MORPH_API_KEY (or "
          + API_KEY + "); create one at https://cloud.morph.so");
    }
    String snapshot = config.backendProperty(SNAPSHOT, null);
    if (snapshot == null || snapshot.isBlank()) {
      throw new SandboxUnavailableException("the morph backend needs the id of the Airlock snapshot: set " + SNAPSHOT
          + " (build it as docs/cloud.md describes)");
    }
    String base = firstOf(config.backendProperty(API_URL, null), env.apply("MORPH_BASE_URL"),
        "https://cloud.morph.so/api");
    HttpUrl apiUrl = httpUrl(API_URL, base);
    String home = config.backendProperty(HOME, DEFAULT_HOME);
    int port = wholeNumber(BRIDGE_PORT, config.backendProperty(BRIDGE_PORT, Integer.toString(DEFAULT_BRIDGE_PORT)));
    int margin = wholeNumber(LIFETIME_MARGIN, config.backendProperty(LIFETIME_MARGIN, "120"));
    return new MorphSettings(apiKey, apiUrl,
        firstOf(config.backendProperty(SSH_HOST, null), env.apply("MORPH_SSH_HOSTNAME"), "ssh.cloud.morph.so"),
        wholeNumber(SSH_PORT, firstOf(config.backendProperty(SSH_PORT, null), env.apply("MORPH_SSH_PORT"), "22")),
        config.backendProperty(SSH_HOST_KEY, null), knownHosts(config, env), snapshot.trim(), config.timeout().plusSeconds(margin), port, home,
        List.of("java", "-Xmx128m", "-XX:+UseSerialGC", "-cp", "/opt/airlock/lib/*",
            "dev.airlock.internal.cloud.WorkerBridge", "--port", Integer.toString(port), "--home", home),
        Duration.ofSeconds(1));
  }

  /**
   * Where the gateway's host key is recorded on first use: {@code airlock.morph.ssh-known-hosts}, else
   * {@code $XDG_CONFIG_HOME/airlock/known_hosts}, else {@code ~/.config/airlock/known_hosts}. Configuration, not
   * cache: deleting it trusts the next key shown again.
   */
  private static Path knownHosts(AirlockConfig config, Function<String, String> env) {
    String named = config.backendProperty(SSH_KNOWN_HOSTS, null);
    if (named != null && !named.isBlank()) {
      return Path.of(named.trim());
    }
    String xdg = env.apply("XDG_CONFIG_HOME");
    Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".config");
    return base.resolve("airlock").resolve("known_hosts");
  }

  MorphSettings withBridgeCommand(List<String> command) {
    return new MorphSettings(apiKey, apiUrl, sshHost, sshPort, sshHostKey, knownHosts, snapshot, lifetime,
        bridgePort, home, List.copyOf(command), readyPoll);
  }

  MorphSettings withReadyPoll(Duration poll) {
    return new MorphSettings(apiKey, apiUrl, sshHost, sshPort, sshHostKey, knownHosts, snapshot, lifetime,
        bridgePort, home, bridgeCommand, poll);
  }

  @Override
  public String toString() {
    return "MorphSettings[apiUrl=" + apiUrl + ", ssh=" + sshHost + ":" + sshPort + ", snapshot=" + snapshot
        + ", lifetime=" + lifetime + "]";
  }
}
