package dev.airlock.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.esotericsoftware.kryo.kryo5.io.Output;
import dev.airlock.SandboxProtocolException;
import dev.airlock.SandboxedCodeException;
import dev.airlock.internal.codec.ClassAllowlist;
import dev.airlock.internal.codec.Codec;
import dev.airlock.internal.codec.ExceptionRebuilder;
import dev.airlock.internal.wire.FailureKind;
import dev.airlock.internal.wire.Messages;
import dev.airlock.internal.wire.RemoteFailure;
import java.time.LocalDate;
import java.util.ConcurrentModificationException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Attack review 4. Asking a class loader about a name leaves a lock object for that name in the loader for good
 * ({@code ClassLoader.getClassLoadingLock}: the JDK's loaders and the application's are parallel-capable and never
 * drop one), whether the class exists or not. The host asked its loaders about names a worker chose: the class names
 * of an exception record shaped like JDK exceptions (17 a call, 16 Ki chars each) and result class names admitted by
 * a pattern ({@code java.time.}, a package wildcard in {@code airlock.allowed-classes}). 200 failed calls kept 52 MiB
 * of the host's heap for ever, 1,000 refused results 16 MiB. A name a worker chose is now looked up only once a class
 * file of that name exists, which is asked of the JDK's module image (or, for a wildcard, the class path) without any
 * loader keeping the name.
 */
class ClassNameLookupGrowthTest {
  private static final String PAD = "Q".repeat(16_000);
  private static final long RETAINED_BOUND = 6L * 1024 * 1024;

  @Test
  void namesShapedLikeJdkExceptionsInExceptionRecordsAreNotKeptByTheHost() {
    long before = HostMemory.retainedHeap();
    for (int call = 0; call < 200; call++) {
      RemoteFailure failure = null;
      for (int link = 0; link < 17; link++) {
        failure = new RemoteFailure("java.lang." + PAD + call + "x" + link + "Exception", "m", List.of(), failure);
      }
      byte[] frame = Messages.error(new Messages.Error(call, FailureKind.USER_EXCEPTION, failure));

      Throwable rebuilt = ExceptionRebuilder.rebuild(Messages.error(frame).failure());

      assertThat(rebuilt).isInstanceOf(SandboxedCodeException.class);
    }
    long retained = HostMemory.retainedHeap() - before;

    assertThat(retained).as("kept by the host: %s", HostMemory.mib(retained)).isLessThan(RETAINED_BOUND);
  }

  @Test
  void resultClassNamesAdmittedByThePrefixJavaTimeAreNotKeptByTheHost() {
    long before = HostMemory.retainedHeap();
    for (int call = 0; call < 1000; call++) {
      byte[] result = naming("java.time." + PAD + call);

      Throwable thrown = catchThrowable(() -> Codec.decodeResult(result, ClassAllowlist.of(List.of())));

      assertThat(thrown).isInstanceOf(SandboxProtocolException.class);
    }
    long retained = HostMemory.retainedHeap() - before;

    assertThat(retained).as("kept by the host: %s", HostMemory.mib(retained)).isLessThan(RETAINED_BOUND);
  }

  @Test
  void realNamesStillResolve() {
    RemoteFailure failure = new RemoteFailure(ConcurrentModificationException.class.getName(), "as thrown", List.of(),
        null);
    assertThat(ExceptionRebuilder.rebuild(failure)).isInstanceOf(ConcurrentModificationException.class)
        .hasMessage("as thrown");
    LocalDate date = LocalDate.of(2026, 12, 2);
    assertThat(Codec.decodeResult(Codec.encodeResult(date, 1024), ClassAllowlist.of(List.of()))).isEqualTo(date);
    List<String> wildcard = List.of(ClassNameLookupGrowthTest.class.getPackageName() + ".*");
    Object admitted = Codec.decodeResult(Codec.encodeResult(new Admitted("x"), 1024), ClassAllowlist.of(wildcard));
    assertThat(admitted).isEqualTo(new Admitted("x"));
  }

  record Admitted(String name) {
  }

  /** Result bytes whose one object names {@code className}. */
  private static byte[] naming(String className) {
    Output out = new Output(64, -1);
    out.writeVarInt(1, true); // by name
    out.writeVarInt(0, true); // the first name of the graph
    out.writeString(className);
    return out.toBytes();
  }
}
