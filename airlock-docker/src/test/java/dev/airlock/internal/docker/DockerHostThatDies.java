package dev.airlock.internal.docker;

import dev.airlock.SandboxPool;

/**
 * A host JVM for {@link DockerOrphanTest}: warms a pool of two containers and never closes it, then either exits
 * (the shutdown hook must clean up), waits to be killed (the next backend start must clean up), or makes a call whose
 * guest code takes the worker JVM over and waits to be killed (the container must end without any host's help).
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
    if (args[0].equals("takeover")) {
      Thread call = new Thread(() -> pool.call(DockerHostThatDies::takeOver), "takeover-call");
      call.setDaemon(true);
      call.start();
      System.out.println("calling");
      System.out.flush();
    }
    Thread.sleep(Long.MAX_VALUE);
  }

  /**
   * Guest code: stops every other thread of the worker JVM (its call watchdog, its host watch, its channel readers)
   * and keeps its own thread busy, so nothing in the worker JVM ever reads the end of the channel or a deadline.
   */
  @SuppressWarnings({"deprecation", "removal"})
  static String takeOver() {
    Thread self = Thread.currentThread();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t != self && t.getThreadGroup() != null && !"system".equals(t.getThreadGroup().getName())) {
        t.stop();
      }
    }
    long spins = 0;
    while (spins >= 0) {
      spins++;
    }
    return "unreachable " + spins;
  }
}
