package dev.airlock.spring;

import dev.airlock.AirlockConfig;
import dev.airlock.AirlockPolicy;
import dev.airlock.internal.backend.EgressSettings;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The {@code airlock.*} keys of {@link AirlockConfig} as Spring properties. Unset values keep the core defaults;
 * {@link #toConfig()} hands every set value to {@link AirlockConfig.Builder#set} so parsing and validation, and their
 * error messages naming the key, live in one place. Unknown {@code airlock.*} properties (a misspelt key, a
 * policy key that does not exist) stop startup rather than being dropped silently.
 */
@ConfigurationProperties(prefix = "airlock", ignoreUnknownFields = false)
public class AirlockProperties {

  /** Whether the auto-configuration is active. */
  private boolean enabled = true;
  /** Sandbox backend used when @Airlock names none (local, docker, e2b). */
  private String backend;
  /** Wall-clock limit of one call, in seconds. */
  private Integer timeoutSeconds;
  /** Refuse to run on the host when no sandbox can be had. */
  private Boolean sandboxRequired;
  /** Worker heap, in MiB. */
  private Integer memoryMb;
  /** CPU share of one worker. */
  private Double cpus;
  /** Process/thread limit of one worker. */
  private Integer pidsLimit;
  /** Largest invocation sent to a worker, in bytes. */
  private Integer maxPayloadBytes;
  /** Largest result accepted from a worker, in bytes. */
  private Integer maxResultBytes;
  /** Extra classes allowed in payloads and results. */
  private List<String> allowedClasses;
  /** Host calls still running past their timeout at which new host calls are refused. */
  private Integer maxOverdueHostCalls;
  private final Pool pool = new Pool();
  private final Local local = new Local();
  private final Files files = new Files();
  private final Approval approval = new Approval();
  /** Docker backend keys, such as image or runtime. */
  private Map<String, String> docker = new LinkedHashMap<>();
  /** E2B backend keys. */
  private Map<String, String> e2b = new LinkedHashMap<>();
  /** Morph backend keys. */
  private Map<String, String> morph = new LinkedHashMap<>();
  /**
   * Egress keys under {@code airlock.egress.}: {@code allow}, {@code enabled}, {@code max-bytes-per-call},
   * {@code max-connection-seconds}, {@code secrets.<name>.host|header|value} (docs/egress.md).
   */
  private Map<String, String> egress = new LinkedHashMap<>();
  /**
   * Guard policies by name: {@code global} guards every tool that names none, others are chosen with
   * {@code @Airlock(policy = "<name>")}.
   */
  private Map<String, Policy> policy = new LinkedHashMap<>();
  /** airlock-mcp's keys ({@code airlock.mcp.server.*}, ...), bound by its own auto-configuration; held here as is. */
  private Map<String, Object> mcp = new LinkedHashMap<>();

  /** Converts to the core configuration; fails naming the property when a value is invalid. */
  public AirlockConfig toConfig() {
    AirlockConfig.Builder builder = AirlockConfig.builder();
    set(builder, AirlockConfig.BACKEND, backend);
    set(builder, AirlockConfig.TIMEOUT_SECONDS, timeoutSeconds);
    set(builder, AirlockConfig.SANDBOX_REQUIRED, sandboxRequired);
    set(builder, AirlockConfig.MEMORY_MB, memoryMb);
    set(builder, AirlockConfig.CPUS, cpus);
    set(builder, AirlockConfig.PIDS_LIMIT, pidsLimit);
    set(builder, AirlockConfig.MAX_PAYLOAD_BYTES, maxPayloadBytes);
    set(builder, AirlockConfig.MAX_RESULT_BYTES, maxResultBytes);
    set(builder, AirlockConfig.ALLOWED_CLASSES, allowedClasses == null ? null : String.join(",", allowedClasses));
    set(builder, AirlockConfig.MAX_OVERDUE_HOST_CALLS, maxOverdueHostCalls);
    set(builder, AirlockConfig.POOL_MIN_SIZE, pool.minSize);
    set(builder, AirlockConfig.POOL_MAX_SIZE, pool.maxSize);
    set(builder, AirlockConfig.POOL_IDLE_TIMEOUT_SECONDS, pool.idleTimeoutSeconds);
    set(builder, AirlockConfig.POOL_REUSE, pool.reuse);
    set(builder, AirlockConfig.POOL_EAGER, pool.eager);
    set(builder, AirlockConfig.LOCAL_ISOLATION, local.isolation);
    set(builder, AirlockConfig.LOCAL_JAVA, local.java);
    set(builder, AirlockConfig.LOCAL_CLASS_CACHE, local.classCache);
    set(builder, AirlockConfig.LOCAL_CLASSPATH_FOLDERS, local.classpathFolders);
    set(builder, AirlockConfig.FILES_ROOTS, files.roots == null ? null : String.join(",", files.roots));
    backendSection(builder, "docker", docker);
    backendSection(builder, "e2b", e2b);
    backendSection(builder, "morph", morph);
    backendSection(builder, "egress", egress);
    policy.forEach((name, p) -> p.set(builder, AirlockPolicy.keyPrefix(name)));
    AirlockConfig config = builder.build();
    config.policyNames().forEach(name -> AirlockPolicy.fromProperties(name, config.backendProperties()));
    EgressSettings.of(config);
    return config;
  }

  private static void set(AirlockConfig.Builder builder, String key, Object value) {
    if (value != null) {
      builder.set(key, value.toString());
    }
  }

  private static void backendSection(AirlockConfig.Builder builder, String backend, Map<String, String> keys) {
    keys.forEach((key, value) -> builder.backendProperty("airlock." + backend + "." + key, value));
  }

  /** Human approval of calls that need it (Spring only; outside Spring, build {@code AirlockApprovals}). */
  public static class Approval {
    /** Blocking mode (an ApprovalHandler bean exists): seconds the caller waits for its decision. */
    private Integer timeoutSeconds;
    /** Suspended mode: calls kept awaiting approval at most; more are denied. */
    private Integer maxPending;
    /** Suspended mode: bytes the pending calls may hold together (their frozen arguments); more are denied. */
    private Long maxPendingBytes;
    /** Suspended mode: seconds a call waits before it is dropped without running. */
    private Integer expireAfterSeconds;
    /** Suspended mode: calls one agent session may keep awaiting approval; more are denied. */
    private Integer maxPendingPerSession;

    public Integer getTimeoutSeconds() { return timeoutSeconds; }
    public void setTimeoutSeconds(Integer timeoutSeconds) { this.timeoutSeconds = timeoutSeconds; }
    public Integer getMaxPending() { return maxPending; }
    public void setMaxPending(Integer maxPending) { this.maxPending = maxPending; }
    public Long getMaxPendingBytes() { return maxPendingBytes; }
    public void setMaxPendingBytes(Long maxPendingBytes) { this.maxPendingBytes = maxPendingBytes; }
    public Integer getExpireAfterSeconds() { return expireAfterSeconds; }
    public void setExpireAfterSeconds(Integer expireAfterSeconds) { this.expireAfterSeconds = expireAfterSeconds; }
    public Integer getMaxPendingPerSession() { return maxPendingPerSession; }
    public void setMaxPendingPerSession(Integer maxPerSession) { this.maxPendingPerSession = maxPerSession; }
  }

  /** Worker pool sizing. */
  public static class Pool {
    /** Workers kept warm. */
    private Integer minSize;
    /** Most workers at once. */
    private Integer maxSize;
    /** Idle workers above min-size stop after this many seconds. */
    private Integer idleTimeoutSeconds;
    /** Reuse a worker for several calls. */
    private Boolean reuse;
    /** Start the default pool's backend and workers when the context starts (default true). */
    private Boolean eager;

    public Integer getMinSize() { return minSize; }
    public void setMinSize(Integer minSize) { this.minSize = minSize; }
    public Integer getMaxSize() { return maxSize; }
    public void setMaxSize(Integer maxSize) { this.maxSize = maxSize; }
    public Integer getIdleTimeoutSeconds() { return idleTimeoutSeconds; }
    public void setIdleTimeoutSeconds(Integer idleTimeoutSeconds) { this.idleTimeoutSeconds = idleTimeoutSeconds; }
    public Boolean getReuse() { return reuse; }
    public void setReuse(Boolean reuse) { this.reuse = reuse; }
    public Boolean getEager() { return eager; }
    public void setEager(Boolean eager) { this.eager = eager; }
  }

  /** One guard policy: the keys {@code airlock.policy.<name>.*} of {@link AirlockPolicy#fromProperties}. */
  public static class Policy {
    /** Tool-name globs allowed (matched as method and SimpleClass.method); see deny-by-default. */
    private List<String> allow;
    /** Tool-name globs refused; a deny match always wins. */
    private List<String> deny;
    /** Roles the caller's AirlockContext must all hold. */
    private List<String> roles;
    /** Tool-name globs whose every call a person must approve. */
    private List<String> requireApproval;
    /** Calls per period, such as 100/minute. */
    private String rateLimit;
    /** Hours calls are allowed, such as 09:00-17:00 (in zone). */
    private String timeWindow;
    /** Time zone of time-window, such as Europe/Berlin. */
    private String zone;
    /** Refuse tools that match no allow glob. */
    private Boolean denyByDefault;
    /** How secrets in results and exceptions are replaced. */
    private AirlockPolicy.Masking masking;
    /** Strings in results longer than this are truncated; 0 means no limit. */
    private Integer maxResultChars;
    /** HMAC key of masking=hash (at least 16 characters); unset: random per process. */
    private String hashKey;
    private List<String> egress;

    void set(AirlockConfig.Builder builder, String prefix) {
      AirlockProperties.set(builder, prefix + "allow", allow == null ? null : String.join(",", allow));
      AirlockProperties.set(builder, prefix + "deny", deny == null ? null : String.join(",", deny));
      AirlockProperties.set(builder, prefix + "roles", roles == null ? null : String.join(",", roles));
      AirlockProperties.set(builder, prefix + "require-approval",
          requireApproval == null ? null : String.join(",", requireApproval));
      AirlockProperties.set(builder, prefix + "rate-limit", rateLimit);
      AirlockProperties.set(builder, prefix + "time-window", timeWindow);
      AirlockProperties.set(builder, prefix + "zone", zone);
      AirlockProperties.set(builder, prefix + "deny-by-default", denyByDefault);
      AirlockProperties.set(builder, prefix + "masking", masking);
      AirlockProperties.set(builder, prefix + "max-result-chars", maxResultChars);
      AirlockProperties.set(builder, prefix + "hash-key", hashKey);
      AirlockProperties.set(builder, prefix + "egress", egress == null ? null : String.join(",", egress));
    }

    public List<String> getAllow() { return allow; }
    public void setAllow(List<String> allow) { this.allow = allow; }
    public List<String> getDeny() { return deny; }
    public void setDeny(List<String> deny) { this.deny = deny; }
    public List<String> getRoles() { return roles; }
    public void setRoles(List<String> roles) { this.roles = roles; }
    public List<String> getRequireApproval() { return requireApproval; }
    public void setRequireApproval(List<String> requireApproval) { this.requireApproval = requireApproval; }
    public String getRateLimit() { return rateLimit; }
    public void setRateLimit(String rateLimit) { this.rateLimit = rateLimit; }
    public String getTimeWindow() { return timeWindow; }
    public void setTimeWindow(String timeWindow) { this.timeWindow = timeWindow; }
    public String getZone() { return zone; }
    public void setZone(String zone) { this.zone = zone; }
    public Boolean getDenyByDefault() { return denyByDefault; }
    public void setDenyByDefault(Boolean denyByDefault) { this.denyByDefault = denyByDefault; }
    public AirlockPolicy.Masking getMasking() { return masking; }
    public void setMasking(AirlockPolicy.Masking masking) { this.masking = masking; }
    public Integer getMaxResultChars() { return maxResultChars; }
    public void setMaxResultChars(Integer maxResultChars) { this.maxResultChars = maxResultChars; }
    public String getHashKey() { return hashKey; }
    public void setHashKey(String hashKey) { this.hashKey = hashKey; }
    public List<String> getEgress() { return egress; }
    public void setEgress(List<String> egress) { this.egress = egress; }
  }

  /** Local backend settings. */
  public static class Local {
    /** auto, strict or none. */
    private String isolation;
    /** Java executable for workers. */
    private String java;
    /** Folder for the workers' class-data archives, or off. */
    private String classCache;
    /** Classpath folders workers may see: build-output (the default) or any. */
    private String classpathFolders;

    public String getIsolation() { return isolation; }
    public void setIsolation(String isolation) { this.isolation = isolation; }
    public String getJava() { return java; }
    public void setJava(String java) { this.java = java; }
    public String getClassCache() { return classCache; }
    public void setClassCache(String classCache) { this.classCache = classCache; }
    public String getClasspathFolders() { return classpathFolders; }
    public void setClasspathFolders(String classpathFolders) { this.classpathFolders = classpathFolders; }
  }

  /** What Path and File arguments may ship. */
  public static class Files {
    /** Folders whose files Path/File arguments may ship into a sandbox; none by default. */
    private List<String> roots;

    public List<String> getRoots() { return roots; }
    public void setRoots(List<String> roots) { this.roots = roots; }
  }

  public boolean isEnabled() { return enabled; }
  public void setEnabled(boolean enabled) { this.enabled = enabled; }
  public String getBackend() { return backend; }
  public void setBackend(String backend) { this.backend = backend; }
  public Integer getTimeoutSeconds() { return timeoutSeconds; }
  public void setTimeoutSeconds(Integer timeoutSeconds) { this.timeoutSeconds = timeoutSeconds; }
  public Boolean getSandboxRequired() { return sandboxRequired; }
  public void setSandboxRequired(Boolean sandboxRequired) { this.sandboxRequired = sandboxRequired; }
  public Integer getMemoryMb() { return memoryMb; }
  public void setMemoryMb(Integer memoryMb) { this.memoryMb = memoryMb; }
  public Double getCpus() { return cpus; }
  public void setCpus(Double cpus) { this.cpus = cpus; }
  public Integer getPidsLimit() { return pidsLimit; }
  public void setPidsLimit(Integer pidsLimit) { this.pidsLimit = pidsLimit; }
  public Integer getMaxPayloadBytes() { return maxPayloadBytes; }
  public void setMaxPayloadBytes(Integer maxPayloadBytes) { this.maxPayloadBytes = maxPayloadBytes; }
  public Integer getMaxResultBytes() { return maxResultBytes; }
  public void setMaxResultBytes(Integer maxResultBytes) { this.maxResultBytes = maxResultBytes; }
  public List<String> getAllowedClasses() { return allowedClasses; }
  public void setAllowedClasses(List<String> allowedClasses) { this.allowedClasses = allowedClasses; }
  public Integer getMaxOverdueHostCalls() { return maxOverdueHostCalls; }
  public void setMaxOverdueHostCalls(Integer maxOverdueHostCalls) { this.maxOverdueHostCalls = maxOverdueHostCalls; }
  public Pool getPool() { return pool; }
  public Local getLocal() { return local; }
  public Files getFiles() { return files; }
  public Approval getApproval() { return approval; }
  public Map<String, String> getDocker() { return docker; }
  public void setDocker(Map<String, String> docker) { this.docker = docker; }
  public Map<String, String> getE2b() { return e2b; }
  public void setE2b(Map<String, String> e2b) { this.e2b = e2b; }
  public Map<String, String> getMorph() { return morph; }
  public void setMorph(Map<String, String> morph) { this.morph = morph; }
  public Map<String, String> getEgress() { return egress; }
  public void setEgress(Map<String, String> egress) { this.egress = egress; }
  public Map<String, Policy> getPolicy() { return policy; }
  public void setPolicy(Map<String, Policy> policy) { this.policy = policy; }
  public Map<String, Object> getMcp() { return mcp; }
  public void setMcp(Map<String, Object> mcp) { this.mcp = mcp; }
}
