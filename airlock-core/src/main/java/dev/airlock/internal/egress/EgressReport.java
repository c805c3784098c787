package dev.airlock.internal.egress;

import java.util.List;

/**
 * What one call did through the egress proxy: the {@code host:port} it reached, the bytes it sent up and received,
 * and every attempt the proxy refused, each as {@code "host:port: reason (fix)"}. Lists are capped at
 * {@link #MAX_ENTRIES}; a last entry says how many more there were. The counts are of all of them: the audit's
 * totals counted the lists' entries, so a guest's thousands of refused attempts in one call counted 101.
 *
 * @param hostCount the hosts reached, those past the list's cap included
 * @param refusedAttempts the attempts refused, those past the list's cap included
 */
public record EgressReport(List<String> hostsContacted, long bytesUp, long bytesDown, List<String> refused,
    int hostCount, int refusedAttempts) {

  public static final int MAX_ENTRIES = 100;

  public EgressReport {
    hostsContacted = List.copyOf(hostsContacted);
    refused = List.copyOf(refused);
  }

  /** A report whose lists hold every host and attempt. */
  public EgressReport(List<String> hostsContacted, long bytesUp, long bytesDown, List<String> refused) {
    this(hostsContacted, bytesUp, bytesDown, refused, hostsContacted.size(), refused.size());
  }

  public static EgressReport empty() {
    return new EgressReport(List.of(), 0, 0, List.of());
  }
}
