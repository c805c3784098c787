package dev.airlock.security.hostile;

import java.io.Serializable;
import java.util.Comparator;

/**
 * A comparator from outside the JDK that marks, by a system property, every JVM it ran in. A worker may order a
 * result with it; the host must never run it, even when the class is named in {@code airlock.allowed-classes}.
 */
public final class CanaryComparator implements Comparator<Object>, Serializable {
  public static final String RAN = "airlock.canary." + CanaryComparator.class.getName();
  private static final long serialVersionUID = 1L;

  @Override
  public int compare(Object a, Object b) {
    System.setProperty(RAN, "ran");
    return 0;
  }
}
