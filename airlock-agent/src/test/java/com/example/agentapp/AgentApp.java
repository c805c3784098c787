package com.example.agentapp;

import dev.airlock.AirlockRuntime;
import dev.airlock.annotation.Airlock;
import dev.airlock.annotation.ShipFields;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Serializable;
import java.util.List;

/** An application whose tools the agent routes into sandboxes; started by AgentIT in its own JVM. */
public final class AgentApp {

  private AgentApp() {
  }

  /** Tool methods of every shape the agent must handle; its state ships with each call. */
  @ShipFields
  public static class Tools implements Serializable {
    private static final long serialVersionUID = 1L;
    private final int base = 40;

    @Airlock(sandbox = true, sandboxRequired = true)
    public int add(int x) {
      return base + x + (AirlockRuntime.isSandboxed() ? 0 : 1000);
    }

    @Airlock(sandbox = true, sandboxRequired = true)
    public static String where() {
      return AirlockRuntime.isSandboxed() ? "sandbox" : "host";
    }

    @Airlock(sandbox = true, sandboxRequired = true)
    public void noop() {
      if (!AirlockRuntime.isSandboxed()) {
        throw new IllegalStateException("ran on the host");
      }
    }

    @Airlock(sandbox = true, sandboxRequired = true)
    public <T> List<T> twice(T value) {
      return List.of(value, value);
    }

    @Airlock(sandbox = true, sandboxRequired = true)
    public long sum(int... values) {
      long total = 0;
      for (int v : values) {
        total += v;
      }
      return total;
    }

    @Airlock(sandbox = true, sandboxRequired = true)
    public String checked(String message) throws IOException {
      throw new IOException(message + " in " + (AirlockRuntime.isSandboxed() ? "sandbox" : "host"));
    }

    @Airlock(sandbox = true, sandboxRequired = true)
    public int parse(String number) {
      return Integer.parseInt(number);
    }

    @Airlock(timeoutSeconds = 5)
    public String guardedOnHost() {
      return AirlockRuntime.isSandboxed() ? "sandbox" : "host";
    }
  }

  public static void main(String[] args) throws Exception {
    Tools tools = new Tools();
    if (List.of(args).contains("mockito")) {
      java.util.List<?> mock = org.mockito.Mockito.mock(java.util.List.class);
      System.out.println("mock=" + (mock.size() == 0 ? "ok" : "broken"));
    }
    if (List.of(args).contains("wait")) {
      System.out.println("ready " + ProcessHandle.current().pid());
      new BufferedReader(new InputStreamReader(System.in)).readLine();
    }
    System.out.println("add=" + tools.add(2));
    System.out.println("where=" + Tools.where());
    tools.noop();
    System.out.println("noop=ok");
    System.out.println("twice=" + tools.twice("a"));
    System.out.println("sum=" + tools.sum(1, 2, 3));
    try {
      tools.checked("boom");
    } catch (IOException e) {
      System.out.println("checked=" + e.getClass().getName() + ":" + e.getMessage());
    }
    try {
      tools.parse("forty-two");
    } catch (NumberFormatException e) {
      System.out.println("unchecked=" + e.getClass().getName());
    }
    System.out.println("host=" + tools.guardedOnHost());
    AirlockRuntime.closePools();
    System.out.println("done");
  }
}
