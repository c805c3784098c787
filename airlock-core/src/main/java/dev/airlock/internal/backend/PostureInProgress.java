package dev.airlock.internal.backend;

/**
 * A backend whose isolation posture is still being measured after it was made, while its first workers start. Its
 * {@code posture()} waits for the measurement; a caller that requires isolation checks it before shipping its call,
 * and asks first, so as not to start a worker for a call the measured posture would refuse.
 */
public interface PostureInProgress {
  /** True once {@code posture()} answers without waiting. */
  boolean postureMeasured();
}
