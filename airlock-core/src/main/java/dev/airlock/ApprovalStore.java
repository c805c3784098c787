package dev.airlock;

import dev.airlock.internal.approval.InMemoryApprovalStore;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Where {@link AirlockApprovals} keeps calls suspended for approval until someone resumes them. A pending call is a
 * live object (its receiver, its arguments' bytes) and holds no thread and no worker. The default keeps them in
 * memory, bounded in count and in bytes; implement this to bound them differently or to list them elsewhere.
 *
 * <p>Whatever the store does, {@link AirlockApprovals} itself refuses an expired call, a call it did not suspend,
 * and a second decision on the same call.
 */
public interface ApprovalStore {

  /** A call waiting for a decision; opaque but for its request and its size. */
  interface Pending {
    ApprovalRequest request();

    /** About how many bytes of heap the call holds (its frozen arguments and their description). */
    long sizeBytes();
  }

  /**
   * Keeps {@code pending}; returns {@code false} when the store is full (the call is then denied at once, so a flood
   * of calls needing approval cannot grow the host's memory).
   */
  boolean offer(Pending pending, Instant now);

  /**
   * Removes and returns the call with {@code callId}, expired or not; at most one caller ever gets a given call,
   * however many threads ask at once.
   */
  Optional<Pending> take(String callId, Instant now);

  /** The calls waiting and not expired at {@code now}, oldest first. */
  List<ApprovalRequest> pending(Instant now);

  /**
   * Keeps up to {@code maxPending} calls in memory holding at most {@value #DEFAULT_MAX_BYTES} bytes together,
   * dropping expired ones to make room.
   */
  static ApprovalStore inMemory(int maxPending) {
    return inMemory(maxPending, DEFAULT_MAX_BYTES);
  }

  /** Keeps up to {@code maxPending} calls holding at most {@code maxBytes} together in memory. */
  static ApprovalStore inMemory(int maxPending, long maxBytes) {
    return new InMemoryApprovalStore(maxPending, maxBytes);
  }

  /** The bytes the in-memory store's calls may hold together by default. */
  long DEFAULT_MAX_BYTES = 64L * 1024 * 1024;
}
