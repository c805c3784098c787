package dev.airlock.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.instrument.Instrumentation;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The host's first contact with a tool class, made once its loader has defined it: found among the loader's classes,
 * never loaded by name, and forgotten when it never appears.
 */
class ToolPreparationTest {
  private static final String RUN = "run(Ljava/lang/String;)Ljava/lang/String;";
  private static final String ASK = "ask(I)I";

  /** Stands for a tool class: its methods are only looked up, never called. */
  static final class Tools {
    public String run(String text) {
      return text;
    }

    public int ask(int n) {
      return n;
    }

    public int notATool() {
      return 0;
    }
  }

  /** Another class of the same name under another loader: not the class noted. */
  static final class Elsewhere {
  }

  /** An Instrumentation whose loader has defined {@code defined} and that counts the look-ups. */
  private static Instrumentation defining(List<Class<?>> defined, AtomicInteger lookUps) {
    return (Instrumentation) Proxy.newProxyInstance(ToolPreparationTest.class.getClassLoader(),
        new Class<?>[] {Instrumentation.class}, (proxy, method, args) -> {
          if (!method.getName().equals("getInitiatedClasses")) {
            throw new UnsupportedOperationException(method.getName());
          }
          lookUps.incrementAndGet();
          return defined.toArray(new Class<?>[0]);
        });
  }

  @Test
  void aToolClassIsLookedUpOnceItsLoaderHasDefinedIt() throws InterruptedException {
    List<Class<?>> defined = new CopyOnWriteArrayList<>();
    AtomicInteger lookUps = new AtomicInteger();
    ToolPreparation preparation = new ToolPreparation(defining(defined, lookUps));
    ClassLoader loader = Tools.class.getClassLoader();

    preparation.defined(loader, Tools.class.getName().replace('.', '/'), Set.of(RUN, ASK));
    awaitLookUps(lookUps, 1);
    assertThat(AgentDispatch.METHODS.get(Tools.class)).as("not defined yet: nothing looked up").isEmpty();
    defined.add(Tools.class);

    long deadline = System.nanoTime() + 5_000_000_000L;
    while (AgentDispatch.METHODS.get(Tools.class).size() < 2 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(AgentDispatch.METHODS.get(Tools.class)).containsOnlyKeys(RUN, ASK);
    assertThat(AgentDispatch.METHODS.get(Tools.class).get(RUN).getName()).isEqualTo("run");
  }

  @Test
  void aClassNeverDefinedIsForgottenAfterItsRounds() throws InterruptedException {
    AtomicInteger lookUps = new AtomicInteger();
    ToolPreparation preparation = new ToolPreparation(defining(List.of(Elsewhere.class), lookUps));

    preparation.defined(Tools.class.getClassLoader(), "com/example/NeverDefined", Set.of(RUN));
    awaitLookUps(lookUps, 3);
    Thread.sleep(500);
    assertThat(lookUps).as("looked for on three rounds, then no more").hasValue(3);
  }

  @Test
  void theBootLoadersClassesAndClassesBeyondTheBoundAreNotNoted() throws InterruptedException {
    AtomicInteger lookUps = new AtomicInteger();
    ToolPreparation preparation = new ToolPreparation(defining(List.of(), lookUps));
    preparation.defined(null, "java/lang/String", Set.of("length()I"));
    Thread.sleep(300);
    assertThat(lookUps).as("the boot loader's classes are the JDK's: no tools").hasValue(0);

    ClassLoader loader = Tools.class.getClassLoader();
    // Holding its monitor keeps the preparation's thread from taking a round meanwhile.
    synchronized (preparation) {
      for (int i = 0; i < ToolPreparation.MAX_PENDING + 100; i++) {
        preparation.defined(loader, "com/example/Tool" + i, Set.of(RUN));
      }
      assertThat(preparation.pending()).isEqualTo(ToolPreparation.MAX_PENDING);
    }
  }

  private static void awaitLookUps(AtomicInteger lookUps, int count) throws InterruptedException {
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (lookUps.get() < count && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(lookUps.get()).isGreaterThanOrEqualTo(count);
  }
}
