package dev.airlock.spi;

import dev.airlock.AirlockConfig;
import java.util.List;

/**
 * Makes a backend known by name. Implementations are found with {@link java.util.ServiceLoader}, so adding a
 * backend module to the classpath makes {@code airlock.backend=<name>} work.
 */
public interface SandboxBackendProvider {

  /** The value of {@code airlock.backend} that selects this backend. */
  String name();

  /** Backend keys this provider reads (under {@code airlock.<name>.}), so they can be read from the environment. */
  List<String> configKeys();

  /**
   * Creates the backend. Throws {@link dev.airlock.SandboxUnavailableException} naming the cause and the fix when
   * the backend cannot work on this machine.
   */
  SandboxBackend create(AirlockConfig config);
}
