package dev.airlock.internal.worker.warmup;

import dev.airlock.AirlockRuntime;
import dev.airlock.SandboxCall;
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

  static int run(Sample sample) throws Exception {
    String text = (sample.text() + sample.n()).toUpperCase() + ' ' + sample.words() + sample.map().get("f")
        + sample.hashMap() + sample.word().get(0).strip().toLowerCase() + sample.list().size();
    return text.length() + sample.call().call() + (AirlockRuntime.isSandboxed() ? 1 : 0);
  }
}
