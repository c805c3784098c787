package dev.airlock.spi;

import java.time.Duration;

/**
 * What one worker needs.
 *
 * @param memoryMb heap for the worker JVM
 * @param startTimeout how long the backend may take to connect the worker's channel
 */
public record WorkerSpec(int memoryMb, Duration startTimeout) {
}
