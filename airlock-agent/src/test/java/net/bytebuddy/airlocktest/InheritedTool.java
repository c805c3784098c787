package net.bytebuddy.airlocktest;

import com.example.inherited.InheritedTools;

/**
 * A tool that names no {@code @Airlock} itself, in Byte Buddy's package (as a copy shaded into it would be): it
 * implements an annotated interface method, so it is refused.
 */
public final class InheritedTool implements InheritedTools.Tool {
  @Override
  public String viaInterface() {
    return "host";
  }
}
