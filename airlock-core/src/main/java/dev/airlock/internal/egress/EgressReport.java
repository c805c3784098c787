package dev.airlock.internal.egress;

import java.util.List;

/**
 * What one call did through the egress proxy: the {@code host:port} it reached, the bytes it sent up and received,
 * and every attempt the proxy refused, each as {@code "host:port: reason (fix)"}. Lists are capped at
 * {@link #MAX_ENTRIES}; a last entry says how many more there were.
 */
public record EgressReport(List<String> hostsContacted, long bytesUp, long bytesDown, List<String> refused) {

  public static final int MAX_ENTRIES = 100;

  public EgressReport {
    hostsContacted = List.copyOf(hostsContacted);
    refused = List.copyOf(refused);
  }

  public static EgressReport empty() {
    return new EgressReport(List.of(), 0, 0, List.of());
  }
}
