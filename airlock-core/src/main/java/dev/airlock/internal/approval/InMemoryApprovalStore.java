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
 * The default {@link ApprovalStore}: at most {@code maxPending} calls holding at most {@code maxBytes} together, in
 * insertion order. One lock guards the map, so both bounds hold under concurrent offers and {@link #take} hands a
 * call to one caller only.
 */
public final class InMemoryApprovalStore implements ApprovalStore {
  private final int maxPending;
  private final long maxBytes;
  private final Map<String, Pending> calls = new LinkedHashMap<>();
  private long bytes;

  public InMemoryApprovalStore(int maxPending, long maxBytes) {
    if (maxPending < 1 || maxBytes < 1) {
      throw new IllegalArgumentException("an approval store holds at least 1 call and 1 byte, not " + maxPending
          + " calls and " + maxBytes + " bytes");
    }
    this.maxPending = maxPending;
    this.maxBytes = maxBytes;
  }

  @Override
  public synchronized boolean offer(Pending pending, Instant now) {
    long size = pending.sizeBytes();
    if (!fits(size)) {
      calls.values().removeIf(p -> {
        boolean expired = !now.isBefore(p.request().expiresAt());
        bytes -= expired ? p.sizeBytes() : 0;
        return expired;
      });
    }
    if (!fits(size) || calls.containsKey(pending.request().callId())) {
      return false;
    }
    calls.put(pending.request().callId(), pending);
    bytes += size;
    return true;
  }

  private boolean fits(long size) {
    return calls.size() < maxPending && size <= maxBytes - bytes;
  }

  @Override
  public synchronized Optional<Pending> take(String callId, Instant now) {
    Pending taken = calls.remove(callId);
    bytes -= taken == null ? 0 : taken.sizeBytes();
    return Optional.ofNullable(taken);
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
