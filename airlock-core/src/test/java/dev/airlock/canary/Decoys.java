package dev.airlock.canary;

/** Same name length as {@link Canary}: its bytes are rewritten to name the canary without touching it. */
public class Decoys {
  public String payload = "gadget";
}
