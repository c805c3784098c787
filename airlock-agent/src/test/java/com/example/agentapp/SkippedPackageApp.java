package com.example.agentapp;

/**
 * Loads tools in packages the agent leaves alone by name (the JDK's, Byte Buddy's, Airlock's own), which must fail
 * to load rather than run on the host, and a plain class there, which loads. Started by AgentIT in its own JVM.
 */
public final class SkippedPackageApp {
  private SkippedPackageApp() {
  }

  public static void main(String[] args) throws Exception {
    for (String name : new String[] {"com.sun.airlocktest.ShellTool", "dev.airlock.spi.airlocktest.ClassLevelTool",
        "net.bytebuddy.airlocktest.InheritedTool"}) {
      try {
        Class<?> tool = Class.forName(name);
        java.lang.reflect.Method method = tool.getDeclaredMethods()[0];
        Object[] arguments = method.getParameterCount() == 1 ? new Object[] {"x"} : new Object[0];
        Object result = method.invoke(tool.getConstructor().newInstance(), arguments);
        System.out.println(name + "=" + result);
      } catch (LinkageError refused) {
        System.out.println(name + "=refused " + refused.getClass().getSimpleName());
      }
    }
    System.out.println("plain=" + new com.sun.airlocktest.Plain().run("y"));
  }
}
