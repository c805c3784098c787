package dev.airlock.agent;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the prologue put in front of every tool method ({@link InterceptPrologue}) calls. It reaches airlock-core
 * through the instrumented class's own loader (the agent jar holds no copy of it), so the application's
 * airlock-core, its SLF4J and its configuration are the ones used, also inside a Spring Boot executable jar. Public
 * because instrumented classes in other loaders call it.
 */
public final class AgentDispatch {
  /** The method whose next entry on this thread must run its own body: the interceptor proceeding locally. */
  private static final ThreadLocal<Method> PROCEED = new ThreadLocal<>();
  private static final Map<ClassLoader, Core> CORES = new ConcurrentHashMap<>();
  /**
   * Each instrumented class's tool methods by {@code name + descriptor}, looked up on their first call or by
   * {@link ToolPreparation} before it (whose test reads this).
   */
  static final ClassValue<Map<String, Method>> METHODS = new ClassValue<>() {
    @Override
    protected Map<String, Method> computeValue(Class<?> type) {
      return new ConcurrentHashMap<>();
    }
  };
  private static volatile Map<String, String> options = Map.of();

  private AgentDispatch() {
  }

  /** A call the interceptor handled: its value, or what it threw. */
  public record Outcome(Object value, Throwable failure) {
  }

  /**
   * The agent's options, as the system properties they name ({@code airlock.timeout-seconds}...), set before the
   * application's {@code main} so that the configuration it first reads already holds them. They used to be applied
   * when airlock-core was first reached, replacing the configuration then: an application that had used
   * {@code AirlockRuntime.pool()} by that time saw its pool closed under it.
   */
  static void premainOptions(Map<String, String> parsed) {
    // A loop, not a method reference: in a premain that would bootstrap the JDK's lambda machinery.
    for (Map.Entry<String, String> option : parsed.entrySet()) {
      System.setProperty(option.getKey(), option.getValue());
    }
  }

  /**
   * Attached to a running JVM: the options are also set as system properties, and applied with
   * {@code AirlockRuntime.configure} when airlock-core is first reached, since its configuration may have been read.
   */
  static void attachOptions(Map<String, String> parsed) {
    premainOptions(parsed);
    options = parsed;
  }

  /**
   * Null to run the original body; otherwise the outcome to return ({@link #result}).
   *
   * @param type the class declaring the method
   * @param method its name and descriptor, {@code run(Ljava/lang/String;)I}
   */
  public static Object enter(Object self, Class<?> type, String method, Object[] args) {
    return enter(self, declared(type, method), args);
  }

  /**
   * The call on the bean behind a Spring AOP proxy. A proxy runs a method it cannot override (a {@code final} one)
   * on itself, so the prologue met the proxy as the receiver: a sandboxed call tried to ship it, its advice chain
   * with it, and was refused; a host call ran on the proxy's empty fields. As Spring's proxy does around a call,
   * the target source hands out the bean (for this call, when it is not static: a scoped or prototype bean's) and
   * takes it back after; the bean may be a proxy in turn (a scoped proxy in front of a proxied bean), whose own
   * bean is then the receiver. Each of those ran on a proxy's empty fields.
   */
  private static Object enterBehind(Object proxy, Class<?> advised, Method method, Object[] args) {
    Object source;
    Method release;
    Object target;
    try {
      Method targetSource = advised.getMethod("getTargetSource");
      Class<?> sourceType = targetSource.getReturnType();
      source = targetSource.invoke(proxy);
      release = Boolean.TRUE.equals(sourceType.getMethod("isStatic").invoke(source)) ? null
          : sourceType.getMethod("releaseTarget", Object.class);
      target = sourceType.getMethod("getTarget").invoke(source);
    } catch (InvocationTargetException e) {
      // The target source failed (no scope active, say): the call fails with it, as it would through the proxy.
      return new Outcome(null, e.getCause());
    } catch (ReflectiveOperationException | RuntimeException e) {
      return intercept(proxy, method, args);
    }
    if (target == null) {
      return intercept(proxy, method, args);
    }
    Object outcome = enter(target, method, args);
    if (release != null) {
      try {
        release.invoke(source, target);
      } catch (InvocationTargetException e) {
        return ((Outcome) outcome).failure() != null ? outcome : new Outcome(null, e.getCause());
      } catch (ReflectiveOperationException | RuntimeException e) {
        return ((Outcome) outcome).failure() != null ? outcome : new Outcome(null, e);
      }
    }
    return outcome;
  }

  /** Spring's {@code Advised} when a class is a Spring AOP proxy (implements it and {@code SpringProxy}), else null. */
  private static final ClassValue<Class<?>> SPRING_ADVISED = new ClassValue<>() {
    @Override
    protected Class<?> computeValue(Class<?> type) {
      Class<?> advised = null;
      boolean proxy = false;
      for (Class<?> c = type; c != null; c = c.getSuperclass()) {
        for (Class<?> i : c.getInterfaces()) {
          advised = i.getName().equals("org.springframework.aop.framework.Advised") ? i : advised;
          proxy |= i.getName().equals("org.springframework.aop.SpringProxy");
        }
      }
      return proxy ? advised : null;
    }
  };

  /** The value of an outcome {@link #enter} returned, or what the call threw, thrown as if the body had. */
  public static Object result(Object outcome) throws Throwable {
    Outcome handled = (Outcome) outcome;
    if (handled.failure() != null) {
      throw handled.failure();
    }
    return handled.value();
  }

  /**
   * Looks up {@code methods} ({@code name + descriptor}) of {@code type} as their first call does, and reads their
   * annotations and the class's, which the JDK parses once and keeps for the interceptor's look-up
   * ({@link ToolPreparation}).
   */
  static void prepare(Class<?> type, Set<String> methods) {
    type.getDeclaredAnnotations();
    for (String method : methods) {
      declared(type, method).getDeclaredAnnotations();
    }
  }

  private static Method declared(Class<?> type, String method) {
    Map<String, Method> known = METHODS.get(type);
    Method found = known.get(method);
    if (found == null) {
      for (Method declared : type.getDeclaredMethods()) {
        if (method.equals(nameAndDescriptor(declared))) {
          found = declared;
          break;
        }
      }
      if (found == null) {
        // Not reached by an instrumented class: its prologue names a method it declares.
        throw new IllegalStateException(type.getName() + " declares no " + method);
      }
      known.put(method, found);
    }
    return found;
  }

  private static String nameAndDescriptor(Method method) {
    StringBuilder out = new StringBuilder(method.getName()).append('(');
    for (Class<?> parameter : method.getParameterTypes()) {
      out.append(parameter.descriptorString());
    }
    return out.append(')').append(method.getReturnType().descriptorString()).toString();
  }

  private static Object enter(Object self, Method method, Object[] args) {
    if (method.equals(PROCEED.get())) {
      // Proceeding enters the body on the receiver it gave the interceptor (the bean, not its proxy): run it there.
      PROCEED.remove();
      return null;
    }
    Class<?> advised = self == null ? null : SPRING_ADVISED.get(self.getClass());
    return advised == null ? intercept(self, method, args) : enterBehind(self, advised, method, args);
  }

  private static Object intercept(Object self, Method method, Object[] args) {
    try {
      return new Outcome(core(method.getDeclaringClass().getClassLoader()).intercept(self, method, args), null);
    } catch (Throwable t) {
      return new Outcome(null, t);
    }
  }

  /**
   * Eager start ({@code airlock.pool.eager}, on unless set false): on this thread, loads airlock-core as the system
   * class loader sees it, with the agent's options, and calls {@code AirlockRuntime.warmUp()}. Quietly nothing when
   * airlock-core is not on the system class path (a Spring Boot jar: its starter warms up instead).
   */
  static void eagerStart() {
    ClassLoader loader = ClassLoader.getSystemClassLoader();
    try {
      Class.forName("dev.airlock.AirlockRuntime", false, loader);
    } catch (ClassNotFoundException e) {
      return;
    }
    try {
      Class<?> runtime = Class.forName("dev.airlock.AirlockRuntime", true, loader);
      Core.applyOptions(loader);
      Object config = runtime.getMethod("config").invoke(null);
      // The backend first: its probe and first worker are the longest part of a first call, and they run on threads
      // of their own while this one loads the interceptor, guard and audit (100-200 ms at start, on 2 cores).
      if (Boolean.TRUE.equals(config.getClass().getMethod("poolEager").invoke(config))) {
        runtime.getMethod("warmUp").invoke(null);
      }
      rehearse();
    } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
      AgentLog.warn("Airlock agent: eager start failed; the first call starts the pool", e);
    }
  }

  private static Core core(ClassLoader loader) {
    ClassLoader key = loader == null ? ClassLoader.getSystemClassLoader() : loader;
    return CORES.computeIfAbsent(key, Core::load);
  }

  /** airlock-core as one class loader sees it. */
  private static final class Core {
    private final MethodHandle intercept;
    private final Object interceptor;
    private final Class<?> localCall;

    private Core(Object interceptor, MethodHandle intercept, Class<?> localCall) {
      this.interceptor = interceptor;
      this.intercept = intercept;
      this.localCall = localCall;
    }

    static Core load(ClassLoader loader) {
      try {
        Class<?> interceptorType = Class.forName("dev.airlock.internal.intercept.AirlockInterceptor", true, loader);
        Class<?> localCall = Class.forName("dev.airlock.internal.intercept.LocalCall", true, loader);
        applyOptions(loader);
        MethodHandles.Lookup lookup = MethodHandles.publicLookup();
        Object interceptor = lookup.findStatic(interceptorType, "shared", MethodType.methodType(interceptorType))
            .invoke();
        // interceptBody: the prologue stands in front of the method's own code, which is what proceeding runs.
        MethodHandle intercept = lookup.findVirtual(interceptorType, "interceptBody", MethodType.methodType(
            Object.class, Object.class, Method.class, Object[].class, localCall));
        return new Core(interceptor, intercept, localCall);
      } catch (Throwable e) {
        throw new IllegalStateException("Airlock agent: airlock-core is not visible from " + loader
            + "; add the dev.airlock:airlock-core dependency to the application", e);
      }
    }

    static void applyOptions(ClassLoader loader) throws ReflectiveOperationException {
      if (options.isEmpty()) {
        return;
      }
      Class<?> config = Class.forName("dev.airlock.AirlockConfig", true, loader);
      Class<?> builderType = Class.forName("dev.airlock.AirlockConfig$Builder", true, loader);
      Class<?> runtime = Class.forName("dev.airlock.AirlockRuntime", true, loader);
      Object builder = config.getMethod("toBuilder").invoke(config.getMethod("fromEnvironment").invoke(null));
      Method set = builderType.getMethod("set", String.class, String.class);
      for (Map.Entry<String, String> option : options.entrySet()) {
        set.invoke(builder, option.getKey(), option.getValue());
      }
      runtime.getMethod("configure", config).invoke(null, builderType.getMethod("build").invoke(builder));
    }

    Object intercept(Object self, Method method, Object[] args) throws Throwable {
      Object proceed = Proxy.newProxyInstance(localCall.getClassLoader(), new Class<?>[] {localCall},
          new Proceeding(self, method, args));
      return intercept.invoke(interceptor, self, method, args, proceed);
    }

  }

  /**
   * One call through the dispatch that the interceptor refuses before anything runs (no {@code @Airlock} governs
   * {@link #notATool}), so the dispatch's one-time work is done at eager start and not by the first tool call: the
   * proxy class of {@code LocalCall} generated, the handle's invocation linked, the outcome's class loaded (about 0.2
   * ms of the first call, read off {@code -Xlog:class+load}). The first call made 1 s after start, 10 fresh JVMs each
   * taken turn about at load 1.5: median 14.6 -> 10.6 ms.
   */
  private static void rehearse() throws ReflectiveOperationException {
    Outcome outcome = (Outcome) intercept(null, AgentDispatch.class.getDeclaredMethod("notATool"), new Object[0]);
    // The refusal of a method no @Airlock governs is what is intended; any other failure is worth a warning.
    if (outcome.failure() != null && !(outcome.failure() instanceof IllegalStateException)) {
      AgentLog.warn("Airlock agent: rehearsing the dispatch failed; the first call links it", outcome.failure());
    }
  }

  /** Never a tool: {@link #rehearse()} calls it through the interceptor, which refuses it (or, sandboxed, runs it). */
  private static void notATool() {
  }

  /** The body of one intercepted call, as the interceptor's {@code LocalCall}. A class, not a lambda linked per call. */
  private static final class Proceeding implements InvocationHandler {
    private final Object self;
    private final Method method;
    private final Object[] args;

    Proceeding(Object self, Method method, Object[] args) {
      this.self = self;
      this.method = method;
      this.args = args;
    }

    @Override
    public Object invoke(Object proxy, Method called, Object[] none) throws Throwable {
      if (called.getDeclaringClass() == Object.class) {
        return called.invoke(this, none);
      }
      return proceed(self, method, args);
    }
  }

  /** Runs the method's own body: re-enters it with the one-shot flag set, on whichever thread proceeds. */
  private static Object proceed(Object self, Method method, Object[] args) throws Throwable {
    PROCEED.set(method);
    try {
      if (self != null && self.getClass() != method.getDeclaringClass() && !Modifier.isPrivate(method.getModifiers())) {
        return SPECIAL.get(method.getDeclaringClass()).computeIfAbsent(method, AgentDispatch::special).bindTo(self)
            .invokeWithArguments(args);
      }
      method.setAccessible(true);
      return method.invoke(self, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    } finally {
      PROCEED.remove();
    }
  }

  /**
   * Each class's methods as {@code invokespecial} calls them. The receiver of a call whose prologue ran may override
   * the method (the override called it with {@code super}), and {@code Method.invoke} dispatches virtually, to the
   * override: which called {@code super} again, until StackOverflowError.
   */
  private static final ClassValue<Map<Method, MethodHandle>> SPECIAL = new ClassValue<>() {
    @Override
    protected Map<Method, MethodHandle> computeValue(Class<?> type) {
      return new ConcurrentHashMap<>();
    }
  };

  private static MethodHandle special(Method method) {
    Class<?> declaring = method.getDeclaringClass();
    try {
      return MethodHandles.privateLookupIn(declaring, MethodHandles.lookup()).unreflectSpecial(method, declaring);
    } catch (IllegalAccessException e) {
      throw new IllegalStateException("Airlock agent cannot run " + declaring.getName() + "." + method.getName()
          + " itself, which an override calls with super: its package is not open to the agent", e);
    }
  }
}
