package org.apache.commons.collections.functors;

/**
 * Canary named like the commons-collections gadget: loading it runs nothing, but initializing or constructing it
 * leaves a mark that the hostile-worker tests look for on the host. Only ever instantiated inside a worker.
 */
public class InvokerTransformer {
  static {
    System.setProperty("airlock.canary." + InvokerTransformer.class.getName(), "initialized");
  }

  public String methodName = "exec";

  public InvokerTransformer() {
    System.setProperty("airlock.canary." + InvokerTransformer.class.getName(), "constructed");
  }
}
