package dev.airlock.internal.intercept;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.airlock.AirlockConfig;
import dev.airlock.SandboxPool;
import dev.airlock.SandboxUnavailableException;
import dev.airlock.annotation.Airlock;
import java.lang.reflect.Method;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Attack review 35: two annotations of one method's hierarchy that do not override each other. The rule took the
 * first one found, so the order of declarations decided whether a tool whose interface requires a sandbox ran on the
 * host: {@code class B implements HostTool, ShellTool} ran {@code ShellTool.run} on the host, unsandboxed, with no
 * warning ({@code implements ShellTool, HostTool} sandboxed it), and so did {@code class A extends Base implements
 * ShellTool}, whose inherited {@code Base.run} is a host tool written without {@code ShellTool} in mind. Checked with
 * the java agent and a real worker: {@code base:HOST}, {@code B:HOST}, {@code B2:sandbox}. Such a call is now refused;
 * an override's own annotation (declared below the stricter one) still replaces it, as before.
 */
@Timeout(30)
class ConflictingAirlockTest {

  public interface ShellTool {
    @Airlock(sandbox = true, sandboxRequired = true)
    String run(String command);
  }

  public interface HostTool {
    @Airlock(sandbox = false)
    String run(String command);
  }

  public interface ApprovedTool {
    @Airlock(sandbox = false, approval = true)
    String run(String command);
  }

  public static class Base {
    @Airlock(sandbox = false)
    public String run(String command) {
      return "base";
    }
  }

  /** Base.run, a host tool, implements ShellTool.run for A. */
  public static class A extends Base implements ShellTool {
  }

  public static class HostFirst implements HostTool, ShellTool {
    @Override
    public String run(String command) {
      return "host first";
    }
  }

  public static class ShellFirst implements ShellTool, HostTool {
    @Override
    public String run(String command) {
      return "shell first";
    }
  }

  /** A host tool whose sibling interface requires a person's approval. */
  public static class Unapproved implements HostTool, ApprovedTool {
    @Override
    public String run(String command) {
      return "unapproved";
    }
  }

  /** The class that brings them together says what it needs: no conflict. */
  public static class Decided extends Base implements ShellTool {
    @Airlock(sandbox = true, sandboxRequired = true)
    @Override
    public String run(String command) {
      return "decided";
    }
  }

  /** An override's own annotation replaces the stricter one it overrides, deliberately (SuperCallTest's shape). */
  public static class HostOverride implements ShellTool {
    @Airlock(sandbox = false)
    @Override
    public String run(String command) {
      return "host override";
    }
  }

  /** A class-level requirement, and one method that opts out with its own annotation. */
  @Airlock(sandbox = true, sandboxRequired = true)
  public static class ClassLevel {
    public String sandboxed() {
      return "sandboxed";
    }

    @Airlock(sandbox = false)
    public String onHost() {
      return "host";
    }
  }

  /** A class-level requirement on a class whose method implements a host tool's interface method. */
  @Airlock(sandbox = true, sandboxRequired = true)
  public static class RequiredClass implements HostTool {
    @Override
    public String run(String command) {
      return "required class";
    }
  }

  @Test
  void annotationsThatDoNotOverrideEachOtherAndDisagreeAreAConflict() throws Exception {
    assertThat(conflict(A.class, Base.class.getMethod("run", String.class)))
        .contains("Base.run (sandbox = false)").contains("ShellTool.run (sandbox = true, sandboxRequired = true)")
        .contains("declare the method in A");
    assertThat(conflict(A.class, ShellTool.class.getMethod("run", String.class))).isNotNull();
    assertThat(conflict(HostFirst.class, HostFirst.class.getMethod("run", String.class))).isNotNull();
    assertThat(conflict(Unapproved.class, Unapproved.class.getMethod("run", String.class)))
        .contains("approval = true");
    assertThat(conflict(RequiredClass.class, RequiredClass.class.getMethod("run", String.class)))
        .contains("class-level @Airlock of " + RequiredClass.class.getName());
  }

  @Test
  void theStricterFoundFirstOrAnAnnotationDeclaredBelowIsNoConflict() throws Exception {
    assertThat(conflict(ShellFirst.class, ShellFirst.class.getMethod("run", String.class))).isNull();
    assertThat(EffectiveAirlock.of(ShellFirst.class, ShellFirst.class.getMethod("run", String.class))
        .orElseThrow().airlock().sandboxRequired()).isTrue();
    assertThat(conflict(Decided.class, Decided.class.getMethod("run", String.class))).isNull();
    assertThat(conflict(HostOverride.class, HostOverride.class.getMethod("run", String.class))).isNull();
    assertThat(conflict(ClassLevel.class, ClassLevel.class.getMethod("onHost"))).isNull();
    assertThat(conflict(ClassLevel.class, ClassLevel.class.getMethod("sandboxed"))).isNull();
    assertThat(conflict(Base.class, Base.class.getMethod("run", String.class))).isNull();
  }

  @Test
  void aConflictingCallIsRefusedAndItsBodyNeverRuns() throws Exception {
    AtomicInteger bodies = new AtomicInteger();
    AtomicInteger pools = new AtomicInteger();
    AirlockInterceptor interceptor = new AirlockInterceptor(new AirlockInterceptor.PoolResolver() {
      @Override
      public AirlockConfig config() {
        return AirlockConfig.defaults();
      }

      @Override
      public SandboxPool pool(String backend, int memoryMb) {
        pools.incrementAndGet();
        throw new AssertionError("nothing is shipped");
      }
    });
    for (Object receiver : new Object[] {new A(), new HostFirst(), new Unapproved()}) {
      Method run = receiver.getClass().getMethod("run", String.class);
      assertThatThrownBy(() -> interceptor.intercept(receiver, run, new Object[] {"id"}, () -> {
        bodies.incrementAndGet();
        return "ran";
      })).isInstanceOf(SandboxUnavailableException.class).hasMessageContaining("order of declarations");
    }
    assertThat(bodies).as("bodies run on the host").hasValue(0);
    assertThat(pools).hasValue(0);
    assertThat(interceptor.auditLog().counts().get("error")).isEqualTo(3L);
  }

  private static String conflict(Class<?> target, Method method) {
    return EffectiveAirlock.of(target, method).orElseThrow().conflict();
  }
}
