package dev.airlock.internal.pool;

import dev.airlock.SandboxCall;
import java.util.List;

/**
 * Asks a worker whether a package is defined in it (a class of it was loaded) and whether a system property is set
 * (a static initializer ran). Names both as strings, so loading this class loads nothing else.
 */
record LoadedProbe(String packageName, String property) implements SandboxCall<List<Boolean>> {
  @Override
  public List<Boolean> call() {
    return List.of(LoadedProbe.class.getClassLoader().getDefinedPackage(packageName) != null,
        System.getProperty(property) != null);
  }
}
