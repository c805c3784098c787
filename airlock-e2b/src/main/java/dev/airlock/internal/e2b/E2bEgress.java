package dev.airlock.internal.e2b;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.airlock.AirlockConfig;
import dev.airlock.SandboxExecutionException;
import dev.airlock.internal.backend.EgressControl;
import dev.airlock.internal.backend.EgressSettings;
import dev.airlock.internal.egress.EgressReport;
import dev.airlock.internal.egress.EgressRules;
import dev.airlock.internal.egress.SecretInjection;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Egress on E2B, enforced by E2B's own firewall: every sandbox is created with {@code network.allowOut} (the pool's
 * {@code airlock.egress.allow}), {@code denyOut: ["0.0.0.0/0"]}, and one header transform per secret in
 * {@code network.rules}, so a secret reaches E2B's egress proxy and never the sandbox. A worker is created before its
 * call is known, so a call may reach only what every sandbox of the pool was created with: one naming more (in
 * {@code @Airlock(egress)} or its policy) is refused before it is sent, naming the fix. E2B filters names on ports 80
 * (Host) and 443 (SNI) only, so entries with a port are refused at start; E2B reports nothing per call.
 */
final class E2bEgress implements EgressControl {
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
    for (String entry : settings.allow()) {
      if (entry.matches(".*:\\d+$") && !entry.contains("/")) {
        throw new IllegalArgumentException("Invalid Airlock configuration: " + AirlockConfig.EGRESS_ALLOW + " entry '"
            + entry + "' names a port; E2B filters names on ports 80 and 443 only, so write it without the port");
      }
    }
    Map<String, List<Rule>> rules = new LinkedHashMap<>();
    for (SecretInjection secret : settings.resolveSecrets(environment)) {
      rules.computeIfAbsent(secret.host(), h -> new ArrayList<>())
          .add(new Rule(new Transform(Map.of(secret.header(), secret.value()))));
    }
    return new E2bEgress(settings.allow(), rules);
  }

  /** The {@code network} of {@code POST /sandboxes}: private, no internet but {@code allowOut}, secrets as rules. */
  E2bApi.Network network() {
    return new E2bApi.Network(false, allowOut, DENY_ALL, rules.isEmpty() ? null : rules);
  }

  @Override
  public void check(List<String> entries) {
    List<String> missing = entries.stream().filter(e -> !allowOut.contains(e)).toList();
    if (!missing.isEmpty()) {
      throw new SandboxExecutionException("the call may reach " + missing + ", but E2B sandboxes get their egress "
          + "when they are created, before their call is known, and this pool's allow only " + allowOut
          + "; nothing was shipped. Add the hosts to " + AirlockConfig.EGRESS_ALLOW + " (docs/egress.md)");
    }
  }

  @Override
  public void beginCall(EgressRules callRules) {
  }

  @Override
  public EgressReport endCall() {
    return new EgressReport(List.of(), 0, 0, List.of());
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
