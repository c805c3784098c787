package dev.airlock.agent;

import java.util.Map;
import java.util.WeakHashMap;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.pool.TypePool;

/**
 * The agent's type descriptions kept per class loader between transformations, so that each tool class loaded does
 * not read and parse again the class files of the types its methods name ({@code String}, {@code List}, Airlock's
 * own). Weakly keyed: a class loader that goes away takes its descriptions with it. Byte Buddy never takes the type
 * being transformed from this cache (it describes that one from the bytes being loaded).
 */
final class TypePoolPerLoader extends AgentBuilder.PoolStrategy.WithTypePoolCache {
  private final Map<ClassLoader, TypePool.CacheProvider> byLoader = new WeakHashMap<>();
  private final TypePool.CacheProvider boot = new TypePool.CacheProvider.Simple();

  TypePoolPerLoader() {
    super(TypePool.Default.ReaderMode.FAST);
  }

  @Override
  protected TypePool.CacheProvider locate(ClassLoader loader) {
    if (loader == null) {
      return boot;
    }
    synchronized (byLoader) {
      return byLoader.computeIfAbsent(loader, l -> new TypePool.CacheProvider.Simple());
    }
  }
}
