package dev.airlock.internal.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.ClassLoadLog;
import dev.airlock.internal.wire.FrameType;
import dev.airlock.internal.wire.FrameWriter;
import dev.airlock.internal.wire.Messages;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What a worker's warm-up loads is paid by every worker before it is listed idle, and while a pool starts at once on
 * two cores it is what a call 1 s after the application's start waits for (issue 15). Read off a fresh JVM's class
 * loading as it serves one WARM_UP: no SLF4J (its provider lookup opened every jar of the classpath, about 7 ms of a
 * 25 ms warm-up, for Kryo's chatter about JDK internals) and no record method linked through
 * {@code ObjectMethods} (a map key's {@code hashCode}, about 3 ms).
 */
@Timeout(60)
class WarmUpLoadsTest {

  @Test
  void aWorkersWarmUpLoadsNeitherSlf4jNorRecordMethodBootstraps() throws Exception {
    List<String> loaded = ClassLoadLog.classes(ClassLoadLog.run(ServeOneWarmUp.class,
        System.getProperty("java.class.path")));
    assertThat(loaded).as("the warm-up ran").contains("dev.airlock.internal.worker.warmup.WarmUpCall");
    assertThat(loaded).as("SLF4J, loaded by the warm-up").noneMatch(name -> name.startsWith("org.slf4j."));
    assertThat(loaded).as("record methods linked by the warm-up").doesNotContain("java.lang.runtime.ObjectMethods");
  }

  /** A fresh JVM serving the worker protocol: one WARM_UP, then the end of its input, on which it halts. */
  static final class ServeOneWarmUp {
    public static void main(String[] args) throws Exception {
      ByteArrayOutputStream frames = new ByteArrayOutputStream();
      new FrameWriter(frames).write(FrameType.WARM_UP, Messages.warmUp(7));
      WorkerMain.serve(new ByteArrayInputStream(frames.toByteArray()), OutputStream.nullOutputStream());
    }
  }
}
