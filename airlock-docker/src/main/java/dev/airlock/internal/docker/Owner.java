package dev.airlock.internal.docker;

import dev.airlock.internal.backend.GuestText;
import dev.airlock.internal.backend.HostProcess;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The labels that mark a container as Airlock's and name the host process that owns it, so that containers of a
 * host killed before it could clean up are found and removed by the next backend to start on that engine.
 *
 * <p>Several applications may share one engine from different PID namespaces (two app containers with the socket
 * mounted), where each sees the other's pids as absent. So a container is reaped only when its owner is proven dead
 * ({@link HostProcess#provenDeadFrom}: same boot, same PID namespace, no such process), or once its expiry passed:
 * a worker is retired (given no further call) at {@link #RETIRE_AFTER}, and expires after that plus the longest call
 * it may still be running.
 *
 * @param process the owning JVM: boot id, PID namespace, pid and start time
 * @param session one backend instance in that JVM
 * @param expires epoch milliseconds after which no live owner uses the container; 0 when not labelled
 */
record Owner(HostProcess process, String session, long expires) {
  static final String WORKER = "dev.airlock.worker";
  static final String MACHINE = "dev.airlock.owner.machine";
  static final String PID_NAMESPACE = "dev.airlock.owner.pidns";
  static final String PID = "dev.airlock.owner.pid";
  static final String STARTED = "dev.airlock.owner.started";
  static final String SESSION = "dev.airlock.session";
  static final String EXPIRES = "dev.airlock.expires";
  /** Marks a worker's lifeline container ({@link HostLifeline}), owned and reaped like the worker. */
  static final String LIFELINE = "dev.airlock.lifeline";
  /** A worker older than this takes no new call; the pool replaces it. */
  static final Duration RETIRE_AFTER = Duration.ofHours(1);
  /** Room after retirement for a call that started just before it, when the configured timeout is shorter. */
  static final Duration MIN_CALL_ALLOWANCE = Duration.ofHours(1);

  static Owner thisProcess(String session) {
    return new Owner(HostProcess.current(), session, 0);
  }

  /** The expiry of a container created {@code now} whose calls have {@code callTimeout} by default. */
  static long expiry(long now, Duration callTimeout) {
    Duration allowance = callTimeout.compareTo(MIN_CALL_ALLOWANCE) > 0 ? callTimeout : MIN_CALL_ALLOWANCE;
    return now + RETIRE_AFTER.plus(allowance).toMillis();
  }

  long pid() {
    return process.pid();
  }

  /**
   * The owner as the reaper logs it. The labels are whatever the container's creator wrote, and another application
   * on the same engine creates containers too: the session is quoted escaped and clipped, never raw.
   */
  String describe() {
    String shown = session == null ? "none" : session.length() > 64 ? session.substring(0, 64) + "..." : session;
    return "host process " + process.pid() + " (session " + GuestText.escape(shown) + ")";
  }

  /** The labels of a container created now, expiring at {@code expiresAt}. */
  Map<String, String> labels(long expiresAt) {
    return Map.of(WORKER, "true", MACHINE, process.boot(), PID_NAMESPACE, process.pidNamespace(), PID,
        Long.toString(process.pid()), STARTED, Long.toString(process.started()), SESSION, session, EXPIRES,
        Long.toString(expiresAt));
  }

  /** The owner recorded on a container, when its labels name one; a missing namespace or expiry reads as unknown. */
  static Optional<Owner> of(Map<String, String> labels) {
    try {
      Map<String, String> l = new HashMap<>(labels);
      HostProcess process = new HostProcess(l.get(MACHINE), l.get(PID_NAMESPACE), Long.parseLong(l.get(PID)),
          Long.parseLong(l.get(STARTED)));
      return Optional.of(new Owner(process, l.get(SESSION), Long.parseLong(l.getOrDefault(EXPIRES, "0"))));
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }

  /** True when {@code checker} may remove the container at {@code now} (epoch ms) without hurting a live owner. */
  boolean reapableBy(HostProcess checker, long now) {
    return process.provenDeadFrom(checker) || (expires > 0 && now > expires);
  }
}
