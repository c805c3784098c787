package dev.airlock.internal.backend;

import dev.airlock.AirlockConfig;
import dev.airlock.AirlockPolicy;
import dev.airlock.internal.egress.EgressRules;
import dev.airlock.internal.egress.SecretInjection;
import dev.airlock.spi.SecretResolver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The egress configuration of a pool, read from {@code airlock.egress.*} and the policies' {@code egress}: whether its
 * workers get a way out at all, the hosts every call may reach, the per-call caps and the secrets the proxy injects.
 * Secrets are kept as written ({@code Bearer ${env:KEY}}) until {@link #resolveSecrets} runs on the host when the
 * backend starts, so a configuration object never holds a resolved secret.
 */
public final class EgressSettings {
  public static final long DEFAULT_MAX_BYTES_PER_CALL = 10L * 1024 * 1024;
  public static final long DEFAULT_MAX_CONNECTION_SECONDS = 60;
  private static final Pattern REFERENCE = Pattern.compile("\\$\\{([a-zA-Z][a-zA-Z0-9-]*):([^}]+)}");
  private static final List<String> SECRET_FIELDS = List.of("host", "header", "value");
  /** Off unless set: a secret sent over plain HTTP crosses the network in clear text, to an unauthenticated server. */
  private static final String PLAIN_HTTP = "plain-http";
  /** Resolvers registered at run time (the Spring starter's beans), besides those of the ServiceLoader. */
  private static final List<SecretResolver> REGISTERED = new CopyOnWriteArrayList<>();

  /** One configured secret, its value unresolved. */
  public record Secret(String name, String host, String header, String value, boolean plainHttp) {
    @Override
    public String toString() {
      return "Secret[" + name + " -> " + header + " for " + host + "]";
    }
  }

  private final boolean enabled;
  private final List<String> allow;
  private final long maxBytesPerCall;
  private final Duration maxConnectionTime;
  private final List<Secret> secrets;

  private EgressSettings(boolean enabled, List<String> allow, long maxBytesPerCall, Duration maxConnectionTime,
      List<Secret> secrets) {
    this.enabled = enabled;
    this.allow = List.copyOf(allow);
    this.maxBytesPerCall = maxBytesPerCall;
    this.maxConnectionTime = maxConnectionTime;
    this.secrets = List.copyOf(secrets);
  }

  /**
   * Reads and checks every egress key of {@code config}; a bad one fails with an {@link IllegalArgumentException}
   * naming the key and the fix. Resolves no secret.
   */
  public static EgressSettings of(AirlockConfig config) {
    Map<String, String> p = config.backendProperties();
    List<String> allow = split(p.getOrDefault(AirlockConfig.EGRESS_ALLOW, ""));
    long maxBytes = positive(p, AirlockConfig.EGRESS_MAX_BYTES_PER_CALL, DEFAULT_MAX_BYTES_PER_CALL);
    Duration maxTime = Duration.ofSeconds(positive(p, AirlockConfig.EGRESS_MAX_CONNECTION_SECONDS,
        DEFAULT_MAX_CONNECTION_SECONDS));
    parse(allow, maxBytes, maxTime, AirlockConfig.EGRESS_ALLOW);
    boolean policyEgress = false;
    for (String name : config.policyNames()) {
      String key = AirlockPolicy.keyPrefix(name) + "egress";
      List<String> entries = split(p.getOrDefault(key, ""));
      parse(entries, maxBytes, maxTime, key);
      policyEgress |= !entries.isEmpty();
    }
    List<Secret> secrets = secrets(p);
    String enabledText = p.get(AirlockConfig.EGRESS_ENABLED);
    boolean enabled;
    if (enabledText == null || enabledText.isBlank()) {
      enabled = !allow.isEmpty() || policyEgress || !secrets.isEmpty();
    } else if (enabledText.trim().equalsIgnoreCase("true") || enabledText.trim().equalsIgnoreCase("false")) {
      enabled = Boolean.parseBoolean(enabledText.trim());
      if (!enabled && (!allow.isEmpty() || policyEgress || !secrets.isEmpty())) {
        throw new IllegalArgumentException("Invalid Airlock configuration: " + AirlockConfig.EGRESS_ENABLED
            + "=false, but egress entries or secrets are configured; remove them or the flag");
      }
    } else {
      throw new IllegalArgumentException("Invalid Airlock configuration: " + AirlockConfig.EGRESS_ENABLED + "='"
          + enabledText + "'; expected true or false");
    }
    return new EgressSettings(enabled, allow, maxBytes, maxTime, secrets);
  }

  /**
   * Whether the pool's workers get the egress path (a proxy socket, a forwarder, proxy flags): only when some egress
   * is configured or {@code airlock.egress.enabled=true}, so a pool without egress costs nothing.
   */
  public boolean enabled() {
    return enabled;
  }

  /** {@code airlock.egress.allow}: hosts every sandboxed call of the pool may reach. */
  public List<String> allow() {
    return allow;
  }

  public long maxBytesPerCall() {
    return maxBytesPerCall;
  }

  public Duration maxConnectionTime() {
    return maxConnectionTime;
  }

  public List<Secret> secrets() {
    return secrets;
  }

  /** The rules of one call: {@code entries} under this pool's caps. */
  public EgressRules rules(List<String> entries) {
    return entries.isEmpty() ? EgressRules.none() : EgressRules.parse(entries, maxBytesPerCall, maxConnectionTime);
  }

  /**
   * The secrets with every {@code ${scheme:name}} replaced, read on the host now: {@code env} from this process's
   * environment, other schemes from a {@link SecretResolver}. A reference that resolves to nothing fails naming the
   * key and the reference (never a value).
   */
  public List<SecretInjection> resolveSecrets(Function<String, String> environment) {
    List<SecretInjection> out = new ArrayList<>();
    for (Secret s : secrets) {
      String key = AirlockConfig.EGRESS_SECRETS_PREFIX + s.name() + ".value";
      Matcher m = REFERENCE.matcher(s.value());
      StringBuilder value = new StringBuilder();
      while (m.find()) {
        String scheme = m.group(1);
        String name = m.group(2);
        Optional<String> resolved = scheme.equals("env") ? Optional.ofNullable(environment.apply(name))
            : resolver(scheme, key).resolve(name);
        if (resolved.isEmpty() || resolved.get().isEmpty()) {
          throw new IllegalArgumentException("Invalid Airlock configuration: " + key + " refers to ${" + scheme + ":"
              + name + "}, which is " + (scheme.equals("env") ? "not set in the host's environment; export " + name
              : "unknown to the " + scheme + " secret resolver") + " before the pool starts");
        }
        m.appendReplacement(value, Matcher.quoteReplacement(resolved.get()));
      }
      m.appendTail(value);
      out.add(new SecretInjection(s.host(), s.header(), value.toString(), s.plainHttp()));
    }
    return out;
  }

  /** Adds a resolver for pools started from now on (the Spring starter registers its beans here). */
  public static void register(SecretResolver resolver) {
    // The latest first, so a restarted application context's bean wins over its predecessor's.
    REGISTERED.remove(resolver);
    REGISTERED.add(0, resolver);
  }

  private static SecretResolver resolver(String scheme, String key) {
    for (SecretResolver r : REGISTERED) {
      if (r.scheme().equals(scheme)) {
        return r;
      }
    }
    for (SecretResolver r : ServiceLoader.load(SecretResolver.class, EgressSettings.class.getClassLoader())) {
      if (r.scheme().equals(scheme)) {
        return r;
      }
    }
    throw new IllegalArgumentException("Invalid Airlock configuration: " + key + " refers to scheme '" + scheme
        + "', but no SecretResolver for it is registered; use ${env:NAME} or add a SecretResolver");
  }

  private static List<Secret> secrets(Map<String, String> p) {
    Map<String, Map<String, String>> byName = new TreeMap<>();
    for (Map.Entry<String, String> e : p.entrySet()) {
      if (!e.getKey().startsWith(AirlockConfig.EGRESS_SECRETS_PREFIX)) {
        continue;
      }
      String rest = e.getKey().substring(AirlockConfig.EGRESS_SECRETS_PREFIX.length());
      int dot = rest.lastIndexOf('.');
      if (dot <= 0 || !SECRET_FIELDS.contains(rest.substring(dot + 1)) && !rest.endsWith("." + PLAIN_HTTP)) {
        throw new IllegalArgumentException("Invalid Airlock configuration: unknown key '" + e.getKey()
            + "'; a secret is " + AirlockConfig.EGRESS_SECRETS_PREFIX + "<name>.host, .header and .value (and "
            + "optionally ." + PLAIN_HTTP + ")");
      }
      byName.computeIfAbsent(rest.substring(0, dot), k -> new TreeMap<>()).put(rest.substring(dot + 1),
          e.getValue().trim());
    }
    List<Secret> out = new ArrayList<>();
    byName.forEach((name, fields) -> {
      for (String field : SECRET_FIELDS) {
        if (fields.getOrDefault(field, "").isEmpty()) {
          throw new IllegalArgumentException("Invalid Airlock configuration: " + AirlockConfig.EGRESS_SECRETS_PREFIX
              + name + "." + field + " is missing; a secret needs .host, .header and .value");
        }
      }
      String host = fields.get("host");
      if (host.contains("*") || host.contains("/") || !isSecretHost(host)) {
        throw new IllegalArgumentException("Invalid Airlock configuration: " + AirlockConfig.EGRESS_SECRETS_PREFIX
            + name + ".host='" + host + "'; name one host exactly, with an optional port (no wildcard, address or"
            + " path): api.openai.com, or api.example.com:8443 for that port only");
      }
      if (!fields.get("header").matches("[A-Za-z0-9!#$%&'*+.^_`|~-]+")) {
        throw new IllegalArgumentException("Invalid Airlock configuration: " + AirlockConfig.EGRESS_SECRETS_PREFIX
            + name + ".header='" + fields.get("header") + "' is not an HTTP header name");
      }
      String plain = fields.getOrDefault(PLAIN_HTTP, "false");
      if (!plain.equals("true") && !plain.equals("false")) {
        throw new IllegalArgumentException("Invalid Airlock configuration: " + AirlockConfig.EGRESS_SECRETS_PREFIX
            + name + "." + PLAIN_HTTP + "='" + plain + "'; expected true or false");
      }
      out.add(new Secret(name, host, fields.get("header"), fields.get("value"), Boolean.parseBoolean(plain)));
    });
    return out;
  }

  private static void parse(List<String> entries, long maxBytes, Duration maxTime, String key) {
    try {
      EgressRules.parse(entries, maxBytes, maxTime);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("Invalid Airlock configuration: " + key + ": " + e.getMessage(), e);
    }
  }

  private static long positive(Map<String, String> p, String key, long defaultValue) {
    String text = p.get(key);
    if (text == null || text.isBlank()) {
      return defaultValue;
    }
    try {
      long value = Long.parseLong(text.trim().replace("_", ""));
      if (value > 0) {
        return value;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException("Invalid Airlock configuration: " + key + "='" + text
        + "'; expected a positive whole number");
  }

  /** Comma-separated entries, blanks dropped. */
  public static List<String> split(String text) {
    List<String> out = new ArrayList<>();
    for (String part : text.split(",")) {
      if (!part.isBlank()) {
        out.add(part.trim());
      }
    }
    return out;
  }

  /** Whether {@code host} is one host name with an optional port, as {@link SecretInjection} takes it. */
  private static boolean isSecretHost(String host) {
    try {
      new SecretInjection(host, "Host", "");
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }
}
