package dev.airlock.internal.mcp.gateway;

import dev.airlock.AirlockPolicy;
import dev.airlock.internal.guard.Guard;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Which policy governs which upstream tool: the first glob that matches the tool's name names the policy, else the
 * default policy does. A gateway always has a default policy (masking on, no rules, unless configured otherwise), so
 * every call is at least masked and audited.
 */
public final class ToolPolicies {
  public static final String DEFAULT = "mcp-gateway";

  private final Map<String, AirlockPolicy> byName;
  private final Map<String, String> byGlob;
  private final List<String> approvalGlobs;

  /**
   * @param byName the policies by name; {@link #DEFAULT} is the policy of tools no glob matches
   * @param byGlob tool-name glob to policy name, in order
   * @param approvalGlobs tools whose every call a person approves first
   */
  public ToolPolicies(Map<String, AirlockPolicy> byName, Map<String, String> byGlob, List<String> approvalGlobs) {
    Map<String, AirlockPolicy> all = new LinkedHashMap<>(byName);
    all.putIfAbsent(DEFAULT, AirlockPolicy.builder().build());
    this.byName = Map.copyOf(all);
    this.byGlob = new LinkedHashMap<>(byGlob);
    this.approvalGlobs = List.copyOf(approvalGlobs);
    byGlob.forEach((glob, name) -> {
      if (!all.containsKey(name)) {
        throw new IllegalArgumentException("tool glob '" + glob + "' names policy '" + name + "', which is not"
            + " defined: add keys " + AirlockPolicy.keyPrefix(name) + "* or fix the name");
      }
    });
  }

  String policyOf(String tool) {
    return byGlob.entrySet().stream().filter(e -> matches(e.getKey(), tool)).map(Map.Entry::getValue).findFirst()
        .orElse(DEFAULT);
  }

  Optional<AirlockPolicy> policy(String name) {
    return Optional.ofNullable(byName.get(name.isEmpty() ? DEFAULT : name));
  }

  boolean needsApproval(String tool) {
    return approvalGlobs.stream().anyMatch(glob -> matches(glob, tool));
  }

  private static boolean matches(String glob, String name) {
    return Guard.globMatches(glob, name);
  }
}
