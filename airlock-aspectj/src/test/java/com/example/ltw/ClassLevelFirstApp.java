package com.example.ltw;

import dev.airlock.AirlockConfig;
import dev.airlock.AirlockRuntime;
import dev.airlock.annotation.Airlock;

/**
 * Tools governed by a class-level {@code @Airlock} on a supertype (an interface with methods, an abstract class
 * without any), each loaded before that supertype: the JVM hands the weaver a class before it loads its supertypes,
 * as it does whenever nothing loaded them earlier. Prints where each body ran, or what the call threw.
 */
public final class ClassLevelFirstApp {
  private ClassLevelFirstApp() {
  }

  @Airlock(sandbox = true, sandboxRequired = true, timeoutSeconds = 30)
  public interface ShellTools {
    String run(String command);
  }

  @Airlock(sandbox = true, sandboxRequired = true, timeoutSeconds = 30)
  public abstract static class ShellBase {
  }

  public static class InterfaceTool implements ShellTools {
    @Override
    public String run(String command) {
      return where();
    }
  }

  public static class SubclassTool extends ShellBase {
    public String run(String command) {
      return where();
    }
  }

  static String where() {
    return AirlockRuntime.isSandboxed() ? "sandbox" : "HOST";
  }

  public static void main(String[] args) {
    AirlockRuntime.configure(AirlockConfig.builder().poolMinSize(0).poolMaxSize(1).build());
    for (String shape : new String[] {"interface", "superclass"}) {
      try {
        // Named only here, by reflection: no constant of this class loads the supertype first.
        Object tool = Class.forName(ClassLevelFirstApp.class.getName() + "$"
            + (shape.equals("interface") ? "InterfaceTool" : "SubclassTool")).getConstructor().newInstance();
        System.out.println(shape + "=" + tool.getClass().getMethod("run", String.class).invoke(tool, "id"));
      } catch (java.lang.reflect.InvocationTargetException e) {
        System.out.println(shape + "=" + e.getCause().getClass().getName());
      } catch (ReflectiveOperationException e) {
        System.out.println(shape + "=" + e);
      }
    }
    AirlockRuntime.closePools();
  }
}
