package dev.airlock.internal.mcp.gateway;

import dev.airlock.AirlockContext;
import dev.airlock.AirlockPolicy;
import dev.airlock.mcp.AirlockMcpGateway;
import dev.airlock.mcp.AirlockMcpGateway.InjectionAction;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;

/**
 * The gateway's configuration keys, from a properties file and the command line. Every key is known: an unknown or
 * misspelt one fails naming itself and the keys there are, rather than being ignored (a typo in a deny rule would
 * otherwise silently allow).
 */
public final class GatewayConfig {
  static final String UPSTREAM = "upstream";
  static final String POLICY = "policy";
  static final String TOOL_POLICY = "tool-policy.";
  static final List<String> KEYS = List.of(UPSTREAM, "upstream-url", "listen", POLICY, TOOL_POLICY + "<glob>",
      "approval", "pins-file",
      "description-action", "output-action", "roles", "agent", "max-message-bytes", "call-timeout-seconds",
      "max-in-flight", AirlockPolicy.KEY_PREFIX + "<name>.<key>");

  private GatewayConfig() {
  }

  /** The keys of a properties file, in file order not guaranteed; a missing or unreadable file names itself. */
  public static Map<String, String> read(Path file) {
    Properties properties = new Properties();
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      properties.load(reader);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read the gateway config file " + file + ": " + e.getMessage()
          + " (pass --config <file.properties>)", e);
    }
    Map<String, String> out = new TreeMap<>();
    properties.forEach((k, v) -> out.put(k.toString(), v.toString()));
    return out;
  }

  public static AirlockMcpGateway.Builder apply(Map<String, String> config, AirlockMcpGateway.Builder builder) {
    Map<String, String> policyKeys = new LinkedHashMap<>();
    String policy = null;
    Map<String, String> toolPolicies = new LinkedHashMap<>();
    Set<String> roles = Set.of();
    String agent = "mcp-client";
    for (Map.Entry<String, String> e : config.entrySet()) {
      String key = e.getKey();
      String value = e.getValue().trim();
      try {
        if (key.startsWith(AirlockPolicy.KEY_PREFIX)) {
          policyKeys.put(key, value);
        } else if (key.startsWith(TOOL_POLICY)) {
          toolPolicies.put(key.substring(TOOL_POLICY.length()), value);
        } else {
          switch (key) {
            case UPSTREAM -> builder.upstreamCommand(CommandLine.split(value));
            case "upstream-url" -> builder.upstreamUrl(java.net.URI.create(value));
            case "listen" -> { } // how the command serves (stdio or host:port), not what the gateway does
            case POLICY -> policy = value;
            case "approval" -> builder.requireApproval(list(value).toArray(String[]::new));
            case "pins-file" -> builder.pinsFile(Path.of(value));
            case "description-action" -> builder.descriptionAction(action(value));
            case "output-action" -> builder.outputAction(action(value));
            case "roles" -> roles = Set.copyOf(list(value));
            case "agent" -> agent = value;
            case "max-message-bytes" -> builder.maxMessageBytes(Integer.parseInt(value));
            case "call-timeout-seconds" -> builder.callTimeout(Duration.ofSeconds(Long.parseLong(value)));
            case "max-in-flight" -> builder.maxInFlight(Integer.parseInt(value));
            default -> throw new IllegalArgumentException("unknown key; the gateway's keys are " + KEYS);
          }
        }
      } catch (RuntimeException ex) {
        throw new IllegalArgumentException("Invalid Airlock MCP gateway configuration: " + key + "='" + value
            + "': " + ex.getMessage(), ex);
      }
    }
    if (policy != null) {
      builder.policy(definedPolicy(policy, policyKeys, POLICY));
    }
    for (Map.Entry<String, String> e : toolPolicies.entrySet()) {
      builder.policy(e.getKey(), e.getValue(), definedPolicy(e.getValue(), policyKeys, TOOL_POLICY + e.getKey()));
    }
    builder.caller(new AirlockContext(agent, null, roles, Map.of()));
    return builder;
  }

  private static AirlockPolicy definedPolicy(String name, Map<String, String> policyKeys, String namingKey) {
    if (policyKeys.keySet().stream().noneMatch(k -> k.startsWith(AirlockPolicy.keyPrefix(name)))) {
      throw new IllegalArgumentException("Invalid Airlock MCP gateway configuration: " + namingKey + "='" + name
          + "' names a policy without keys: add " + AirlockPolicy.keyPrefix(name) + "allow=... (keys "
          + AirlockPolicy.KEYS + ")");
    }
    return AirlockPolicy.fromProperties(name, policyKeys);
  }

  private static InjectionAction action(String value) {
    try {
      return InjectionAction.valueOf(value.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("must be one of flag, strip, block");
    }
  }

  private static List<String> list(String value) {
    List<String> out = new ArrayList<>();
    Arrays.stream(value.split(",")).map(String::trim).filter(s -> !s.isEmpty()).forEach(out::add);
    return out;
  }
}
