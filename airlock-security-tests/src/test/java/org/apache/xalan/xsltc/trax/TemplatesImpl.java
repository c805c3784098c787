package org.apache.xalan.xsltc.trax;

/**
 * Canary named like Xalan's {@code TemplatesImpl} gadget (the JDK's copy lives in a module the classpath cannot
 * shadow): initializing or constructing it leaves a mark the hostile-worker tests look for on the host.
 */
public class TemplatesImpl {
  static {
    System.setProperty("airlock.canary." + TemplatesImpl.class.getName(), "initialized");
  }

  public byte[][] bytecodes = {{(byte) 0xca, (byte) 0xfe}};

  public TemplatesImpl() {
    System.setProperty("airlock.canary." + TemplatesImpl.class.getName(), "constructed");
  }
}
