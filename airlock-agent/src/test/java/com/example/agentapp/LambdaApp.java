package com.example.agentapp;

/**
 * Calls a required-sandbox tool implemented by a lambda, under the agent: the class making it must fail to load
 * rather than run the lambda on the host; a lambda of a plain interface runs. Started by AgentIT in its own JVM.
 */
public final class LambdaApp {
  private LambdaApp() {
  }

  public static void main(String[] args) {
    try {
      System.out.println("lambda=" + LambdaTools.Lambda.make().run("x"));
    } catch (LinkageError refused) {
      System.out.println("lambda=refused " + refused.getClass().getSimpleName());
    }
    System.out.println("plain=" + LambdaTools.Plain.make().apply("y"));
  }
}
