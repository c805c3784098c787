package dev.airlock.agent;

import java.util.Map;

/** A loader that defines the classes named in its map from their bytes, child first, for rewritten test classes. */
final class DefiningLoader extends ClassLoader {
  private final Map<String, byte[]> classes;

  DefiningLoader(ClassLoader parent, Map<String, byte[]> classes) {
    super(parent);
    this.classes = Map.copyOf(classes);
  }

  @Override
  protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
    synchronized (getClassLoadingLock(name)) {
      byte[] bytes = classes.get(name);
      if (bytes == null) {
        return super.loadClass(name, resolve);
      }
      Class<?> loaded = findLoadedClass(name);
      return loaded != null ? loaded : defineClass(name, bytes, 0, bytes.length);
    }
  }
}
