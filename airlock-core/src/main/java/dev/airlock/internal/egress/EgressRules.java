package dev.airlock.internal.egress;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * The destinations one call may reach and its bounds: {@code maxBytesPerCall} (up and down together, over all its
 * connections) and {@code maxConnectionTime} (each connection is cut when it has been open that long).
 */
public record EgressRules(List<EgressRule> allow, long maxBytesPerCall, Duration maxConnectionTime) {

  public static final long DEFAULT_MAX_BYTES_PER_CALL = 64L * 1024 * 1024;
  public static final Duration DEFAULT_MAX_CONNECTION_TIME = Duration.ofSeconds(60);

  public EgressRules {
    allow = List.copyOf(allow);
    Objects.requireNonNull(maxConnectionTime, "maxConnectionTime");
    if (maxBytesPerCall <= 0) {
      throw new IllegalArgumentException("egress maxBytesPerCall must be positive, was " + maxBytesPerCall);
    }
    if (maxConnectionTime.isNegative() || maxConnectionTime.isZero()) {
      throw new IllegalArgumentException("egress maxConnectionTime must be positive, was " + maxConnectionTime);
    }
  }

  /** Nothing allowed: every attempt is refused. */
  public static EgressRules none() {
    return new EgressRules(List.of(), DEFAULT_MAX_BYTES_PER_CALL, DEFAULT_MAX_CONNECTION_TIME);
  }

  /** Parses entries such as {@code api.github.com}, {@code *.wikipedia.org}, {@code example.com:8443}. */
  public static EgressRules parse(Collection<String> entries, long maxBytesPerCall, Duration maxConnectionTime) {
    List<EgressRule> rules = new ArrayList<>();
    for (String entry : entries) {
      rules.add(EgressRule.parse(entry));
    }
    return new EgressRules(rules, maxBytesPerCall, maxConnectionTime);
  }

  boolean allowsName(String name, int port) {
    return allow.stream().anyMatch(rule -> rule.allowsName(name, port));
  }

  boolean allowsAddress(InetAddress address, int port) {
    return allow.stream().anyMatch(rule -> rule.allowsAddress(address, port));
  }
}
