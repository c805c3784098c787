package dev.airlock.agent;

import java.util.List;

/**
 * The shape of a tool class, whose class file {@link ToolTransformer} turns into a made-up {@code @Airlock} tool
 * class to warm the rewriting up with. Never called.
 */
final class WarmUpSample {
  /** {@link WarmUpMarker}'s descriptor, of the length of {@code @Airlock}'s, which replaces it in the class file. */
  static final String MARKER = "Ldev/airlock/agent/WarmUpMarker;";

  private WarmUpSample() {
  }

  @WarmUpMarker
  static String run(String text, int n, List<String> words) {
    return text + n + words;
  }
}
