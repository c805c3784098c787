package dev.airlock.internal.local;

/** Beside {@link ArchivedTool} in the test jar, without {@code @Airlock} and never loaded by a worker. */
final class PlainNeighbour {
  private PlainNeighbour() {
  }
}
