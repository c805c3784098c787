package dev.airlock.internal.cloud;

import java.io.IOException;

/** The sandbox no longer exists (killed, expired, crashed): whatever ran in it is lost, and it must be replaced. */
public final class SandboxGoneException extends IOException {
  private static final long serialVersionUID = 1L;

  public SandboxGoneException(String message) {
    super(message);
  }
}
