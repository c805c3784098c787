package dev.airlock.internal.docker;

import dev.airlock.SandboxPool;

/**
 * A host JVM for {@link DockerOrphanTest}: warms a pool of two containers and never closes it, then either exits
 * (the shutdown hook must clean up) or waits to be killed (the next backend start must clean up).
 */
public final class DockerHostThatDies {

  private DockerHostThatDies() {
  }

  public static void main(String[] args) throws Exception {
    SandboxPool pool = SandboxPool.builder(DockerTestEngine.config()).minSize(2).maxSize(2).build();
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (pool.stats().idle() < 2 && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    System.out.println("warm " + pool.stats().idle());
    System.out.flush();
    if (args[0].equals("exit")) {
      System.exit(0);
    }
    Thread.sleep(Long.MAX_VALUE);
  }
}
