package dev.airlock.internal.worker.warmup;

import dev.airlock.AirlockRuntime;
import dev.airlock.SandboxCall;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.StringConcatException;
import java.lang.invoke.StringConcatFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The throw-away call a worker runs on a WARM_UP frame. In a package of its own, so whether a worker has warmed up
 * shows from outside its code path: the package is defined in the worker's JVM only once this class was loaded.
 *
 * <p>The sample carries the JDK's lists and maps a tool's arguments usually are, and the method concatenates
 * strings, because profiled (-Xlog:class+load) a single-use worker's first call of a tool taking a
 * {@code List.of(...)} spent 8-13 ms in Kryo's first serializer lookup of an annotated JDK class (annotation parsing
 * spins dynamic proxies) and 4-6 ms spinning the lambda forms of {@code text + n}. The method asks
 * {@link AirlockRuntime#isSandboxed()} as tools do: left to the first call, loading, verifying and initializing
 * {@code AirlockRuntime} was 0.4-0.7 ms of its 0.6-1.3 ms first run of the tool (timers in the worker).
 *
 * <p>Airlock is compiled with {@code -XDstringConcat=inline}, a tool is not: its {@code text + n} is an
 * invokedynamic site that {@link StringConcatFactory} links on its first run, spinning method handle classes by the
 * types it joins. So the warm-up links sites as javac's default output does: the commonest shape, and one that joins
 * each basic type, whose pieces the JDK reuses for a tool's other shapes (in a scratch JVM, linking three other
 * shapes took 33-66 ms after no such site, 11-18 ms after these).
 */
public final class WarmUpCall {
  /** The name of the method a warm-up invocation calls. */
  public static final String METHOD = "run";

  private WarmUpCall() {
  }

  /** The argument of the warm-up invocation, with a record and a serializable lambda in it. */
  public record Sample(String text, int n, List<String> words, List<String> word, List<String> list,
      Map<String, Long> map, Map<String, Double> hashMap, SandboxCall<Integer> call) {
  }

  public static Sample sample() {
    return new Sample("1", 2, List.of("a", "b", "c"), List.of("d"), new ArrayList<>(List.of("e")), Map.of("f", 1L),
        new HashMap<>(Map.of("g", 2.0)), (SandboxCall<Integer>) () -> 1);
  }

  static int run(Sample sample) throws Throwable {
    String joined = (String) site(String.class, int.class).invokeExact(sample.text(), sample.n());
    String mixed = (String) site(String.class, int.class, long.class, char.class, boolean.class, double.class,
        float.class, Object.class).invokeExact(joined, sample.n(), 3L, 'c', true, 0.5d, 1.5f, (Object) sample.words());
    String text = joined.toUpperCase() + ' ' + sample.words() + sample.map().get("f")
        + sample.hashMap() + sample.word().get(0).strip().toLowerCase() + sample.list().size() + mixed;
    return text.length() + sample.call().call() + (AirlockRuntime.isSandboxed() ? 1 : 0);
  }

  /** A concatenation of {@code types}, linked as the JDK links a site javac compiled by default. */
  private static MethodHandle site(Class<?>... types) throws StringConcatException {
    return StringConcatFactory.makeConcatWithConstants(MethodHandles.lookup(), "concat",
        MethodType.methodType(String.class, types), "\u0001".repeat(types.length)).dynamicInvoker();
  }
}
