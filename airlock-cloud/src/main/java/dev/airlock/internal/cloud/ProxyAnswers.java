package dev.airlock.internal.cloud;

/**
 * What a sandbox provider's port proxy means by its error answers. E2B's proxy answers 502 with
 * {@code "The sandbox was not found"} for a sandbox that was killed or expired, and 502 with {@code "...port is not
 * open"} while nothing listens on the port yet; other proxies answer 502 or 503 while a service is not up.
 */
public final class ProxyAnswers {

  private ProxyAnswers() {
  }

  public static void throwIfGone(String sandboxId, int status, String body) throws SandboxGoneException {
    if (status == 502 && body.contains("sandbox was not found")) {
      throw new SandboxGoneException("sandbox " + sandboxId + " is gone (killed, expired or crashed): " + body);
    }
  }

  public static boolean notReady(int status) {
    return status == 502 || status == 503;
  }
}
