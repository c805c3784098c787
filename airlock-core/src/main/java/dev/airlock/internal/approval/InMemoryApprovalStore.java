package dev.airlock.internal.approval;

import dev.airlock.ApprovalRequest;
import dev.airlock.ApprovalStore;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The default {@link ApprovalStore}: at most {@code maxPending} calls in insertion order. One lock guards the map,
 * so the bound holds under concurrent offers and {@link #take} hands a call to one caller only.
 */
public final class InMemoryApprovalStore implements ApprovalStore {
  private final int maxPending;
  private final Map<String, Pending> calls = new LinkedHashMap<>();

  public InMemoryApprovalStore(int maxPending) {
    if (maxPending < 1) {
      throw new IllegalArgumentException("maxPending must be at least 1, was " + maxPending);
    }
    this.maxPending = maxPending;
  }

  @Override
  public synchronized boolean offer(Pending pending, Instant now) {
    if (calls.size() >= maxPending) {
      calls.values().removeIf(p -> !now.isBefore(p.request().expiresAt()));
    }
    if (calls.size() >= maxPending || calls.containsKey(pending.request().callId())) {
      return false;
    }
    calls.put(pending.request().callId(), pending);
    return true;
  }

  @Override
  public synchronized Optional<Pending> take(String callId, Instant now) {
    return Optional.ofNullable(calls.remove(callId));
  }

  @Override
  public synchronized List<ApprovalRequest> pending(Instant now) {
    List<ApprovalRequest> out = new ArrayList<>();
    for (Pending p : calls.values()) {
      if (now.isBefore(p.request().expiresAt())) {
        out.add(p.request());
      }
    }
    return out;
  }
}
