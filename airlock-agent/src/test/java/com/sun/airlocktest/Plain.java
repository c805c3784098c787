package com.sun.airlocktest;

/** A class without {@code @Airlock} in a package the agent leaves alone by name: it loads as before. */
public final class Plain {
  public String run(String input) {
    return "plain " + input;
  }
}
