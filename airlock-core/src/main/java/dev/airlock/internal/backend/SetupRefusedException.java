package dev.airlock.internal.backend;

import dev.airlock.SandboxUnavailableException;

/**
 * A backend that refuses to be set up as configured because that would expose the host to its workers (a classpath
 * folder that is not build output: a working directory, with the credentials in it). No sandbox can be had, as for
 * any {@link SandboxUnavailableException}, but the call never falls back to the host, whatever
 * {@code sandboxRequired} says: the refusal protects the host's files, and the host is where the call would read
 * them. Attack review 35: a {@code sandbox = true} tool of an application started as {@code java -cp .:app.jar} ran
 * on the host, under a warning, and read the {@code .aws/credentials} that its worker was refused.
 */
public final class SetupRefusedException extends SandboxUnavailableException {
  private static final long serialVersionUID = 1L;

  public SetupRefusedException(String message) {
    super(message);
  }
}
