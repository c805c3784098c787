package dev.airlock.internal.doctor;

import dev.airlock.AirlockConfig;
import dev.airlock.AirlockConfig.LocalIsolation;
import dev.airlock.IsolationPosture;
import dev.airlock.IsolationPosture.Control;
import dev.airlock.SandboxCall;
import dev.airlock.SandboxPool;
import dev.airlock.internal.doctor.DoctorReport.BackendCheck;
import dev.airlock.internal.doctor.DoctorReport.EndToEnd;
import dev.airlock.internal.doctor.DoctorReport.Verdict;
import dev.airlock.spi.SandboxBackend;
import dev.airlock.spi.SandboxBackendProvider;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.function.Function;

/**
 * {@code airlock doctor}: what this machine can enforce with each backend, what is missing and how to fix it, the
 * configuration with the source of every value, and one sandboxed call end to end. Exit code 0 when the configured
 * isolation and sandbox-required can be met, 1 when they cannot, 2 for a usage or configuration error; so it can gate
 * a deployment. Started by {@code java -jar airlock-agent.jar doctor}, or with airlock-core on the classpath as
 * {@code java -cp <classpath> dev.airlock.internal.doctor.Doctor}.
 */
public final class Doctor {
  public static final int OK = 0;
  public static final int NOT_MET = 1;
  public static final int USAGE = 2;

  static final String USAGE_TEXT = String.join(System.lineSeparator(),
      "usage: java -jar airlock-agent.jar doctor [--json] [--backend NAME] [--agent-options K=V,...] [--cp CLASSPATH]",
      "       [--spring application.properties]",
      "  --json            print the report as JSON (for scripts); the exit code is the same",
      "  --backend NAME    check only this backend and make it the configured one (local, docker, e2b, morph)",
      "  --agent-options   the options of -javaagent:airlock-agent.jar=..., such as backend=docker,timeout-seconds=30",
      "  --cp CLASSPATH    the application's classpath, so backend modules on it (airlock-docker, ...) are found",
      "  --spring FILE     a Spring Boot application.properties: its airlock.* values, below -D and AIRLOCK_*",
      "(--agent-options and --cp are the agent jar's; started from airlock-core, the doctor uses its own classpath.)",
      "Configuration comes from -Dairlock.* system properties and AIRLOCK_* environment variables, as in the",
      "application. Exit code: 0 when the configured isolation and sandbox-required can be met here, 1 when not,",
      "2 for a usage or configuration error.");

  private final Function<String, String> properties;
  private final Function<String, String> environment;

  Doctor(Function<String, String> properties, Function<String, String> environment) {
    this.properties = properties;
    this.environment = environment;
  }

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  /** Runs the doctor with this JVM's system properties and environment; returns the exit code. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    return run(args, Map.of(), out, err);
  }

  /**
   * As {@link #run(String[], PrintStream, PrintStream)}, with the agent's options ({@code -javaagent:...=K=V,...}
   * keys, already parsed by the agent) on top of the system properties and environment, as the agent applies them.
   */
  public static int run(String[] args, Map<String, String> agentOptions, PrintStream out, PrintStream err) {
    return new Doctor(System.getProperties()::getProperty, System::getenv).execute(args, agentOptions, out, err);
  }

  int execute(String[] args, Map<String, String> agentOptions, PrintStream out, PrintStream err) {
    Arguments arguments;
    ResolvedConfig resolved;
    try {
      arguments = Arguments.parse(args);
      if (arguments.help) {
        out.println(USAGE_TEXT);
        return OK;
      }
      resolved = ResolvedConfig.resolve(agentOptions, arguments.commandLine, properties, environment,
          arguments.spring);
    } catch (IllegalArgumentException e) {
      err.println("airlock doctor: " + e.getMessage());
      err.println(USAGE_TEXT);
      return USAGE;
    } catch (ServiceConfigurationError e) {
      err.println("airlock doctor: a backend module on the classpath cannot be loaded (" + e.getMessage()
          + "); put its dependencies on the classpath too (--cp)");
      return USAGE;
    }
    DoctorReport report = examine(resolved, arguments.backend != null);
    if (arguments.json) {
      out.println(ReportJson.write(report));
    } else {
      out.print(ReportText.write(report));
    }
    return report.verdict().ok() ? OK : NOT_MET;
  }

  /** Checks every backend (only the configured one when {@code onlyConfigured}) and runs the call end to end. */
  static DoctorReport examine(ResolvedConfig resolved, boolean onlyConfigured) {
    AirlockConfig config = resolved.config();
    String configured = config.backend();
    List<BackendCheck> checks = new ArrayList<>();
    EndToEnd endToEnd = null;
    BackendCheck configuredCheck = null;
    Map<String, SandboxBackendProvider> providers = providers();
    if (!onlyConfigured) {
      for (SandboxBackendProvider provider : providers.values()) {
        if (!provider.name().equals(configured)) {
          checks.add(check(provider, config));
        }
      }
    }
    try (SandboxPool pool = probePool(config)) {
      IsolationPosture posture = null;
      String problem;
      try {
        posture = pool.posture();
        problem = null;
      } catch (RuntimeException | LinkageError e) {
        problem = message(e);
      }
      configuredCheck = new BackendCheck(configured, true, posture, problem,
          posture != null ? Fixes.forPosture(posture) : Fixes.forUnavailable(configured, problem));
      endToEnd = posture != null ? callThrough(pool, config)
          : new EndToEnd(configured, false, null, 0, "the backend could not be started");
    }
    checks.add(0, configuredCheck);
    return new DoctorReport(resolved.settings(), checks, endToEnd, judge(config, configuredCheck, endToEnd));
  }

  private static Map<String, SandboxBackendProvider> providers() {
    Map<String, SandboxBackendProvider> providers = new LinkedHashMap<>();
    for (SandboxBackendProvider provider : ServiceLoader.load(SandboxBackendProvider.class,
        Doctor.class.getClassLoader())) {
      providers.putIfAbsent(provider.name(), provider);
    }
    return providers;
  }

  private static BackendCheck check(SandboxBackendProvider provider, AirlockConfig config) {
    try (SandboxBackend backend = provider.create(config)) {
      IsolationPosture posture = backend.posture();
      return new BackendCheck(provider.name(), false, posture, null, Fixes.forPosture(posture));
    } catch (RuntimeException | LinkageError e) {
      // LinkageError: the backend's module is on the classpath without all of its dependencies.
      String problem = message(e);
      return new BackendCheck(provider.name(), false, null, problem, Fixes.forUnavailable(provider.name(), problem));
    }
  }

  /**
   * One worker, never reused, and the sandbox required: the doctor's call never runs on the host, so a call that
   * returns ran in a sandbox.
   */
  private static SandboxPool probePool(AirlockConfig config) {
    AirlockConfig probe = config.toBuilder().sandboxRequired(true).poolMinSize(0).poolMaxSize(1).poolReuse(false)
        .build();
    return SandboxPool.builder(probe).build();
  }

  private static EndToEnd callThrough(SandboxPool pool, AirlockConfig config) {
    long start = System.nanoTime();
    try {
      String inside = pool.call(new WhereAmI(), config.timeout());
      return new EndToEnd(config.backend(), true, inside, (System.nanoTime() - start) / 1_000_000, null);
    } catch (RuntimeException | LinkageError e) {
      return new EndToEnd(config.backend(), false, null, (System.nanoTime() - start) / 1_000_000, message(e));
    }
  }

  /** The doctor's sandboxed call: what the worker sees of itself (reported by it, so shown, never relied on). */
  public static final class WhereAmI implements SandboxCall<String> {
    private static final long serialVersionUID = 1L;

    @Override
    public String call() {
      return "pid " + ProcessHandle.current().pid() + ", user " + System.getProperty("user.name") + uid() + ", java "
          + System.getProperty("java.version");
    }

    /** The uid, since a worker's own uid (Docker gives each worker one) has no name: the JDK calls it "?". */
    private static String uid() {
      try {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
          if (line.startsWith("Uid:")) {
            return " (uid " + line.substring(4).trim().split("\\s+")[0] + ")";
          }
        }
      } catch (IOException | RuntimeException e) {
        // No /proc: the name alone.
      }
      return "";
    }
  }

  static Verdict judge(AirlockConfig config, BackendCheck backend, EndToEnd endToEnd) {
    List<String> failures = new ArrayList<>();
    List<String> warnings = new ArrayList<>();
    boolean local = backend.name().equals("local");
    LocalIsolation isolation = config.localIsolation();
    boolean sandboxed = backend.available() && endToEnd.ran();
    if (!backend.available() && String.valueOf(backend.problem()).contains("Invalid Airlock configuration")) {
      // A misspelt backend fails every call, required or not: no call runs on the host for it.
      failures.add(backend.problem());
    } else if (!sandboxed) {
      String why = backend.available() ? endToEnd.problem() : backend.problem();
      if (config.sandboxRequired()) {
        failures.add(AirlockConfig.SANDBOX_REQUIRED + "=true, but no sandbox call succeeded: " + why);
      } else if (local && isolation == LocalIsolation.STRICT) {
        failures.add(AirlockConfig.LOCAL_ISOLATION + "=strict, but no sandbox call succeeded: " + why);
      } else {
        warnings.add("no sandbox call succeeded, so @Airlock calls would run on the HOST ("
            + AirlockConfig.SANDBOX_REQUIRED + "=false): " + why);
      }
    }
    if (backend.available()) {
      for (Control control : backend.posture().controls()) {
        if (control.enforced()) {
          continue;
        }
        String gap = control.name() + " is not enforced (" + control.how() + ")";
        if (local && isolation == LocalIsolation.STRICT) {
          failures.add(AirlockConfig.LOCAL_ISOLATION + "=strict, but " + gap);
        } else {
          warnings.add(gap);
        }
      }
    }
    String setting = "backend=" + backend.name() + (local ? ", isolation=" + isolation.name().toLowerCase() : "")
        + ", sandbox-required=" + config.sandboxRequired();
    String line;
    if (!failures.isEmpty()) {
      line = "FAIL (" + setting + "): " + failures.get(0)
          + (failures.size() > 1 ? " (and " + (failures.size() - 1) + " more above)" : "");
    } else if (sandboxed) {
      line = "OK (" + setting + "): a sandboxed call ran end to end in " + endToEnd.millis() + " ms"
          + (warnings.isEmpty() ? ", every control enforced" : ", with " + warnings.size() + " warning(s) above");
    } else {
      line = "OK, BUT NO SANDBOX (" + setting + "): calls fall back to the host; set "
          + AirlockConfig.SANDBOX_REQUIRED + "=true to refuse them instead";
    }
    return new Verdict(failures.isEmpty(), failures, warnings, line);
  }

  private static String message(Throwable e) {
    String message = e.getMessage() == null ? e.toString() : e.getMessage();
    return e.getCause() != null && e.getCause().getMessage() != null && !message.contains(e.getCause().getMessage())
        ? message + " (" + e.getCause().getMessage() + ")" : message;
  }

  /** The command line, checked. */
  static final class Arguments {
    boolean json;
    boolean help;
    String backend;
    ResolvedConfig.SpringFile spring = ResolvedConfig.SpringFile.NONE;
    final Map<String, String> commandLine = new LinkedHashMap<>();

    static Arguments parse(String[] args) {
      Arguments a = new Arguments();
      for (int i = 0; i < args.length; i++) {
        switch (args[i]) {
          case "--json" -> {
            if (!ReportJson.available()) {
              throw new IllegalArgumentException("--json needs com.fasterxml.jackson.core:jackson-databind on the "
                  + "classpath; the agent jar carries it (java -jar airlock-agent.jar doctor --json)");
            }
            a.json = true;
          }
          case "--help", "-h" -> a.help = true;
          case "--backend" -> {
            a.backend = value(args, ++i, "--backend");
            a.commandLine.put(AirlockConfig.BACKEND, a.backend);
          }
          case "--spring" -> a.spring = ResolvedConfig.SpringFile.read(Path.of(value(args, ++i, "--spring")));
          default -> throw new IllegalArgumentException("unknown argument '" + args[i] + "'");
        }
      }
      return a;
    }

    private static String value(String[] args, int i, String option) {
      if (i >= args.length || args[i].startsWith("--")) {
        throw new IllegalArgumentException(option + " needs a value");
      }
      return args[i];
    }
  }
}
