package dev.airlock.internal.backend;

import dev.airlock.spi.SandboxBackend;
import dev.airlock.spi.SandboxBackendProvider;

import dev.airlock.AirlockConfig;
import dev.airlock.SandboxUnavailableException;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/** Finds a backend by its {@code airlock.backend} name among the providers on the classpath. */
public final class Backends {

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
    throw new SandboxUnavailableException("no backend named '" + name + "' (airlock.backend) is on the classpath; "
        + "available: " + known + ". Add the airlock-" + name + " module, or choose one of those");
  }
}
