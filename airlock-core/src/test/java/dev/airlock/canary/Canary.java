package dev.airlock.canary;

/** Must never be loaded by the host's result decoder: loading it sets a system property. */
public class Canary {
  static {
    System.setProperty("airlock.canary.loaded", "true");
  }

  public String payload = "gadget";
}
