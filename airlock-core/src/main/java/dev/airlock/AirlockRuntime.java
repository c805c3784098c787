package dev.airlock;

import dev.airlock.internal.worker.WorkerMain;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Process-wide state: the configuration and the default pools, created lazily and closed by a shutdown hook.
 *
 * <pre>{@code
 * AirlockRuntime.configure(AirlockConfig.builder().poolMinSize(1).build());
 * String where = AirlockRuntime.pool().call(() -> AirlockRuntime.isSandboxed() ? "sandbox" : "host");
 * }</pre>
 */
public final class AirlockRuntime {
  private static final boolean SANDBOXED = Boolean.getBoolean("airlock.worker");
  private static final Map<String, SandboxPool> POOLS = new ConcurrentHashMap<>();
  private static final Map<String, AirlockPolicy> POLICIES = new ConcurrentHashMap<>();
  private static volatile AirlockConfig config;
  /**
   * Policies read from the keys of the configuration last asked about (the runtime's own, in an application): a
   * configuration is immutable, and scanning its keys ran four times per call, on the caller's thread.
   */
  private static volatile ConfiguredPolicies configured = new ConfiguredPolicies(null, Map.of());
  private static final int MAX_CONFIGURED_POLICIES = 256;
  private static boolean hookInstalled;

  private AirlockRuntime() {
  }

  /**
   * True only inside a sandbox worker: a JVM started as one ({@code airlock.worker}) that serves the worker protocol.
   * The property alone is not enough: a host JVM can carry it too (copied worker options, a shared
   * {@code JAVA_TOOL_OPTIONS}), and the interceptor runs a tool's body as it is wherever this is true.
   */
  public static boolean isSandboxed() {
    return SANDBOXED && WorkerMain.serving();
  }

  /** Replaces the configuration; pools made for the previous one are closed. */
  public static synchronized void configure(AirlockConfig newConfig) {
    if (newConfig.equals(config)) {
      return;
    }
    config = newConfig;
    closePools();
  }

  /** The configuration: what {@link #configure} set, else {@link AirlockConfig#fromEnvironment()}. */
  public static AirlockConfig config() {
    AirlockConfig c = config;
    if (c == null) {
      synchronized (AirlockRuntime.class) {
        if (config == null) {
          config = AirlockConfig.fromEnvironment();
        }
        c = config;
      }
    }
    return c;
  }

  /** The default pool: configured backend and heap. */
  public static SandboxPool pool() {
    AirlockConfig c = config();
    return pool(c.backend(), c.memoryMb());
  }

  /** The pool for a backend and heap other than the defaults, as {@code @Airlock(backend, memoryMb)} ask. */
  public static SandboxPool pool(String backend, int memoryMb) {
    String key = backend + "/" + memoryMb;
    SandboxPool pool = POOLS.get(key);
    if (pool != null) {
      return pool;
    }
    synchronized (AirlockRuntime.class) {
      installShutdownHook();
      return POOLS.computeIfAbsent(key, k -> SandboxPool.builder(config()).backend(backend).memoryMb(memoryMb)
          .build());
    }
  }

  /**
   * {@link SandboxPool#warmUp()} of the default pool, which it creates: the backend's probe, its {@code min-size}
   * workers and the host side of a call start in the background, and this returns at once. The java agent and the
   * Spring starter call it when they start unless {@code airlock.pool.eager=false}. The price is CPU at startup:
   * the probe and the workers start (each worker a JVM) whether or not a call ever comes.
   */
  public static void warmUp() {
    pool().warmUp();
  }

  /** Makes {@code policy} available as {@code @Airlock(policy = name)}; the name {@code global} guards every tool
   * that names no policy. */
  public static void registerPolicy(String name, AirlockPolicy policy) {
    POLICIES.put(name, policy);
  }

  /**
   * The policy {@code name} ({@code ""}: the global one): registered, else read from the configuration's keys
   * {@code airlock.policy.<name>.*}, else none.
   */
  public static Optional<AirlockPolicy> policy(String name, AirlockConfig config) {
    String key = name.isEmpty() ? "global" : name;
    AirlockPolicy registered = POLICIES.get(key);
    if (registered != null) {
      return Optional.of(registered);
    }
    ConfiguredPolicies read = configured;
    if (read.config() != config) {
      read = new ConfiguredPolicies(config, new ConcurrentHashMap<>());
      configured = read;
    }
    Optional<AirlockPolicy> known = read.byName().get(key);
    if (known != null) {
      return known;
    }
    String prefix = AirlockPolicy.keyPrefix(key);
    boolean present = false;
    for (String k : config.backendProperties().keySet()) {
      present |= k.startsWith(prefix);
    }
    Optional<AirlockPolicy> policy = present ? Optional.of(AirlockPolicy.fromProperties(key,
        config.backendProperties())) : Optional.empty();
    if (read.byName().size() < MAX_CONFIGURED_POLICIES) {
      read.byName().put(key, policy);
    }
    return policy;
  }

  private record ConfiguredPolicies(AirlockConfig config, Map<String, Optional<AirlockPolicy>> byName) {
  }

  /** Closes every default pool; the next call creates them again. */
  public static synchronized void closePools() {
    List<SandboxPool> pools = new ArrayList<>(POOLS.values());
    POOLS.clear();
    for (SandboxPool p : pools) {
      p.close();
    }
  }

  private static void installShutdownHook() {
    if (!hookInstalled) {
      hookInstalled = true;
      Runtime.getRuntime().addShutdownHook(new Thread(AirlockRuntime::closePools, "airlock-shutdown"));
    }
  }
}
