package dev.airlock.internal.e2b;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.airlock.AirlockConfig;
import dev.airlock.AirlockPolicy;
import dev.airlock.internal.backend.EgressSettings;
import dev.airlock.internal.egress.EgressRule;
import dev.airlock.internal.egress.SecretInjection;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * A pool's egress on E2B, enforced by E2B's own firewall: every sandbox is created with {@code network.allowOut}
 * (the pool's {@code airlock.egress.allow}), {@code denyOut: ["0.0.0.0/0"]} and one header transform per secret in
 * {@code network.rules}, so a secret reaches E2B's egress proxy and never the sandbox. A call that may reach more
 * gets its own list put on its sandbox before it is shipped ({@link E2bSandboxEgress}).
 *
 * <p>Only what E2B enforces exactly as Airlock means it is accepted: host names, {@code *.} for subdomains, on ports
 * 80 (by {@code Host}) and 443 (by SNI), which is what an entry without a port means here. An entry with a port or
 * an IP/CIDR is refused (E2B matches names on 80 and 443 only, and its address rules open every port and protocol).
 */
final class E2bEgress {
  static final List<String> DENY_ALL = List.of("0.0.0.0/0");

  private final List<String> allowOut;
  private final Map<String, List<Rule>> rules;

  private E2bEgress(List<String> allowOut, Map<String, List<Rule>> rules) {
    this.allowOut = List.copyOf(allowOut);
    this.rules = rules;
  }

  /** The pool's egress on E2B, or null when none is configured; bad combinations fail naming the key and the fix. */
  static E2bEgress of(AirlockConfig config, boolean internet, Function<String, String> environment) {
    EgressSettings settings = EgressSettings.of(config);
    if (!settings.enabled()) {
      return null;
    }
    if (internet) {
      throw new IllegalArgumentException("Invalid Airlock configuration: " + E2bSettings.INTERNET + "=true opens "
          + "the whole internet, so " + AirlockConfig.EGRESS_ALLOW + " would restrict nothing; remove one of them");
    }
    List<String> allowOut = checkedAllowOut(settings.allow(), AirlockConfig.EGRESS_ALLOW);
    for (String policy : config.policyNames()) {
      String key = AirlockPolicy.keyPrefix(policy) + "egress";
      checkedAllowOut(EgressSettings.split(config.backendProperties().getOrDefault(key, "")), key);
    }
    // E2B takes one transform per domain (its API refuses more), so a host's secrets share one.
    Map<String, Map<String, String>> headers = new LinkedHashMap<>();
    for (SecretInjection secret : settings.resolveSecrets(environment)) {
      if (secret.port() != 0) {
        // E2B matches a transform by domain on 80 and 443; a port the secret is limited to could not be kept.
        throw new IllegalArgumentException("Invalid Airlock configuration: a secret for " + secret.host() + ":"
            + secret.port() + " names a port; E2B adds headers by host name on ports 80 and 443 only: write the host"
            + " without the port, or use the local or docker backend for this tool");
      }
      Map<String, String> host = headers.computeIfAbsent(secret.host(), h -> new TreeMap<>(
          String.CASE_INSENSITIVE_ORDER));
      if (host.putIfAbsent(secret.header(), secret.value()) != null) {
        throw new IllegalArgumentException("Invalid Airlock configuration: two " + AirlockConfig.EGRESS_SECRETS_PREFIX
            + "* secrets set header " + secret.header() + " for " + secret.host() + "; keep one of them");
      }
    }
    Map<String, List<Rule>> rules = new LinkedHashMap<>();
    headers.forEach((host, set) -> rules.put(host, List.of(new Rule(new Transform(Map.copyOf(set))))));
    return new E2bEgress(allowOut, rules);
  }

  private static List<String> checkedAllowOut(List<String> entries, String key) {
    try {
      return allowOut(entries.stream().map(EgressRule::parse).toList());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("Invalid Airlock configuration: " + key + ": " + e.getMessage(), e);
    }
  }

  /**
   * E2B's {@code allowOut} for {@code rules}: sorted and each once, so two lists allow the same exactly when they are
   * equal. Throws IllegalArgumentException naming an entry E2B cannot enforce as written, and the fix.
   */
  static List<String> allowOut(Collection<EgressRule> rules) {
    TreeSet<String> out = new TreeSet<>();
    for (EgressRule rule : rules) {
      if (rule.host() == null) {
        throw new IllegalArgumentException("'" + rule + "' is an IP address or CIDR; E2B's address rules open every "
            + "port and protocol (UDP included) to it, wider than the entry, and E2B drops private ranges whatever "
            + "they say: name the host instead, or use the local or docker backend for this tool");
      }
      if (rule.port() != 0) {
        throw new IllegalArgumentException("'" + rule + "' names a port; E2B filters names on ports 80 and 443 "
            + "only, both at once: write it without the port, or use the local or docker backend for this tool");
      }
      out.add(rule.toString());
    }
    return List.copyOf(out);
  }

  /** The pool's own list: what every sandbox is created with, and the least any call of the pool gets. */
  List<String> allowOut() {
    return allowOut;
  }

  /** The {@code network} of {@code POST /sandboxes}: private, no internet but {@code allowOut}, secrets as rules. */
  E2bApi.Network network() {
    return new E2bApi.Network(false, allowOut, DENY_ALL, rules.isEmpty() ? null : rules);
  }

  /**
   * The body of {@code PUT /sandboxes/{id}/network} that leaves the sandbox {@code allowOut} and nothing else. It
   * replaces every egress field and clears those it omits, so the deny-all and the secrets' rules are sent again.
   */
  E2bApi.NetworkUpdate update(List<String> allowOut) {
    return new E2bApi.NetworkUpdate(allowOut, DENY_ALL, rules.isEmpty() ? null : rules);
  }

  /** One entry of {@code network.rules}: a header transform for a domain. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record Rule(@JsonProperty("transform") Transform transform) {
  }

  record Transform(@JsonProperty("headers") Map<String, String> headers) {
    @Override
    public String toString() {
      return "Transform[headers=" + headers.keySet() + "]";
    }
  }
}
