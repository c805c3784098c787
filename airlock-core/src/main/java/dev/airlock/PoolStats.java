package dev.airlock;

/**
 * A snapshot of a pool's counters.
 *
 * @param active workers running a call now
 * @param idle started, handshaken workers waiting for a call
 * @param totalExecutions calls that reached a worker
 * @param avgLatencyMs mean wall time of those calls, host side, in milliseconds
 * @param failures calls that ended in any exception (user exceptions included)
 * @param timeouts calls stopped by their timeout
 * @param fallbacks calls run on the host because no sandbox could be had
 * @param crashes calls whose worker died under them, hit a resource limit, or could not be started
 * @param workersStarted workers launched since the pool was created
 */
public record PoolStats(int active, int idle, long totalExecutions, double avgLatencyMs, long failures, long timeouts,
    long fallbacks, long crashes, long workersStarted) {
}
