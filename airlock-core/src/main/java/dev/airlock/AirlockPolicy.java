package dev.airlock;

import dev.airlock.internal.egress.EgressRules;
import java.time.Duration;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What a tool call must satisfy and how its output is cleaned. Immutable; build one, or read one from keys
 * {@code airlock.policy.<name>.*}:
 *
 * <pre>{@code
 * AirlockPolicy readOnly = AirlockPolicy.builder()
 *     .allow("read*", "search*").deny("delete*")
 *     .requireRoles("reader")
 *     .requireApproval("send*")
 *     .rateLimit("100/minute")
 *     .timeWindow("09:00-17:00", ZoneId.of("Europe/Berlin"))
 *     .masking(AirlockPolicy.Masking.PARTIAL)
 *     .build();
 * AirlockRuntime.registerPolicy("read-only", readOnly);   // @Airlock(policy = "read-only")
 * }</pre>
 *
 * <p>Tool names are matched as {@code method} and as {@code SimpleClassName.method}; globs take {@code *} and
 * {@code ?}. A deny match always wins; with {@code denyByDefault} a tool must also match an allow glob.
 */
public final class AirlockPolicy {

  /** How a secret or personal datum found in a result is replaced. */
  public enum Masking {
    /** Output is returned as it is. */
    NONE,
    /** {@code [REDACTED]}. */
    FULL,
    /** Stars but for the last four characters: {@code ****4242}. */
    PARTIAL,
    /** The kind only: {@code [EMAIL]}. */
    TYPE_ONLY,
    /**
     * The kind and a keyed hash (HMAC-SHA256, 16 hex digits), so equal values stay recognisable without the hash
     * letting anyone test a guess: {@code [EMAIL:3f2a9c1b5e7d0a42]}. The key is random per process unless
     * {@code hash-key} sets one (to compare hashes across processes).
     */
    HASH
  }

  /** {@code permits} calls per {@code period}. */
  public record RateLimit(int permits, Duration period) {
    public static RateLimit parse(String text) {
      String[] parts = text.trim().toLowerCase(Locale.ROOT).split("/");
      try {
        int permits = Integer.parseInt(parts[0].trim());
        Duration period = switch (parts[1].trim()) {
          case "second", "s" -> Duration.ofSeconds(1);
          case "minute", "min", "m" -> Duration.ofMinutes(1);
          case "hour", "h" -> Duration.ofHours(1);
          case "day", "d" -> Duration.ofDays(1);
          default -> throw new IllegalArgumentException(parts[1]);
        };
        if (permits <= 0) {
          throw new IllegalArgumentException("permits");
        }
        return new RateLimit(permits, period);
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("rate limit '" + text + "' is not of the form <count>/<second|minute|hour|day>,"
            + " such as 100/minute");
      }
    }

    @Override
    public String toString() {
      return permits + "/" + (period.equals(Duration.ofSeconds(1)) ? "second" : period.equals(Duration.ofMinutes(1))
          ? "minute" : period.equals(Duration.ofHours(1)) ? "hour" : "day");
    }
  }

  /** Calls are allowed from {@code start} to {@code end} in {@code zone}; an end before the start spans midnight. */
  public record TimeWindow(LocalTime start, LocalTime end, ZoneId zone) {
    public static TimeWindow parse(String text, ZoneId zone) {
      String[] parts = text.trim().split("-");
      try {
        return new TimeWindow(LocalTime.parse(parts[0].trim()), LocalTime.parse(parts[1].trim()), zone);
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("time window '" + text + "' is not of the form HH:mm-HH:mm, such as 09:00-17:00");
      }
    }

    public boolean contains(LocalTime time) {
      return start.isBefore(end) || start.equals(end)
          ? !time.isBefore(start) && time.isBefore(end)
          : !time.isBefore(start) || time.isBefore(end);
    }

    @Override
    public String toString() {
      return start + "-" + end + " " + zone;
    }
  }

  private final List<String> allow;
  private final List<String> deny;
  private final Set<String> requiredRoles;
  private final List<String> requireApproval;
  private final RateLimit rateLimit;
  private final TimeWindow timeWindow;
  private final boolean denyByDefault;
  private final Masking masking;
  private final int maxResultChars;
  private final byte[] hashKey;
  private final List<String> egress;

  private AirlockPolicy(Builder b) {
    allow = List.copyOf(b.allow);
    deny = List.copyOf(b.deny);
    requiredRoles = Set.copyOf(b.requiredRoles);
    requireApproval = List.copyOf(b.requireApproval);
    rateLimit = b.rateLimit;
    timeWindow = b.timeWindow;
    denyByDefault = b.denyByDefault;
    masking = b.masking;
    maxResultChars = b.maxResultChars;
    hashKey = b.hashKey;
    egress = List.copyOf(b.egress);
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    Builder b = new Builder();
    b.allow.addAll(allow);
    b.deny.addAll(deny);
    b.requiredRoles.addAll(requiredRoles);
    b.requireApproval.addAll(requireApproval);
    b.rateLimit = rateLimit;
    b.timeWindow = timeWindow;
    b.denyByDefault = denyByDefault;
    b.masking = masking;
    b.maxResultChars = maxResultChars;
    b.hashKey = hashKey;
    b.egress.addAll(egress);
    return b;
  }

  /** The keys a policy is read from, each under {@link #keyPrefix}. */
  public static final List<String> KEYS = List.of("allow", "deny", "roles", "rate-limit", "time-window", "zone",
      "deny-by-default", "masking", "max-result-chars", "hash-key", "require-approval", "egress");

  /** What every policy key starts with. */
  public static final String KEY_PREFIX = "airlock.policy.";

  /** The key prefix of policy {@code name}: {@code airlock.policy.<name>.}. */
  public static String keyPrefix(String name) {
    return KEY_PREFIX + name + ".";
  }

  /**
   * Reads policy {@code name} from keys {@code airlock.policy.<name>.allow}, {@code .deny}, {@code .roles}
   * (comma-separated), {@code .require-approval} (comma-separated globs), {@code .rate-limit}, {@code .time-window},
   * {@code .zone}, {@code .deny-by-default}, {@code .masking}, {@code .max-result-chars} and {@code .egress}; a bad
   * value fails naming the key.
   */
  public static AirlockPolicy fromProperties(String name, Map<String, String> properties) {
    String prefix = keyPrefix(name);
    Builder b = builder();
    String zone = properties.getOrDefault(prefix + "zone", "UTC");
    for (Map.Entry<String, String> e : properties.entrySet()) {
      if (!e.getKey().startsWith(prefix)) {
        continue;
      }
      String key = e.getKey().substring(prefix.length());
      if (key.contains(".")) {
        continue;
      }
      String value = e.getValue().trim();
      try {
        switch (key) {
          case "allow" -> b.allow(split(value));
          case "deny" -> b.deny(split(value));
          case "roles" -> b.requireRoles(split(value));
          case "require-approval" -> b.requireApproval(split(value));
          case "rate-limit" -> b.rateLimit(value);
          case "time-window" -> b.timeWindow(value, ZoneId.of(zone));
          case "zone" -> ZoneId.of(value);
          case "deny-by-default" -> b.denyByDefault(strictBoolean(value));
          case "masking" -> b.masking(Masking.valueOf(value.toUpperCase(Locale.ROOT).replace('-', '_')));
          case "max-result-chars" -> b.maxResultChars(Integer.parseInt(value));
          case "hash-key" -> b.hashKey(value);
          case "egress" -> b.egress(split(value));
          default -> throw new IllegalArgumentException("unknown policy key");
        }
      } catch (RuntimeException ex) {
        String shown = key.equals("hash-key") ? "(hidden)" : "'" + value + "'";
        throw new IllegalArgumentException("Invalid Airlock configuration: " + e.getKey() + "=" + shown + ": "
            + ex.getMessage(), ex);
      }
    }
    return b.build();
  }

  /**
   * {@code true} or {@code false}, any case. {@code Boolean.parseBoolean} read {@code yes}, {@code 1} or a typo as
   * false, which for {@code deny-by-default} silently allowed every tool the policy did not name.
   */
  private static boolean strictBoolean(String value) {
    if (value.equalsIgnoreCase("true") || value.equalsIgnoreCase("false")) {
      return Boolean.parseBoolean(value);
    }
    throw new IllegalArgumentException("expected true or false");
  }

  private static String[] split(String value) {
    return java.util.Arrays.stream(value.split(",")).map(String::trim).filter(s -> !s.isEmpty())
        .toArray(String[]::new);
  }

  public List<String> allow() { return allow; }
  public List<String> deny() { return deny; }
  public Set<String> requiredRoles() { return requiredRoles; }
  /** Globs of the tools whose every call a person must approve before it runs. */
  public List<String> requireApproval() { return requireApproval; }
  public RateLimit rateLimit() { return rateLimit; }
  public TimeWindow timeWindow() { return timeWindow; }
  public boolean denyByDefault() { return denyByDefault; }
  public Masking masking() { return masking; }
  /** Strings in results longer than this are truncated with a marker; 0 means no limit. */
  public int maxResultChars() { return maxResultChars; }
  /** The HMAC key of {@link Masking#HASH}; {@code null}: a random key made per process. */
  public byte[] hashKey() { return hashKey == null ? null : hashKey.clone(); }
  /** Hosts the tools under this policy may reach through the egress proxy (see docs/egress.md); empty: none. */
  public List<String> egress() { return egress; }

  @Override
  public String toString() {
    return "AirlockPolicy[allow=" + allow + ", deny=" + deny + ", roles=" + requiredRoles
        + (requireApproval.isEmpty() ? "" : ", requireApproval=" + requireApproval) + ", rateLimit="
        + rateLimit + ", timeWindow=" + timeWindow + ", denyByDefault=" + denyByDefault + ", masking=" + masking
        + ", maxResultChars=" + maxResultChars + (hashKey == null ? "" : ", hashKey=(set)")
        + (egress.isEmpty() ? "" : ", egress=" + egress) + "]";
  }

  /** Mutable builder; {@link #build()} returns the immutable policy. */
  public static final class Builder {
    private final List<String> allow = new ArrayList<>();
    private final List<String> deny = new ArrayList<>();
    private final Set<String> requiredRoles = new LinkedHashSet<>();
    private final List<String> requireApproval = new ArrayList<>();
    private RateLimit rateLimit;
    private TimeWindow timeWindow;
    private boolean denyByDefault;
    private Masking masking = Masking.FULL;
    private int maxResultChars;
    private byte[] hashKey;
    private final List<String> egress = new ArrayList<>();

    private Builder() {
    }

    public Builder allow(String... globs) {
      allow.addAll(List.of(globs));
      return this;
    }

    public Builder deny(String... globs) {
      deny.addAll(List.of(globs));
      return this;
    }

    /** The caller's {@link AirlockContext} must hold every one of these roles. */
    public Builder requireRoles(String... roles) {
      requiredRoles.addAll(List.of(roles));
      return this;
    }

    /**
     * Every call of a tool matching one of these globs waits for a person's approval (see {@code AirlockApprovals}),
     * after the other rules and validation passed.
     */
    public Builder requireApproval(String... globs) {
      requireApproval.addAll(List.of(globs));
      return this;
    }

    public Builder rateLimit(String limit) {
      this.rateLimit = RateLimit.parse(limit);
      return this;
    }

    public Builder timeWindow(String window, ZoneId zone) {
      this.timeWindow = TimeWindow.parse(window, Objects.requireNonNull(zone, "zone"));
      return this;
    }

    public Builder denyByDefault(boolean denyByDefault) {
      this.denyByDefault = denyByDefault;
      return this;
    }

    public Builder masking(Masking masking) {
      this.masking = Objects.requireNonNull(masking, "masking");
      return this;
    }

    public Builder maxResultChars(int maxResultChars) {
      if (maxResultChars < 0) {
        throw new IllegalArgumentException("maxResultChars must be >= 0, was " + maxResultChars);
      }
      this.maxResultChars = maxResultChars;
      return this;
    }

    /** The HMAC key of {@link Masking#HASH}, at least 16 characters; set it from a secret store, never in code. */
    public Builder hashKey(String key) {
      if (key == null || key.length() < 16) {
        throw new IllegalArgumentException("the hash key must have at least 16 characters");
      }
      this.hashKey = key.getBytes(java.nio.charset.StandardCharsets.UTF_8);
      return this;
    }

    /**
     * Hosts the tools under this policy may reach, as {@code @Airlock(egress)} takes them ({@code api.github.com},
     * {@code *.wikipedia.org}, {@code example.com:8443}); a malformed entry fails here, naming it.
     */
    public Builder egress(String... entries) {
      EgressRules.parse(List.of(entries), 1, Duration.ofSeconds(1));
      egress.addAll(List.of(entries));
      return this;
    }

    public AirlockPolicy build() {
      return new AirlockPolicy(this);
    }
  }
}
