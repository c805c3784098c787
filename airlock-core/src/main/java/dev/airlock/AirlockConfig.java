package dev.airlock;

import dev.airlock.internal.backend.EgressSettings;
import dev.airlock.spi.SandboxBackendProvider;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Immutable Airlock settings. Build one with {@link #builder()}, vary it with {@link #toBuilder()}, or read it from
 * system properties and environment variables with {@link #fromEnvironment()}:
 *
 * <pre>{@code
 * AirlockConfig config = AirlockConfig.builder().timeoutSeconds(30).poolMinSize(1).build();
 * AirlockRuntime.configure(config);
 * }</pre>
 *
 * <p>Keys use the same names everywhere (system properties, environment variables, Spring's {@code application.yml}):
 * {@code airlock.pool.min-size} is the environment variable {@code AIRLOCK_POOL_MIN_SIZE}. Backend modules add their
 * own keys under {@code airlock.<backend>.}; they are kept in {@link #backendProperties()}.
 */
public final class AirlockConfig {

  public static final String BACKEND = "airlock.backend";
  public static final String TIMEOUT_SECONDS = "airlock.timeout-seconds";
  public static final String SANDBOX_REQUIRED = "airlock.sandbox-required";
  public static final String MEMORY_MB = "airlock.memory-mb";
  public static final String CPUS = "airlock.cpus";
  public static final String PIDS_LIMIT = "airlock.pids-limit";
  public static final String MAX_PAYLOAD_BYTES = "airlock.max-payload-bytes";
  public static final String MAX_RESULT_BYTES = "airlock.max-result-bytes";
  public static final String ALLOWED_CLASSES = "airlock.allowed-classes";
  /** Host calls still running past their timeout at which new host calls are refused. */
  public static final String MAX_OVERDUE_HOST_CALLS = "airlock.max-overdue-host-calls";
  public static final String POOL_MIN_SIZE = "airlock.pool.min-size";
  public static final String POOL_MAX_SIZE = "airlock.pool.max-size";
  public static final String POOL_IDLE_TIMEOUT_SECONDS = "airlock.pool.idle-timeout-seconds";
  public static final String POOL_REUSE = "airlock.pool.reuse";
  public static final String POOL_EAGER = "airlock.pool.eager";
  public static final String LOCAL_ISOLATION = "airlock.local.isolation";
  public static final String LOCAL_JAVA = "airlock.local.java";
  public static final String LOCAL_CLASS_CACHE = "airlock.local.class-cache";
  public static final String LOCAL_CLASSPATH_FOLDERS = "airlock.local.classpath-folders";
  public static final String FILES_ROOTS = "airlock.files.roots";
  /** Hosts every sandboxed call may reach through the egress proxy (docs/egress.md); read by EgressSettings. */
  public static final String EGRESS_ALLOW = "airlock.egress.allow";
  public static final String EGRESS_ENABLED = "airlock.egress.enabled";
  public static final String EGRESS_MAX_BYTES_PER_CALL = "airlock.egress.max-bytes-per-call";
  public static final String EGRESS_MAX_CONNECTION_SECONDS = "airlock.egress.max-connection-seconds";
  /** {@code airlock.egress.secrets.<name>.host}, {@code .header} and {@code .value}: headers the proxy injects. */
  public static final String EGRESS_SECRETS_PREFIX = "airlock.egress.secrets.";
  /** The egress keys, kept with the backend keys ({@link #backendProperties()}). */
  public static final List<String> EGRESS_KEYS = List.of(EGRESS_ALLOW, EGRESS_ENABLED, EGRESS_MAX_BYTES_PER_CALL,
      EGRESS_MAX_CONNECTION_SECONDS);

  /** The keys this class owns, in documentation order. */
  public static final List<String> CORE_KEYS = List.of(BACKEND, TIMEOUT_SECONDS, SANDBOX_REQUIRED, MEMORY_MB, CPUS,
      PIDS_LIMIT, MAX_PAYLOAD_BYTES, MAX_RESULT_BYTES, ALLOWED_CLASSES, MAX_OVERDUE_HOST_CALLS, POOL_MIN_SIZE,
      POOL_MAX_SIZE, POOL_IDLE_TIMEOUT_SECONDS, POOL_REUSE, POOL_EAGER, LOCAL_ISOLATION, LOCAL_JAVA, LOCAL_CLASS_CACHE,
      LOCAL_CLASSPATH_FOLDERS, FILES_ROOTS);

  private static final int MIB = 1024 * 1024;

  /** What the local backend must enforce: {@code auto} uses namespaces when bubblewrap is present. */
  public enum LocalIsolation { AUTO, STRICT, NONE }

  private final String backend;
  private final int timeoutSeconds;
  private final boolean sandboxRequired;
  private final int memoryMb;
  private final double cpus;
  private final int pidsLimit;
  private final int maxPayloadBytes;
  private final int maxResultBytes;
  private final List<String> allowedClasses;
  private final int maxOverdueHostCalls;
  private final int poolMinSize;
  private final int poolMaxSize;
  private final Duration poolIdleTimeout;
  private final boolean poolReuse;
  private final boolean poolEager;
  private final LocalIsolation localIsolation;
  private final String localJava;
  private final String localClassCache;
  private final boolean localAnyClasspathFolder;
  private final List<Path> filesRoots;
  private final Map<String, String> backendProperties;

  private AirlockConfig(Builder b) {
    this.backend = b.backend;
    this.timeoutSeconds = b.timeoutSeconds;
    this.sandboxRequired = b.sandboxRequired;
    this.memoryMb = b.memoryMb;
    this.cpus = b.cpus;
    this.pidsLimit = b.pidsLimit;
    this.maxPayloadBytes = b.maxPayloadBytes;
    this.maxResultBytes = b.maxResultBytes;
    this.allowedClasses = List.copyOf(b.allowedClasses);
    this.maxOverdueHostCalls = b.maxOverdueHostCalls;
    this.poolMinSize = b.poolMinSize;
    this.poolMaxSize = b.poolMaxSize;
    this.poolIdleTimeout = b.poolIdleTimeout;
    this.poolReuse = b.poolReuse;
    this.poolEager = b.poolEager;
    this.localIsolation = b.localIsolation;
    this.localJava = b.localJava;
    this.localClassCache = b.localClassCache;
    this.localAnyClasspathFolder = b.localAnyClasspathFolder;
    this.filesRoots = List.copyOf(b.filesRoots);
    this.backendProperties = Collections.unmodifiableMap(new TreeMap<>(b.backendProperties));
  }

  public static AirlockConfig defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    return new Builder(this);
  }

  /**
   * Reads every key from system properties first, then environment variables; unset keys keep their defaults.
   * Policies ({@code airlock.policy.<name>.<key>}, {@code AIRLOCK_POLICY_<NAME>_<KEY>}) are read too, and unknown
   * keys are refused: see {@link #fromSources(Map, Map)}.
   */
  public static AirlockConfig fromEnvironment() {
    Map<String, String> properties = new TreeMap<>();
    System.getProperties().stringPropertyNames().forEach(k -> properties.put(k, System.getProperty(k)));
    return fromSources(properties, System.getenv());
  }

  /**
   * Reads every key, and every policy, from system properties first, then environment variables, and refuses keys
   * that look like Airlock configuration but are not (a misspelling must not silently drop a setting, least of all
   * a policy's deny list). A policy is read from {@code airlock.policy.<name>.<key>} (the key is the last segment,
   * so a name may hold dots) or from {@code AIRLOCK_POLICY_<NAME>_<KEY>}, whose name is lower-cased with {@code _}
   * read as {@code -} ({@code AIRLOCK_POLICY_READ_ONLY_DENY} sets policy {@code read-only}); names with dots,
   * underscores or capitals can be set only by system property, Spring or {@link AirlockRuntime#registerPolicy}.
   * Refused: an unknown policy key, an unknown key directly under {@code airlock.}, under {@code airlock.pool.} or
   * {@code airlock.local.}, or under a backend module's section. Other namespaces ({@code airlock.agent.},
   * tests' own properties) are not configuration and are left alone.
   */
  public static AirlockConfig fromSources(Map<String, String> properties, Map<String, String> environment) {
    Set<String> keys = knownKeys();
    Builder builder = builder();
    read(keys, properties::get, environment::get, builder);
    Map<String, String> policies = new TreeMap<>();
    environment.forEach((name, value) -> {
      if (name.startsWith(POLICY_ENVIRONMENT_PREFIX)) {
        policies.put(policyKeyOfEnvironmentName(name), value);
      }
    });
    properties.forEach((key, value) -> {
      if (key.startsWith(AirlockPolicy.KEY_PREFIX) || key.startsWith(EGRESS_SECRETS_PREFIX)) {
        policies.put(key, value);
      } else if (key.startsWith("airlock.") && !keys.contains(key)) {
        refuseIfConfiguration(key, keys);
      }
    });
    policies.forEach(builder::set);
    AirlockConfig config = builder.build();
    config.policyNames().forEach(name -> AirlockPolicy.fromProperties(name, config.backendProperties()));
    EgressSettings.of(config);
    return config;
  }

  private static final String POLICY_ENVIRONMENT_PREFIX = "AIRLOCK_POLICY_";
  /** Keys that carry no setting but are set by Airlock itself: the worker JVM's marker. */
  private static final Set<String> NOT_CONFIGURATION = Set.of("airlock.worker", "airlock.enabled");

  /** {@code AIRLOCK_POLICY_READ_ONLY_DENY} → {@code airlock.policy.read-only.deny}; fails on an unknown key. */
  private static String policyKeyOfEnvironmentName(String name) {
    String rest = name.substring(POLICY_ENVIRONMENT_PREFIX.length());
    String match = null;
    for (String key : AirlockPolicy.KEYS) {
      String suffix = policyKeySuffix(key);
      if (rest.endsWith(suffix) && rest.length() > suffix.length() && (match == null || key.length() > match.length())) {
        match = key;
      }
    }
    if (match == null) {
      throw new IllegalArgumentException("Invalid Airlock configuration: environment variable " + name
          + " is not AIRLOCK_POLICY_<NAME>_<KEY> with a key among " + AirlockPolicy.KEYS
          + " (upper case, - written _)");
    }
    String policy = rest.substring(0, rest.length() - policyKeySuffix(match).length());
    return AirlockPolicy.keyPrefix(policy.toLowerCase(Locale.ROOT).replace('_', '-')) + match;
  }

  /** {@code deny-by-default} → {@code _DENY_BY_DEFAULT}. */
  private static String policyKeySuffix(String key) {
    return "_" + key.toUpperCase(Locale.ROOT).replace('-', '_');
  }

  private static void refuseIfConfiguration(String key, Set<String> known) {
    String[] parts = key.split("\\.");
    String section = parts.length > 2 ? "airlock." + parts[1] + "." : null;
    boolean ownedSection = section != null && known.stream().anyMatch(k -> k.startsWith(section));
    if (NOT_CONFIGURATION.contains(key) || (parts.length > 2 && !ownedSection)) {
      return;
    }
    throw new IllegalArgumentException("Invalid Airlock configuration: unknown key '" + key + "'; known keys are "
        + known + " and policies airlock.policy.<name>." + AirlockPolicy.KEYS);
  }

  private static Set<String> knownKeys() {
    Set<String> keys = new LinkedHashSet<>(CORE_KEYS);
    keys.addAll(EGRESS_KEYS);
    for (SandboxBackendProvider provider : ServiceLoader.load(SandboxBackendProvider.class,
        AirlockConfig.class.getClassLoader())) {
      keys.addAll(provider.configKeys());
    }
    return keys;
  }

  /**
   * Reads every key from two lookups: {@code properties} by dotted key, then {@code environment} by the upper-cased
   * name. A value that does not parse fails with an {@link IllegalArgumentException} naming the key and the value.
   */
  public static AirlockConfig fromSources(Function<String, String> properties, Function<String, String> environment) {
    Builder builder = builder();
    read(knownKeys(), properties, environment, builder);
    return builder.build();
  }

  private static void read(Set<String> keys, Function<String, String> properties,
      Function<String, String> environment, Builder builder) {
    for (String key : keys) {
      String value = properties.apply(key);
      if (value == null) {
        value = environment.apply(environmentName(key));
      }
      if (value != null) {
        builder.set(key, value);
      }
    }
  }

  /** The names of the policies set by keys {@code airlock.policy.<name>.<key>}. */
  public Set<String> policyNames() {
    Set<String> names = new TreeSet<>();
    String prefix = AirlockPolicy.KEY_PREFIX;
    for (String key : backendProperties.keySet()) {
      if (key.startsWith(prefix) && key.lastIndexOf('.') > prefix.length()) {
        names.add(key.substring(prefix.length(), key.lastIndexOf('.')));
      }
    }
    return names;
  }

  /** {@code airlock.pool.min-size} → {@code AIRLOCK_POOL_MIN_SIZE}. */
  public static String environmentName(String key) {
    return key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
  }

  public String backend() { return backend; }
  public int timeoutSeconds() { return timeoutSeconds; }
  public Duration timeout() { return Duration.ofSeconds(timeoutSeconds); }
  public boolean sandboxRequired() { return sandboxRequired; }
  public int memoryMb() { return memoryMb; }
  public double cpus() { return cpus; }
  public int pidsLimit() { return pidsLimit; }
  public int maxPayloadBytes() { return maxPayloadBytes; }
  public int maxResultBytes() { return maxResultBytes; }
  /**
   * Extra classes a result may contain, beyond JDK value types and what the method's signature reaches: exact class
   * names, or {@code com.acme.*} for every class of one package.
   */
  public List<String> allowedClasses() { return allowedClasses; }

  /**
   * How many calls run on the host ({@code sandbox = false}, or a fallback) may still run past their timeout before
   * new host calls are refused with {@link HostCallTimeoutException}: host code cannot be killed, so each keeps a
   * thread.
   */
  public int maxOverdueHostCalls() { return maxOverdueHostCalls; }
  public int poolMinSize() { return poolMinSize; }
  public int poolMaxSize() { return poolMaxSize; }
  public Duration poolIdleTimeout() { return poolIdleTimeout; }
  public boolean poolReuse() { return poolReuse; }
  /** Whether the java agent and the Spring starter call {@link AirlockRuntime#warmUp()} when they start. */
  public boolean poolEager() { return poolEager; }
  public LocalIsolation localIsolation() { return localIsolation; }
  /** The java executable for local workers; empty means the host's own {@code java.home}. */
  public String localJava() { return localJava; }
  /**
   * Where the local backend keeps its workers' class-data archives: a folder, empty for the user's cache folder, or
   * {@code off}.
   */
  public String localClassCache() { return localClassCache; }
  /**
   * Whether workers may see classpath folders that are not build output ({@code java -cp .}) whole; by default such a
   * folder is refused, since every file in it would be readable by sandboxed code.
   */
  public boolean localAnyClasspathFolder() { return localAnyClasspathFolder; }
  /**
   * Folders whose regular files a {@code Path} or {@code File} argument may ship into a sandbox (after resolving
   * symlinks); empty, the default, ships none.
   */
  public List<Path> filesRoots() { return filesRoots; }
  /** Keys under {@code airlock.<backend>.} that backend modules read, such as {@code airlock.docker.image}. */
  public Map<String, String> backendProperties() { return backendProperties; }

  public String backendProperty(String key, String defaultValue) {
    return backendProperties.getOrDefault(key, defaultValue);
  }

  /** All settings as key → value, for logs and health endpoints. */
  public Map<String, String> asMap() {
    Map<String, String> map = new LinkedHashMap<>();
    map.put(BACKEND, backend);
    map.put(TIMEOUT_SECONDS, Integer.toString(timeoutSeconds));
    map.put(SANDBOX_REQUIRED, Boolean.toString(sandboxRequired));
    map.put(MEMORY_MB, Integer.toString(memoryMb));
    map.put(CPUS, Double.toString(cpus));
    map.put(PIDS_LIMIT, Integer.toString(pidsLimit));
    map.put(MAX_PAYLOAD_BYTES, Integer.toString(maxPayloadBytes));
    map.put(MAX_RESULT_BYTES, Integer.toString(maxResultBytes));
    map.put(ALLOWED_CLASSES, String.join(",", allowedClasses));
    map.put(MAX_OVERDUE_HOST_CALLS, Integer.toString(maxOverdueHostCalls));
    map.put(POOL_MIN_SIZE, Integer.toString(poolMinSize));
    map.put(POOL_MAX_SIZE, Integer.toString(poolMaxSize));
    map.put(POOL_IDLE_TIMEOUT_SECONDS, Long.toString(poolIdleTimeout.getSeconds()));
    map.put(POOL_REUSE, Boolean.toString(poolReuse));
    map.put(POOL_EAGER, Boolean.toString(poolEager));
    map.put(LOCAL_ISOLATION, localIsolation.name().toLowerCase(Locale.ROOT));
    map.put(LOCAL_JAVA, localJava);
    map.put(LOCAL_CLASS_CACHE, localClassCache);
    map.put(LOCAL_CLASSPATH_FOLDERS, localAnyClasspathFolder ? "any" : "build-output");
    map.put(FILES_ROOTS, String.join(",", filesRoots.stream().map(Path::toString).toList()));
    map.putAll(backendProperties);
    return map;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof AirlockConfig && ((AirlockConfig) o).asMap().equals(asMap());
  }

  @Override
  public int hashCode() {
    return asMap().hashCode();
  }

  @Override
  public String toString() {
    return "AirlockConfig" + asMap();
  }

  /** Mutable builder; {@link #build()} validates and returns an immutable config. */
  public static final class Builder {
    private String backend = "local";
    private int timeoutSeconds = 60;
    private boolean sandboxRequired = false;
    private int memoryMb = 256;
    private double cpus = 1.0;
    private int pidsLimit = 128;
    private int maxPayloadBytes = 10 * MIB;
    private int maxResultBytes = 10 * MIB;
    private List<String> allowedClasses = new ArrayList<>();
    private int maxOverdueHostCalls = 16;
    private int poolMinSize = 2;
    private int poolMaxSize = 10;
    private Duration poolIdleTimeout = Duration.ofSeconds(300);
    private boolean poolReuse = false;
    private boolean poolEager = true;
    private LocalIsolation localIsolation = LocalIsolation.AUTO;
    private String localJava = "";
    private String localClassCache = "";
    private boolean localAnyClasspathFolder;
    private List<Path> filesRoots = new ArrayList<>();
    private final Map<String, String> backendProperties = new TreeMap<>();

    private Builder() {
    }

    private Builder(AirlockConfig c) {
      backend = c.backend;
      timeoutSeconds = c.timeoutSeconds;
      sandboxRequired = c.sandboxRequired;
      memoryMb = c.memoryMb;
      cpus = c.cpus;
      pidsLimit = c.pidsLimit;
      maxPayloadBytes = c.maxPayloadBytes;
      maxResultBytes = c.maxResultBytes;
      allowedClasses = new ArrayList<>(c.allowedClasses);
      maxOverdueHostCalls = c.maxOverdueHostCalls;
      poolMinSize = c.poolMinSize;
      poolMaxSize = c.poolMaxSize;
      poolIdleTimeout = c.poolIdleTimeout;
      poolReuse = c.poolReuse;
      poolEager = c.poolEager;
      localIsolation = c.localIsolation;
      localJava = c.localJava;
      localClassCache = c.localClassCache;
      localAnyClasspathFolder = c.localAnyClasspathFolder;
      filesRoots = new ArrayList<>(c.filesRoots);
      backendProperties.putAll(c.backendProperties);
    }

    public Builder backend(String backend) {
      this.backend = requireText(BACKEND, backend);
      return this;
    }

    public Builder timeoutSeconds(int seconds) {
      this.timeoutSeconds = positive(TIMEOUT_SECONDS, seconds);
      return this;
    }

    public Builder sandboxRequired(boolean required) {
      this.sandboxRequired = required;
      return this;
    }

    public Builder memoryMb(int memoryMb) {
      if (memoryMb < 16) {
        throw bad(MEMORY_MB, memoryMb, "at least 16 (MiB of worker heap)");
      }
      this.memoryMb = memoryMb;
      return this;
    }

    public Builder cpus(double cpus) {
      // 0.01 is the least any backend enforces: Docker refuses less, and below 1e-9 its NanoCPUs would be 0, no
      // limit at all, while the posture reported the number.
      if (!(cpus >= 0.01) || Double.isInfinite(cpus)) {
        throw bad(CPUS, cpus, "a number of CPUs of at least 0.01, such as 0.5 or 2");
      }
      this.cpus = cpus;
      return this;
    }

    public Builder pidsLimit(int pidsLimit) {
      if (pidsLimit < 32) {
        throw bad(PIDS_LIMIT, pidsLimit, "at least 32 (a JVM alone needs about 20 threads)");
      }
      this.pidsLimit = pidsLimit;
      return this;
    }

    public Builder maxPayloadBytes(int bytes) {
      this.maxPayloadBytes = positive(MAX_PAYLOAD_BYTES, bytes);
      return this;
    }

    public Builder maxResultBytes(int bytes) {
      this.maxResultBytes = positive(MAX_RESULT_BYTES, bytes);
      return this;
    }

    public Builder allowedClasses(List<String> prefixes) {
      this.allowedClasses = new ArrayList<>(prefixes);
      return this;
    }

    /** Host calls past their timeout at which new ones are refused (see {@link AirlockConfig#maxOverdueHostCalls()}). */
    public Builder maxOverdueHostCalls(int calls) {
      this.maxOverdueHostCalls = positive(MAX_OVERDUE_HOST_CALLS, calls);
      return this;
    }

    /** Folders whose files {@code Path}/{@code File} arguments may ship (see {@link AirlockConfig#filesRoots()}). */
    public Builder filesRoots(List<Path> roots) {
      this.filesRoots = new ArrayList<>(roots);
      return this;
    }

    public Builder poolMinSize(int size) {
      if (size < 0) {
        throw bad(POOL_MIN_SIZE, size, "zero or more");
      }
      this.poolMinSize = size;
      return this;
    }

    public Builder poolMaxSize(int size) {
      this.poolMaxSize = positive(POOL_MAX_SIZE, size);
      return this;
    }

    public Builder poolIdleTimeout(Duration timeout) {
      if (timeout.isNegative() || timeout.isZero()) {
        throw bad(POOL_IDLE_TIMEOUT_SECONDS, timeout.getSeconds(), "a positive number of seconds");
      }
      this.poolIdleTimeout = timeout;
      return this;
    }

    public Builder poolReuse(boolean reuse) {
      this.poolReuse = reuse;
      return this;
    }

    public Builder poolEager(boolean eager) {
      this.poolEager = eager;
      return this;
    }

    public Builder localIsolation(LocalIsolation isolation) {
      this.localIsolation = Objects.requireNonNull(isolation, LOCAL_ISOLATION);
      return this;
    }

    public Builder localJava(String javaExecutable) {
      this.localJava = Objects.requireNonNull(javaExecutable, LOCAL_JAVA);
      return this;
    }

    /** A folder for the workers' class-data archives, empty for the user's cache folder, or {@code off}. */
    public Builder localClassCache(String folderOrOff) {
      this.localClassCache = Objects.requireNonNull(folderOrOff, LOCAL_CLASS_CACHE).trim();
      return this;
    }

    /** {@code true} shows workers classpath folders that are not build output whole ({@code any}). */
    public Builder localAnyClasspathFolder(boolean any) {
      this.localAnyClasspathFolder = any;
      return this;
    }

    /** Sets a backend module's key, such as {@code airlock.docker.image}. */
    public Builder backendProperty(String key, String value) {
      String[] parts = key.split("\\.");
      boolean coreSection = key.startsWith("airlock.pool.") || key.startsWith("airlock.local.");
      if (parts.length < 3 || !parts[0].equals("airlock") || CORE_KEYS.contains(key) || coreSection) {
        throw new IllegalArgumentException("Invalid Airlock configuration: unknown key '" + key + "'; core keys are "
            + CORE_KEYS + " and backend keys look like airlock.<backend>.<name>");
      }
      if (key.startsWith(AirlockPolicy.KEY_PREFIX) && (parts.length < 4
          || !AirlockPolicy.KEYS.contains(parts[parts.length - 1]))) {
        throw new IllegalArgumentException("Invalid Airlock configuration: unknown policy key '" + key
            + "'; policy keys are airlock.policy.<name>.<key> with a key among " + AirlockPolicy.KEYS);
      }
      backendProperties.put(key, value);
      return this;
    }

    /** Sets any key from its text form, as read from properties or the environment. */
    public Builder set(String key, String value) {
      String v = value.trim();
      switch (key) {
        case BACKEND: return backend(v);
        case TIMEOUT_SECONDS: return timeoutSeconds(parseInt(key, v));
        case SANDBOX_REQUIRED: return sandboxRequired(parseBoolean(key, v));
        case MEMORY_MB: return memoryMb(parseInt(key, v));
        case CPUS: return cpus(parseDouble(key, v));
        case PIDS_LIMIT: return pidsLimit(parseInt(key, v));
        case MAX_PAYLOAD_BYTES: return maxPayloadBytes(parseInt(key, v));
        case MAX_RESULT_BYTES: return maxResultBytes(parseInt(key, v));
        case ALLOWED_CLASSES: return allowedClasses(splitList(v));
        case MAX_OVERDUE_HOST_CALLS: return maxOverdueHostCalls(parseInt(key, v));
        case POOL_MIN_SIZE: return poolMinSize(parseInt(key, v));
        case POOL_MAX_SIZE: return poolMaxSize(parseInt(key, v));
        case POOL_IDLE_TIMEOUT_SECONDS: return poolIdleTimeout(Duration.ofSeconds(parseInt(key, v)));
        case POOL_REUSE: return poolReuse(parseBoolean(key, v));
        case POOL_EAGER: return poolEager(parseBoolean(key, v));
        case LOCAL_ISOLATION: return localIsolation(parseIsolation(v));
        case LOCAL_JAVA: return localJava(v);
        case LOCAL_CLASS_CACHE: return localClassCache(v);
        case LOCAL_CLASSPATH_FOLDERS:
          if (!v.equals("any") && !v.equals("build-output")) {
            throw bad(key, v, "'build-output' (the default) or 'any'");
          }
          return localAnyClasspathFolder(v.equals("any"));
        case FILES_ROOTS: return filesRoots(splitList(v).stream().map(Path::of).toList());
        default: return backendProperty(key, v);
      }
    }

    public AirlockConfig build() {
      if (poolMinSize > poolMaxSize) {
        throw new IllegalArgumentException("Invalid Airlock configuration: " + POOL_MIN_SIZE + "=" + poolMinSize
            + " is larger than " + POOL_MAX_SIZE + "=" + poolMaxSize + "; lower the first or raise the second");
      }
      return new AirlockConfig(this);
    }

    private static List<String> splitList(String v) {
      List<String> out = new ArrayList<>();
      for (String part : v.split(",")) {
        if (!part.isBlank()) {
          out.add(part.trim());
        }
      }
      return out;
    }

    private static LocalIsolation parseIsolation(String v) {
      try {
        return LocalIsolation.valueOf(v.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw bad(LOCAL_ISOLATION, v, "one of auto, strict, none");
      }
    }

    private static int parseInt(String key, String v) {
      try {
        return Integer.parseInt(v.replace("_", ""));
      } catch (NumberFormatException e) {
        throw bad(key, v, "a whole number");
      }
    }

    private static double parseDouble(String key, String v) {
      try {
        return Double.parseDouble(v);
      } catch (NumberFormatException e) {
        throw bad(key, v, "a number");
      }
    }

    private static boolean parseBoolean(String key, String v) {
      if (v.equalsIgnoreCase("true")) {
        return true;
      }
      if (v.equalsIgnoreCase("false")) {
        return false;
      }
      throw bad(key, v, "true or false");
    }

    private static int positive(String key, int value) {
      if (value <= 0) {
        throw bad(key, value, "a positive number");
      }
      return value;
    }

    private static String requireText(String key, String value) {
      if (value == null || value.isBlank()) {
        throw bad(key, value, "a backend name such as local or docker");
      }
      return value.trim();
    }

    private static IllegalArgumentException bad(String key, Object value, String expected) {
      return new IllegalArgumentException("Invalid Airlock configuration: " + key + "='" + value + "' (environment "
          + environmentName(key) + "); expected " + expected);
    }
  }
}
