package com.example.agentapp;

/**
 * Implements a required-sandbox tool method through a final method of a superclass naming no {@code @Airlock}: the
 * agent cannot override it to intercept it, so it refuses the subclass. Outside {@link ToolShapes}, whose classes
 * all load.
 */
public class FinalImplementation {
  public final String run(String input) {
    return "ran " + input;
  }

  public static class Inherits extends FinalImplementation implements ToolShapes.RequiredTool {
  }
}
