package dev.airlock.internal.codec;

import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.Map;

/**
 * Whether a class file of a given name exists, found out without asking a class loader for the class. A
 * parallel-capable loader (the JDK's and the application's are) keeps a lock object for every name it is asked to
 * load, found or not, for as long as it lives ({@code ClassLoader.getClassLoadingLock}), so looking up names a worker
 * chose grew the host's heap with every call: 52 MiB for 200 exception records of 17 invented names. The JDK's module
 * image keeps nothing of a name it is asked about, and a class path resource lookup at most a cache the JVM drops
 * under memory pressure.
 */
final class ClassFiles {
  /** The packages of the JDK's own modules (boot or platform loader) and the module of each. */
  private static final Map<String, Module> JDK_PACKAGES = jdkPackages();

  private ClassFiles() {
  }

  /**
   * Whether {@code className} (a binary name, or an array descriptor) names a class whose file exists: in the JDK's
   * module image for a package of the JDK's modules, else as a resource of {@code loader} ({@code null}: the JDK
   * only). Only after this may the name be given to {@link Class#forName}.
   */
  static boolean exist(String className, ClassLoader loader) {
    String name = ClassAllowlist.elementName(className);
    if (name.length() == 1) {
      return "ZBCSIJFD".contains(name);
    }
    int dot = name.lastIndexOf('.');
    String path = name.replace('.', '/') + ".class";
    Module module = dot < 0 ? null : JDK_PACKAGES.get(name.substring(0, dot));
    try {
      if (module != null) {
        try (InputStream in = module.getResourceAsStream(path)) {
          return in != null;
        }
      }
      return loader != null && loader.getResource(path) != null;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  private static Map<String, Module> jdkPackages() {
    Map<String, Module> packages = new HashMap<>();
    for (Module module : ModuleLayer.boot().modules()) {
      ClassLoader loader = module.getClassLoader();
      if (loader == null || loader == ClassLoader.getPlatformClassLoader()) {
        module.getPackages().forEach(p -> packages.put(p, module));
      }
    }
    return Map.copyOf(packages);
  }
}
