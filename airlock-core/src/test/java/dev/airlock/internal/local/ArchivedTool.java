package dev.airlock.internal.local;

import dev.airlock.annotation.Airlock;

/** A tool no test calls: the class-data archive's training loads it because it carries {@link Airlock}. */
public final class ArchivedTool {
  private ArchivedTool() {
  }

  @Airlock(sandbox = true)
  public static String shout(String text) {
    return text.toUpperCase();
  }
}
