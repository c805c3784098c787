package dev.airlock.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.airlock.UnshippableInvocationException;
import dev.airlock.annotation.ShipFields;
import dev.airlock.SandboxCall;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A lambda or anonymous class shipped as the receiver carries what it captured. Capturing {@code this} of a
 * stateful service without {@link ShipFields} must not smuggle the whole service into the sandbox: every captured
 * object passes the same opt-in as a receiver.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CapturedReceiverTest {

  /** A stateful service without @ShipFields; its state is no secret by name or shape, just not asked for. */
  public static final class ReportService {
    private final String internalHost = "db-7.corp.internal";

    public SandboxCall<String> viaLambda() {
      return () -> "len " + internalHost.length();
    }

    public SandboxCall<String> viaAnonymousClass() {
      return new SandboxCall<String>() {
        @Override
        public String call() {
          return "len " + internalHost.length();
        }
      };
    }

    /** A lambda capturing a lambda that captures this. */
    public SandboxCall<String> viaNestedLambda() {
      SandboxCall<String> inner = () -> internalHost;
      return () -> inner.call();
    }

    /** this, held in an array the lambda captured: the array is no opt-in of the service's. */
    public SandboxCall<String> viaCapturedArray() {
      ReportService[] holder = {this};
      return () -> "len " + holder[0].internalHost.length();
    }

    /** this, held in a JDK list or an AtomicReference the lambda captured. */
    public SandboxCall<String> viaCapturedList() {
      List<ReportService> holder = List.of(this);
      return () -> "len " + holder.get(0).internalHost.length();
    }

    public SandboxCall<String> viaCapturedReference() {
      AtomicReference<ReportService> holder = new AtomicReference<>(this);
      return () -> "len " + holder.get().internalHost.length();
    }

    /** this, held in the application's own list class, which declares no field of its own. */
    public SandboxCall<String> viaCapturedListSubclass() {
      Holder holder = new Holder();
      holder.add(this);
      return () -> "len " + holder.get(0).internalHost.length();
    }

    /** A local class (named, not anonymous): the compiler's this$0 carries the whole service. */
    public SandboxCall<String> viaLocalClass() {
      class Task implements SandboxCall<String> {
        @Override
        public String call() {
          return "len " + internalHost.length();
        }
      }
      return new Task();
    }

    /** An inner (non-static member) class, whose this$0 is the service. */
    public SandboxCall<String> viaInnerClass() {
      return new InnerTask();
    }

    final class InnerTask implements SandboxCall<String> {
      @Override
      public String call() {
        return "len " + internalHost.length();
      }
    }

    /** A local class capturing a local variable that holds a service: the compiler's val$ field. */
    public SandboxCall<String> viaLocalClassCapturingAVariable() {
      ReportService service = new ReportService();
      class Task implements SandboxCall<String> {
        @Override
        public String call() {
          return "len " + service.internalHost.length();
        }
      }
      return new Task();
    }

    /** The fix the error names: copy the value into a local before the lambda. */
    public SandboxCall<String> viaLocalCopy() {
      String host = internalHost;
      return () -> "len " + host.length();
    }
  }

  /** A list of the application's, not the JDK's: no state of its own, its elements are what it holds. */
  public static final class Holder extends java.util.ArrayList<ReportService> {
    private static final long serialVersionUID = 1L;
  }

  /** A receiver that is itself the application's list: it declares no field, and holds the service as an element. */
  public static final class Batch extends java.util.ArrayList<ReportService> implements SandboxCall<String> {
    private static final long serialVersionUID = 1L;

    @Override
    public String call() {
      return "len " + get(0).internalHost.length();
    }
  }

  @ShipFields
  public static final class OptedIn {
    private final String region = "eu";

    public SandboxCall<String> task() {
      return () -> "region " + region;
    }
  }

  @Test
  void aCapturedStatefulThisIsRefusedNamingItsClassFieldsAndFix() throws Exception {
    ReportService service = new ReportService();
    SoftAssertions softly = new SoftAssertions();
    try (HostilePool hostile = new HostilePool()) {
      for (SandboxCall<String> task : List.of(service.viaLambda(), service.viaAnonymousClass(), service.viaNestedLambda(),
          service.viaCapturedArray(), service.viaCapturedList(), service.viaCapturedReference(),
          service.viaCapturedListSubclass(), batchOf(service),
          service.viaLocalClass(), service.viaInnerClass(), service.viaLocalClassCapturingAVariable())) {
        Throwable refused = catchThrowable(() -> hostile.pool.call(task));

        softly.assertThat(refused).as(task.getClass().getName()).isExactlyInstanceOf(UnshippableInvocationException.class)
            .hasMessageContaining(ReportService.class.getName()).hasMessageContaining("internalHost")
            .hasMessageContaining("@ShipFields").hasMessageContaining("local variable")
            .hasMessageContaining("static");
      }
      softly.assertAll();
      assertThat(hostile.backend.processes()).as("refused before any worker was involved").isEmpty();
    }
  }

  private static Batch batchOf(ReportService service) {
    Batch batch = new Batch();
    batch.add(service);
    return batch;
  }

  @Test
  void capturedPlainValuesAndOptedInReceiversStillShip() throws Throwable {
    try (HostilePool hostile = new HostilePool()) {
      assertThat(hostile.pool.call(new ReportService().viaLocalCopy())).isEqualTo("len 18");
      assertThat(hostile.pool.call(new OptedIn().task())).isEqualTo("region eu");
    }
  }
}
