package dev.airlock.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.airlock.AirlockException;
import dev.airlock.SandboxExecutionException;
import dev.airlock.SandboxedCodeException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 14 item 9: only throwables defined by the JDK's own modules are rebuilt on the host, never an
 * {@code Error}, only through public constructors; anything else comes back as {@link SandboxedCodeException}
 * (issue 16: its own subtype) carrying the remote class name, message and stack. The names the host sees are the worker's to choose.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ExceptionRebuildTest {
  /** By name, so this test does not load the canary on the host itself. */
  private static final String CANARY = "javax.airlockcanary.CanaryException";

  @Test
  void aJavaxNamedThrowableFromAJarIsNeitherInitializedNorConstructedOnTheHost() throws Exception {
    try (HostilePool hostile = new HostilePool()) {
      Throwable thrown = catchThrowable(() -> hostile.pool.call(() -> {
        throw (RuntimeException) Class.forName(CANARY).getMethod("thrown", String.class).invoke(null, "guest");
      }));

      assertThat(thrown).isExactlyInstanceOf(SandboxedCodeException.class).hasMessageContaining(CANARY)
          .hasMessageContaining("guest");
      assertThat(((SandboxedCodeException) thrown).remoteClassName()).isEqualTo(CANARY);
      assertThat(System.getProperty("airlock.canary." + CANARY + ".initialized")).isNull();
      assertThat(System.getProperty("airlock.canary." + CANARY + ".constructed")).isNull();
    }
  }

  @Test
  @SuppressWarnings("removal")
  void anErrorIsNeverRebuilt() throws Exception {
    try (HostilePool hostile = new HostilePool()) {
      Throwable thrown = catchThrowable(() -> hostile.pool.call(() -> {
        throw new ThreadDeath();
      }));

      assertThat(thrown).isExactlyInstanceOf(SandboxedCodeException.class);
      assertThat(((SandboxedCodeException) thrown).remoteClassName()).isEqualTo("java.lang.ThreadDeath");
    }
  }

  @Test
  void aJdkExceptionWithAPublicConstructorIsRebuiltAsItself() throws Exception {
    try (HostilePool hostile = new HostilePool()) {
      Throwable thrown = catchThrowable(() -> hostile.pool.call(() -> {
        throw new IllegalStateException("bad state", new java.io.IOException("disk"));
      }));

      assertThat(thrown).isExactlyInstanceOf(IllegalStateException.class).hasMessage("bad state")
          .hasCauseExactlyInstanceOf(java.io.IOException.class);
    }
  }

  @Test
  void anApplicationExceptionComesBackAsSandboxedCodeExceptionWithItsRemoteFacts() throws Exception {
    try (HostilePool hostile = new HostilePool()) {
      Throwable thrown = catchThrowable(() -> hostile.pool.call(() -> {
        throw new ToolFailure("quota");
      }));

      assertThat(thrown).isExactlyInstanceOf(SandboxedCodeException.class).hasMessageContaining("quota");
      SandboxedCodeException remote = (SandboxedCodeException) thrown;
      assertThat(remote).isInstanceOf(SandboxExecutionException.class).isInstanceOf(AirlockException.class);
      assertThat(remote.remoteClassName()).isEqualTo(ToolFailure.class.getName());
      assertThat(remote.remoteMessage()).isEqualTo("quota");
      assertThat(remote.remoteStackTrace()).isNotEmpty()
          .anySatisfy(frame -> assertThat(frame.getClassName()).startsWith(ExceptionRebuildTest.class.getName()));
      assertThat(remote.getStackTrace()).extracting(StackTraceElement::getClassName).contains("airlock.sandbox");
    }
  }

  /**
   * Attack review 36: {@code RemoteException}'s message, and {@code NamingException}'s text, append their cause's
   * whole text, so a chain of 17 of them (the most a record holds) printed each message again at every level below
   * it: 2,262,474 characters in the host's log for a record of 280,000 (16 million once the guard's masked copy
   * appended the causes again); 290,919 now. A JDK type is rebuilt only when its text is the record's.
   */
  @Test
  void aJdkExceptionWhoseTextAddsItsCausesComesBackAsSandboxedCodeException() throws Exception {
    try (HostilePool hostile = new HostilePool()) {
      for (String type : java.util.List.of("java.rmi.RemoteException", "javax.naming.NamingException")) {
        Throwable thrown = catchThrowable(() -> hostile.pool.call(() -> {
          Exception chain = null;
          for (int i = 0; i < 17; i++) {
            String message = i + "x".repeat(16 * 1024);
            chain = type.startsWith("java.rmi") ? new java.rmi.RemoteException(message, chain)
                : (Exception) new javax.naming.NamingException(message).initCause(chain);
          }
          throw new IllegalStateException("failed", chain);
        }));
        java.io.StringWriter printed = new java.io.StringWriter();
        thrown.printStackTrace(new java.io.PrintWriter(printed));

        assertThat(thrown).isExactlyInstanceOf(IllegalStateException.class).hasMessage("failed");
        assertThat(thrown.getCause().getClass()).as(type).isEqualTo(SandboxedCodeException.class);
        assertThat(((SandboxedCodeException) thrown.getCause()).remoteClassName()).isEqualTo(type);
        assertThat(printed.toString().length()).as(type + ": characters printed").isLessThan(600_000);
      }
    }
  }

  public static final class ToolFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ToolFailure(String message) {
      super(message);
    }
  }
}
