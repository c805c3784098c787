package dev.airlock.agent;

import java.util.LinkedHashMap;
import java.util.Map;

/** {@code backend=local,timeout-seconds=30} → {@code airlock.backend=local}, {@code airlock.timeout-seconds=30}. */
final class AgentOptions {

  private AgentOptions() {
  }

  static Map<String, String> parse(String options) {
    Map<String, String> keys = new LinkedHashMap<>();
    if (options == null || options.isBlank()) {
      return keys;
    }
    for (String option : options.split(",")) {
      int eq = option.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("Airlock agent option '" + option + "' is not key=value; write for "
            + "example -javaagent:airlock-agent.jar=backend=local,timeout-seconds=30");
      }
      String key = option.substring(0, eq).trim();
      // String.concat, not +: in a premain, + would bootstrap the JDK's string concatenation (~10 ms).
      keys.put(key.startsWith("airlock.") ? key : "airlock.".concat(key), option.substring(eq + 1).trim());
    }
    return keys;
  }
}
