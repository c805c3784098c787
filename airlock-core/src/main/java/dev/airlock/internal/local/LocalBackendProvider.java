package dev.airlock.internal.local;

import dev.airlock.AirlockConfig;
import dev.airlock.spi.SandboxBackend;
import dev.airlock.spi.SandboxBackendProvider;
import java.util.List;

/** Registers the embedded backend as {@code local}. */
public final class LocalBackendProvider implements SandboxBackendProvider {

  @Override
  public String name() {
    return "local";
  }

  @Override
  public List<String> configKeys() {
    return List.of();
  }

  @Override
  public SandboxBackend create(AirlockConfig config) {
    return new LocalBackend(config);
  }
}
