package com.example.inherited;

import dev.airlock.AirlockRuntime;
import dev.airlock.annotation.Airlock;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One tool for every way an {@code @Airlock} reaches a method without being written on it, shared by the agent's,
 * the AspectJ aspect's and the Spring advisor's tests. Every tool is stateless (nothing but the call crosses) and
 * answers where it ran: an adapter that misses the inherited annotation runs it on the host.
 */
public final class InheritedTools {

  private InheritedTools() {
  }

  static String where() {
    return AirlockRuntime.isSandboxed() ? "sandbox" : "host";
  }

  /** An interface method. */
  public interface Tool {
    @Airlock(sandbox = true, sandboxRequired = true)
    String viaInterface();
  }

  public static class InterfaceImpl implements Tool {
    @Override
    public String viaInterface() {
      return where();
    }
  }

  /** An abstract superclass method. */
  public abstract static class AbstractBase {
    @Airlock(sandbox = true, sandboxRequired = true)
    public abstract String viaAbstract();
  }

  public static class AbstractImpl extends AbstractBase {
    @Override
    public String viaAbstract() {
      return where();
    }
  }

  /** A concrete superclass method, overridden without the annotation. */
  public static class ConcreteBase {
    @Airlock(sandbox = true, sandboxRequired = true)
    public String viaOverride() {
      return "base " + where();
    }
  }

  public static class OverridingImpl extends ConcreteBase {
    @Override
    public String viaOverride() {
      return where();
    }
  }

  /** A generic interface method: the implementation is reached through a compiler-generated bridge. */
  public interface GenericTool<T> {
    @Airlock(sandbox = true, sandboxRequired = true)
    String viaGeneric(T input);
  }

  public static class GenericImpl implements GenericTool<String> {
    @Override
    public String viaGeneric(String input) {
      return input + " " + where();
    }
  }

  /** An annotated default method, inherited as it is. */
  public interface DefaultTool {
    @Airlock(sandbox = true, sandboxRequired = true)
    default String viaDefault() {
      return where();
    }
  }

  public static class DefaultImpl implements DefaultTool {
  }

  /** A default method of a sub-interface that implements an annotated abstract one. */
  public interface AbstractTool {
    @Airlock(sandbox = true, sandboxRequired = true)
    String viaDefaultImplementation();
  }

  public interface DefaultImplementation extends AbstractTool {
    @Override
    default String viaDefaultImplementation() {
      return where();
    }
  }

  public static class DefaultImplementationImpl implements DefaultImplementation {
  }

  /** A class-level annotation: every public instance method of the class and its subclasses. */
  @Airlock(sandbox = true, sandboxRequired = true)
  public static class ClassLevel {
    public String viaClass() {
      return where();
    }

    @Override
    public String toString() {
      return "ClassLevel runs on the " + where();
    }
  }

  public static class ClassLevelSub extends ClassLevel {
    public String viaSubclass() {
      return where();
    }
  }

  /** Calls every tool as plain Java and answers {@code shape → where it ran}. */
  @SuppressWarnings("unchecked")
  public static Map<String, String> callAll(Map<Class<?>, Object> instances) {
    Map<String, String> out = new LinkedHashMap<>();
    out.put("interface", ((Tool) instances.get(InterfaceImpl.class)).viaInterface());
    out.put("abstract", ((AbstractBase) instances.get(AbstractImpl.class)).viaAbstract());
    out.put("override", ((ConcreteBase) instances.get(OverridingImpl.class)).viaOverride());
    out.put("generic", ((GenericTool<String>) instances.get(GenericImpl.class)).viaGeneric("x"));
    out.put("generic-direct", ((GenericImpl) instances.get(GenericImpl.class)).viaGeneric("y"));
    out.put("default", ((DefaultTool) instances.get(DefaultImpl.class)).viaDefault());
    out.put("default-implementation",
        ((AbstractTool) instances.get(DefaultImplementationImpl.class)).viaDefaultImplementation());
    out.put("class", ((ClassLevel) instances.get(ClassLevel.class)).viaClass());
    out.put("subclass", ((ClassLevelSub) instances.get(ClassLevelSub.class)).viaSubclass());
    out.put("class-toString", instances.get(ClassLevel.class).toString());
    return out;
  }

  /** What {@link #callAll} answers when every adapter applies the rule. */
  public static Map<String, String> expected() {
    Map<String, String> out = new LinkedHashMap<>();
    for (String shape : new String[] {"interface", "abstract", "override", "generic", "generic-direct", "default",
        "default-implementation", "class", "subclass"}) {
      out.put(shape, "sandbox");
    }
    out.put("generic", "x sandbox");
    out.put("generic-direct", "y sandbox");
    out.put("class-toString", "ClassLevel runs on the host");
    return out;
  }

  /** The fixtures' classes, for adapters that need them registered (Spring beans). */
  public static Class<?>[] classes() {
    return new Class<?>[] {InterfaceImpl.class, AbstractImpl.class, OverridingImpl.class, GenericImpl.class,
        DefaultImpl.class, DefaultImplementationImpl.class, ClassLevel.class, ClassLevelSub.class};
  }

  /** Prints {@code shape=where} lines: the main of the agent's and the weaver's child JVMs. */
  public static void main(String[] args) throws Exception {
    AirlockRuntime.configure(dev.airlock.AirlockConfig.fromEnvironment().toBuilder().poolMinSize(0).build());
    Map<Class<?>, Object> instances = new LinkedHashMap<>();
    for (Class<?> type : classes()) {
      instances.put(type, type.getDeclaredConstructor().newInstance());
    }
    callAll(instances).forEach((shape, where) -> System.out.println(shape + "=" + where));
    AirlockRuntime.closePools();
    System.out.println("done");
  }
}
