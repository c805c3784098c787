package dev.airlock.internal.docker;

import dev.airlock.AirlockConfig;
import dev.airlock.spi.SandboxBackend;
import dev.airlock.spi.SandboxBackendProvider;
import java.util.List;

/** Registers the Docker backend as {@code airlock.backend=docker}. */
public final class DockerBackendProvider implements SandboxBackendProvider {

  @Override
  public String name() {
    return DockerSettings.BACKEND;
  }

  @Override
  public List<String> configKeys() {
    return DockerSettings.KEYS;
  }

  @Override
  public SandboxBackend create(AirlockConfig config) {
    return new DockerBackend(config);
  }
}
