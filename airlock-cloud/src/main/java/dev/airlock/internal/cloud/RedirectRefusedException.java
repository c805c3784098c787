package dev.airlock.internal.cloud;

import java.io.IOException;

/**
 * A cloud endpoint answered a redirect, which {@link CloudHttp} never follows. From a sandbox port it is a protocol
 * violation by guest-controlled code; from a control plane, a URL to correct. Never retried.
 */
public final class RedirectRefusedException extends IOException {
  private static final long serialVersionUID = 1L;

  public RedirectRefusedException(String message) {
    super(message);
  }
}
