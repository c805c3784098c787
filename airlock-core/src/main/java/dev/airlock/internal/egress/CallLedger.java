package dev.airlock.internal.egress;

import java.io.Closeable;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One call's egress: its rules, its open connections, the bytes they moved against the call's cap, the hosts they
 * reached and the attempts refused. The lists are capped (a guest can make any number of attempts); once the call
 * ends every connection is closed and no new one can join.
 */
final class CallLedger {
  static final int LOGGED_REFUSALS = 10;

  final EgressRules rules;
  private final AtomicLong up = new AtomicLong();
  private final AtomicLong down = new AtomicLong();
  private final Set<Closeable> open = new HashSet<>();
  private final Set<String> hosts = new LinkedHashSet<>();
  private final List<String> refused = new ArrayList<>();
  private int moreHosts;
  private int moreRefused;
  private boolean ended;

  CallLedger(EgressRules rules) {
    this.rules = rules;
  }

  /** Adds a connection to the call; false (and the caller closes it) when the call has ended. */
  synchronized boolean join(Closeable connection) {
    if (ended) {
      return false;
    }
    open.add(connection);
    return true;
  }

  synchronized void leave(Closeable connection) {
    open.remove(connection);
  }

  synchronized void contacted(String hostPort) {
    if (hosts.size() < EgressReport.MAX_ENTRIES || hosts.contains(hostPort)) {
      hosts.add(hostPort);
    } else {
      moreHosts++;
    }
  }

  /**
   * Records a refused attempt and returns how many the call has had; the caller logs only the first
   * {@link #LOGGED_REFUSALS} (a guest can make attempts in a loop, and the host log must not grow with them).
   */
  synchronized int refused(Refusal refusal) {
    if (ended) {
      return Integer.MAX_VALUE; // after the report: a connection the end is closing, not an attempt; debug only
    }
    if (refused.size() < EgressReport.MAX_ENTRIES) {
      refused.add(refusal.reportEntry());
    } else {
      moreRefused++;
    }
    return refused.size() + moreRefused;
  }

  /**
   * Counts {@code bytes} about to move; false when the call is now past its byte cap or has ended (the caller cuts
   * the connection without moving them). Under the lock {@link #end} takes its report in: a relay thread counting
   * between the report and the close would otherwise move a buffer the report does not hold.
   */
  synchronized boolean count(boolean upward, long bytes) {
    if (ended) {
      return false;
    }
    (upward ? up : down).addAndGet(bytes);
    return up.get() + down.get() <= rules.maxBytesPerCall();
  }

  /** The connections open now. */
  synchronized List<Closeable> openConnections() {
    return new ArrayList<>(open);
  }

  synchronized boolean ended() {
    return ended;
  }

  /** Ends the call: closes its connections and returns what happened. */
  EgressReport end() {
    List<Closeable> toClose;
    EgressReport report;
    synchronized (this) {
      ended = true;
      toClose = new ArrayList<>(open);
      open.clear();
      List<String> hostList = new ArrayList<>(hosts);
      if (moreHosts > 0) {
        hostList.add("... and " + moreHosts + " more");
      }
      List<String> refusedList = new ArrayList<>(refused);
      if (moreRefused > 0) {
        refusedList.add("... and " + moreRefused + " more refused attempts");
      }
      report = new EgressReport(hostList, up.get(), down.get(), refusedList, hosts.size() + moreHosts,
          refused.size() + moreRefused);
    }
    for (Closeable connection : toClose) {
      EgressProxy.closeQuietly(connection);
    }
    return report;
  }
}
