package dev.airlock.internal.docker;

import java.io.IOException;

/**
 * PID 1 of a worker's PID namespace, in a container of its own that the worker container joins: it reads its stdin,
 * which the host holds open through an attach, and ends at its end. The engine closes that stdin when the host's
 * attach connection ends (StdinOnce), also when the host dies by SIGKILL; PID 1 ending makes the kernel kill every
 * process of the namespace, so the worker container stops whatever its guest did inside its own JVM.
 *
 * <p>Runs under a uid of its own, never the worker's, so guest code cannot signal it, trace it or open its stdin
 * through {@code /proc/1/fd/0} (a second writer would keep the pipe from ever ending). Self-contained: only java.base,
 * because the backend copies just this class file into the lifeline container.
 */
public final class HostLifeline {

  private HostLifeline() {
  }

  public static void main(String[] args) {
    byte[] buffer = new byte[512];
    try {
      while (System.in.read(buffer) >= 0) {
        // The host never writes; bytes, if any, mean nothing.
      }
    } catch (IOException e) {
      // A broken stdin is an end as much as EOF.
    }
    Runtime.getRuntime().halt(0);
  }
}
