package dev.airlock.internal.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.airlock.internal.codec.ShippedInvocation;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class ToolMethodsTest {
  private final ToolMethods methods = new ToolMethods();

  @SuppressWarnings("unused")
  private static String tool(int n, String text) {
    return text + n;
  }

  @SuppressWarnings("unused")
  private static String tool(long n, String text) {
    return "long " + text + n;
  }

  static class Base {
    public String run(String text) {
      return "base " + text;
    }

    @SuppressWarnings("unused")
    private String hidden() {
      return "private";
    }
  }

  static class Sub extends Base {
  }

  private static ShippedInvocation invocation(String method, String... parameterTypes) {
    return new ShippedInvocation(null, ToolMethodsTest.class.getName(), method, parameterTypes, new Object[0]);
  }

  @Test
  void findsTheNamedOverloadOnceAndOpensIt() throws Exception {
    Method ints = methods.find(invocation("tool", "int", String.class.getName()));
    Method longs = methods.find(invocation("tool", "long", String.class.getName()));
    assertThat(ints.invoke(null, 1, "x")).isEqualTo("x1");
    assertThat(longs.invoke(null, 2L, "x")).isEqualTo("long x2");
    assertThat(methods.find(invocation("tool", "int", String.class.getName()))).as("kept").isSameAs(ints);
  }

  /** The host's class may declare an override (the agent's) that this JVM's lacks: the inherited method runs. */
  @Test
  void aMethodTheClassInheritsIsFoundInItsSuperclassButNotAPrivateOne() throws Exception {
    Method run = methods.find(new ShippedInvocation(null, Sub.class.getName(), "run",
        new String[] {String.class.getName()}, new Object[0]));
    assertThat(run.invoke(new Sub(), "x")).isEqualTo("base x");
    assertThatThrownBy(() -> methods.find(new ShippedInvocation(null, Sub.class.getName(), "hidden", new String[0],
        new Object[0]))).isInstanceOf(NoSuchMethodException.class);
  }

  @Test
  void aMethodThatIsNotThereFailsEveryTime() {
    for (int i = 0; i < 2; i++) {
      assertThatThrownBy(() -> methods.find(invocation("tool", "double", String.class.getName())))
          .isInstanceOf(NoSuchMethodException.class);
      assertThatThrownBy(() -> methods.find(invocation("tool", "int", "no.such.Type")))
          .isInstanceOf(ClassNotFoundException.class);
    }
  }

  @Test
  void keepsAtMostItsBoundAndStillFindsMethodsPastIt() throws Exception {
    List<Method> publicMethods = Stream.of(Arrays.class, Math.class, Collections.class)
        .flatMap(c -> Stream.of(c.getDeclaredMethods())).filter(m -> Modifier.isPublic(m.getModifiers())).toList();
    assertThat(publicMethods).hasSizeGreaterThan(ToolMethods.MAX_KEPT + 10);
    for (Method m : publicMethods) {
      String[] types = Stream.of(m.getParameterTypes()).map(Class::getName).toArray(String[]::new);
      Method found = methods.find(new ShippedInvocation(null, m.getDeclaringClass().getName(), m.getName(), types,
          new Object[0]));
      assertThat(found).isEqualTo(m);
    }
    assertThat(methods.size()).isEqualTo(ToolMethods.MAX_KEPT);
    assertThat(methods.find(invocation("tool", "int", String.class.getName())).invoke(null, 3, "y")).isEqualTo("y3");
    assertThat(methods.size()).isEqualTo(ToolMethods.MAX_KEPT);
  }
}
