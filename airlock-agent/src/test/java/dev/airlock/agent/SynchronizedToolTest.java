package dev.airlock.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.example.synccall.SyncTools;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A {@code synchronized} host tool under the agent (a host tool, or a sandboxed one that is not required and fell
 * back): its body runs on a host-call thread, under its monitor, and the caller's thread does not hold that monitor
 * meanwhile. (Before: the caller held it through the interception, the body's thread waited for it until the
 * timeout, the caller got {@code HostCallTimeoutException} and the body ran on the host after that.)
 */
@Timeout(60)
class SynchronizedToolTest {
  @Test
  void aSynchronizedHostToolRunsItsBodyOnceUnderItsMonitorWithinItsTimeout() throws Throwable {
    Class<?> type = rewritten();
    Object tool = type.getConstructor().newInstance();
    long start = System.nanoTime();
    assertThat(call(tool, "run", String.class, "x")).isEqualTo("ran x locked=true");
    assertThat(call(null, type, "runStatic", String.class, "y")).isEqualTo("ran y locked=true");
    assertThat(System.nanoTime() - start).as("well within the 3 s timeout").isLessThan(2_000_000_000L);
    assertThat(type.getField("bodyRuns").getInt(null)).isEqualTo(2);
  }

  /** A body that throws gives its monitor back: the next calls are not held. */
  @Test
  void aSynchronizedToolThatThrowsReleasesItsMonitor() throws Throwable {
    Class<?> type = rewritten();
    Object tool = type.getConstructor().newInstance();
    for (int i = 0; i < 3; i++) {
      assertThatThrownBy(() -> call(tool, "fail", long.class, 7L)).isInstanceOf(IllegalArgumentException.class)
          .hasMessage("code 7");
    }
    assertThat(call(tool, "fail", long.class, 0L)).isEqualTo(0L);
    assertThat(call(tool, "run", String.class, "z")).isEqualTo("ran z locked=true");
    assertThat(Thread.holdsLock(tool)).isFalse();
  }

  /**
   * The original code's own handlers come first in the exception table: the one that releases the monitor covers
   * the whole body and catches everything, and the JVM takes the first entry that matches. (Before: it was first, so
   * a synchronized tool's own {@code catch} never ran and what it caught was thrown to the caller.)
   */
  @Test
  void aSynchronizedToolsOwnCatchRunsUnderItsMonitor() throws Throwable {
    Class<?> type = rewritten();
    Object tool = type.getConstructor().newInstance();
    assertThat(call(tool, "recover", String.class, "")).isEqualTo("recovered empty locked=true");
    assertThat(call(tool, "recover", String.class, "a")).isEqualTo("ok a");
    assertThat(Thread.holdsLock(tool)).isFalse();
  }

  /**
   * A retransformation cannot change a method's modifiers: a class defined with its synchronized tools unflagged is
   * written so again, and one loaded before the agent (never defined by it) keeps its flags.
   */
  @Test
  void retransformationsKeepTheModifiersTheClassWasDefinedWith() throws Exception {
    ToolTransformer transformer = ToolTransformer.make(new ToolCandidates(), null);
    ClassLoader loader = SyncTools.class.getClassLoader();
    String name = "com/example/synccall/SyncTools";
    assertThat(synchronizedMethods(transformer.transform(null, loader, name, null, null, original()))).isEmpty();
    assertThat(synchronizedMethods(transformer.transform(null, loader, name, SyncTools.class, null, original())))
        .as("retransformed after its definition").isEmpty();
    assertThat(synchronizedMethods(ToolTransformer.make(new ToolCandidates(), null).transform(null, loader, name,
        SyncTools.class, null, original()))).as("loaded before the agent").containsExactlyInAnyOrder("run", "runStatic",
            "fail", "recover");
  }

  private static java.util.List<String> synchronizedMethods(byte[] classFile) {
    java.util.List<String> names = new java.util.ArrayList<>();
    new net.bytebuddy.jar.asm.ClassReader(classFile).accept(new net.bytebuddy.jar.asm.ClassVisitor(
        net.bytebuddy.jar.asm.Opcodes.ASM9) {
      @Override
      public net.bytebuddy.jar.asm.MethodVisitor visitMethod(int access, String method, String descriptor,
          String signature, String[] exceptions) {
        if ((access & net.bytebuddy.jar.asm.Opcodes.ACC_SYNCHRONIZED) != 0) {
          names.add(method);
        }
        return null;
      }
    }, 0);
    return names;
  }

  private static byte[] original() throws java.io.IOException {
    try (InputStream in = SyncTools.class.getClassLoader()
        .getResourceAsStream("com/example/synccall/SyncTools.class")) {
      return in.readAllBytes();
    }
  }

  private Class<?> rewritten() throws Exception {
    byte[] out = ToolTransformer.make(new ToolCandidates(), null).transform(null, SyncTools.class.getClassLoader(),
        "com/example/synccall/SyncTools", null, null, original());
    Map<String, byte[]> classes = Map.of(SyncTools.class.getName(), out);
    ClassLoader loader = new DefiningLoader(getClass().getClassLoader(), classes);
    // Initialising links the class: the verifier checks the rewritten methods.
    return Class.forName(SyncTools.class.getName(), true, loader);
  }

  private static Object call(Object tool, String name, Class<?> parameter, Object arg) throws Throwable {
    return call(tool, tool.getClass(), name, parameter, arg);
  }

  private static Object call(Object tool, Class<?> type, String name, Class<?> parameter, Object arg)
      throws Throwable {
    Method method = type.getMethod(name, parameter);
    try {
      return method.invoke(tool, arg);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }
}
