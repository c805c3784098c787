package dev.airlock.internal.worker.warmup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.ClassLoadLog;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.StringConcatFactory;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Airlock is compiled with {@code -XDstringConcat=inline} and a tool is not, so a warm-up that left string
 * concatenation to Airlock's own code would leave linking it to a single-use worker's one real call (a tool's
 * {@code text + n}: target 1 went from 7-11 ms to 19-29 ms when it did). Read off a fresh JVM's class loading: what
 * linking a tool's concatenation loads and spins after the warm-up, against without it.
 */
@Timeout(60)
class WarmUpCallTest {
  private static final String MARK = "tool-concatenation-links";

  @Test
  void afterTheWarmUpAToolsStringConcatenationLinksWithFewerClassesSpun() throws Exception {
    List<String> warm = spunLinkingToolConcatenations(true, "same");
    List<String> cold = spunLinkingToolConcatenations(false, "same");
    assertThat(cold).as("classes spun linking a tool's text + n in a fresh JVM").hasSizeGreaterThan(5);
    assertThat(warm).as("classes spun linking a tool's text + n after the warm-up").isEmpty();
    assertThat(spunLinkingToolConcatenations(true, "other")).as("classes spun linking other shapes after the warm-up")
        .hasSizeLessThan(spunLinkingToolConcatenations(false, "other").size());
  }

  /** The method handle classes a fresh JVM spun linking a tool's concatenation sites, after the warm-up or not. */
  private static List<String> spunLinkingToolConcatenations(boolean warmUp, String shapes) throws Exception {
    return classesLoaded(warmUp, shapes).stream().filter(name -> name.startsWith("java.lang.invoke.")).toList();
  }

  private static List<String> classesLoaded(boolean warmUp, String shapes) throws Exception {
    List<String> lines = ClassLoadLog.run(RunWarmUp.class, System.getProperty("java.class.path"),
        Boolean.toString(warmUp), shapes);
    return ClassLoadLog.classes(lines.subList(lines.indexOf(MARK), lines.size()));
  }

  /**
   * A fresh JVM that runs the warm-up's call (or only builds its argument), then links concatenations as a tool's
   * sites are linked on their first run: {@code same}, a tool's {@code text + n}; {@code other}, three other shapes.
   * (This class is compiled without invokedynamic, as Airlock is.)
   */
  static final class RunWarmUp {
    public static void main(String[] args) throws Throwable {
      WarmUpCall.Sample sample = WarmUpCall.sample();
      if (Boolean.parseBoolean(args[0])) {
        assertThat(WarmUpCall.run(sample)).isPositive();
      }
      System.out.println(MARK);
      if (args[1].equals("same")) {
        System.out.println((String) site("\u0001\u0001", String.class, int.class).invokeExact("text", 7));
      } else {
        System.out.println((String) site("\u0001 \u0001", String.class, long.class).invokeExact("tool", 7L));
        System.out.println((String) site("a \u0001 of \u0001", Object.class, String.class).invokeExact((Object) "o",
            "p"));
        System.out.println((String) site("\u0001\u0001\u0001", String.class, int.class, String.class)
            .invokeExact("a", 1, "b"));
      }
    }

    private static MethodHandle site(String recipe, Class<?>... types) throws Exception {
      return StringConcatFactory.makeConcatWithConstants(MethodHandles.lookup(), "concat",
          MethodType.methodType(String.class, types), recipe).dynamicInvoker();
    }
  }
}
