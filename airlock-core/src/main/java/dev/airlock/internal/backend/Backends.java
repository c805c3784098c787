package dev.airlock.internal.backend;

import dev.airlock.AirlockConfig;
import dev.airlock.SandboxUnavailableException;
import dev.airlock.spi.SandboxBackend;
import dev.airlock.spi.SandboxBackendProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/** Finds a backend by its {@code airlock.backend} name among the providers on the classpath. */
public final class Backends {
  /**
   * Airlock's own backends. One of these whose module is not on the classpath means no sandbox here: unavailable, and
   * a call that does not require one runs on the host. Any other name no provider has is a mistake (a misspelt
   * {@code airlock.backend} or {@code @Airlock(backend)}), which fails the call instead of sending it to the host.
   */
  static final List<String> AIRLOCK_BACKENDS = List.of("local", "docker", "e2b", "morph");

  private Backends() {
  }

  public static SandboxBackend create(String name, AirlockConfig config) {
    List<String> known = new ArrayList<>();
    for (SandboxBackendProvider provider : ServiceLoader.load(SandboxBackendProvider.class,
        Backends.class.getClassLoader())) {
      if (provider.name().equals(name)) {
        return provider.create(config);
      }
      known.add(provider.name());
    }
    if (!AIRLOCK_BACKENDS.contains(name)) {
      throw new IllegalArgumentException("Invalid Airlock configuration: no backend named '" + name
          + "' (airlock.backend or @Airlock(backend)): Airlock's backends are " + AIRLOCK_BACKENDS
          + ", and this classpath has " + known + ". Fix the name");
    }
    throw new SandboxUnavailableException("no backend named '" + name + "' (airlock.backend) is on the classpath; "
        + "available: " + known + ". Add the airlock-" + name + " module, or choose one of those");
  }
}
