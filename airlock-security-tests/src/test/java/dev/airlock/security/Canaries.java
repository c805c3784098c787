package dev.airlock.security;

import java.lang.reflect.Method;
import java.util.List;

/**
 * The gadget-named canary classes on the test classpath, and proof that the host never loaded, initialized or
 * constructed one. Only names are used here: a class literal would load the canary itself.
 */
final class Canaries {
  static final List<String> NAMES = List.of("org.apache.commons.collections.functors.InvokerTransformer",
      "org.apache.xalan.xsltc.trax.TemplatesImpl");
  private static final Method FIND_LOADED_CLASS;

  static {
    try {
      FIND_LOADED_CLASS = ClassLoader.class.getDeclaredMethod("findLoadedClass", String.class);
      FIND_LOADED_CLASS.setAccessible(true);
    } catch (NoSuchMethodException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private Canaries() {
  }

  /** Names of canaries the host loaded (by any loader Airlock uses) or ran code of; empty when none. */
  static List<String> touchedOnHost() {
    return NAMES.stream().filter(name -> System.getProperty("airlock.canary." + name) != null
        || loaded(ClassLoader.getSystemClassLoader(), name)
        || loaded(dev.airlock.internal.codec.Codec.class.getClassLoader(), name)).toList();
  }

  private static boolean loaded(ClassLoader loader, String name) {
    try {
      return FIND_LOADED_CLASS.invoke(loader, name) != null;
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot ask " + loader + " about " + name, e);
    }
  }
}
