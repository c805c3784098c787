package dev.airlock.agent;

import java.lang.instrument.Instrumentation;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The host's first contact with a tool class, done when the class is defined instead of by its first call: on a
 * daemon thread, each of its tool methods is looked up as the dispatch looks it up, and the annotations of the methods
 * and the class are read, which the JDK parses once per method and caches. An agent framework loads its tools'
 * classes when it registers them, seconds before the model calls one; a call of a tool class the host had not called
 * before spent about 0.65 ms of its 3 ms on this (the annotation parse alone 0.5 ms, interpreted, on the 2-core
 * machine). Only the JDK's reflection and the dispatch's own table are filled: airlock-core is not reached, so its
 * configuration is not read early, and nothing a call decides is settled here.
 *
 * <p>Classes are found among those their loader has defined ({@link Instrumentation#getInitiatedClasses}), never
 * loaded by name: a load from this thread could race an application's own definition of the class. A class not
 * found yet (its definition still running, or failed) is looked for again on the next round, then forgotten.
 */
final class ToolPreparation implements Runnable {
  /** Tool classes noted and not yet prepared, at most; beyond it a class is left to its first call. */
  static final int MAX_PENDING = 4096;
  /** How long the thread waits after a class is noted, so that a burst of registrations is looked up once. */
  private static final long QUIET_MILLIS = 50;
  private static final int ROUNDS = 3;

  private final Instrumentation instrumentation;
  /** Per defining loader, each pending class's binary name, its tool methods ({@code name + descriptor}) and rounds. */
  private final Map<ClassLoader, Map<String, Pending>> pending = new HashMap<>();
  private int size;
  private Thread thread;

  ToolPreparation(Instrumentation instrumentation) {
    this.instrumentation = instrumentation;
  }

  private static final class Pending {
    final Set<String> methods;
    int rounds;

    Pending(Set<String> methods) {
      this.methods = methods;
    }
  }

  /** Notes a class being defined by {@code loader} (not the boot loader) with {@code methods} rewritten. */
  synchronized void defined(ClassLoader loader, String internalName, Set<String> methods) {
    if (loader == null || size >= MAX_PENDING) {
      return;
    }
    Map<String, Pending> classes = pending.get(loader);
    if (classes == null) {
      classes = new HashMap<>();
      pending.put(loader, classes);
    }
    if (classes.put(internalName.replace('/', '.'), new Pending(methods)) == null) {
      size++;
    }
    if (thread == null) {
      // Started by the first tool class, not the premain: a JVM without tools never has this thread.
      thread = new Thread(this, "airlock-agent-tool-preparation");
      thread.setDaemon(true);
      thread.start();
    }
    notifyAll();
  }

  /** How many classes wait to be prepared. */
  synchronized int pending() {
    return size;
  }

  @Override
  public void run() {
    try {
      while (true) {
        for (Map.Entry<ClassLoader, Map<String, Pending>> loader : nextRound().entrySet()) {
          prepare(loader.getKey(), loader.getValue());
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Waits for classes, then for a quiet spell, and takes what is pending. */
  private synchronized Map<ClassLoader, Map<String, Pending>> nextRound() throws InterruptedException {
    while (size == 0) {
      wait();
    }
    int before;
    do {
      before = size;
      wait(QUIET_MILLIS);
    } while (size != before);
    Map<ClassLoader, Map<String, Pending>> round = new HashMap<>(pending);
    pending.clear();
    size = 0;
    return round;
  }

  private void prepare(ClassLoader loader, Map<String, Pending> classes) {
    for (Class<?> type : instrumentation.getInitiatedClasses(loader)) {
      Pending tools = type.getClassLoader() == loader ? classes.remove(type.getName()) : null;
      if (tools != null) {
        try {
          AgentDispatch.prepare(type, tools.methods);
        } catch (RuntimeException | LinkageError e) {
          // Only a head start: the first call looks the methods up itself and meets what went wrong.
          AgentLog.debug("Airlock agent did not prepare " + type.getName() + ": " + e);
        }
      }
    }
    List<String> again = new ArrayList<>();
    for (Map.Entry<String, Pending> left : classes.entrySet()) {
      if (++left.getValue().rounds < ROUNDS) {
        again.add(left.getKey());
      }
    }
    synchronized (this) {
      for (String name : again) {
        Map<String, Pending> now = pending.get(loader);
        if (now == null) {
          now = new HashMap<>();
          pending.put(loader, now);
        }
        if (size < MAX_PENDING && now.putIfAbsent(name, classes.get(name)) == null) {
          size++;
        }
      }
      if (!again.isEmpty()) {
        notifyAll();
      }
    }
  }
}
