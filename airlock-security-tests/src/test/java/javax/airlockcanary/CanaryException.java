package javax.airlockcanary;

/**
 * A throwable in a {@code javax} package that is not the JDK's: its static initializer and its private constructor
 * mark, by system properties, every JVM that ran them. The host must never rebuild it from a worker's answer.
 */
public final class CanaryException extends RuntimeException {
  public static final String INITIALIZED = "airlock.canary.javax.airlockcanary.CanaryException.initialized";
  public static final String CONSTRUCTED = "airlock.canary.javax.airlockcanary.CanaryException.constructed";
  private static final long serialVersionUID = 1L;

  static {
    System.setProperty(INITIALIZED, "yes");
  }

  private CanaryException(String message) {
    super(message);
    System.setProperty(CONSTRUCTED, message);
  }

  public static CanaryException thrown(String message) {
    return new CanaryException(message);
  }
}
