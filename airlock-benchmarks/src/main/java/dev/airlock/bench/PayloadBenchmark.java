package dev.airlock.bench;

import dev.airlock.SandboxPool;
import dev.airlock.internal.codec.ClassAllowlist;
import dev.airlock.internal.codec.Codec;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Figure 5: a document of about {@code bytes} sent as argument and returned as result through a warm worker, and
 * the in-process round trip of the same graph through Airlock's Kryo codec against Java serialization.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class PayloadBenchmark {
  private static final ClassAllowlist ALLOWLIST = ClassAllowlist.of(List.of("dev.airlock.bench.*"));

  @Param({"1024", "102400", "1048576", "10485760"})
  public int bytes;

  private Document document;

  @Setup
  public void makeDocument() {
    document = Document.ofAbout(bytes);
  }

  /**
   * The warm worker of the sandboxed echo, a state of its own so that only that benchmark starts one: the in-process
   * round trips had shared the machine's two cores with a worker's start and its first call.
   */
  @State(Scope.Benchmark)
  public static class Sandbox {
    SandboxPool pool;

    @Setup
    public void start() {
      pool = Pools.warm(1, true);
    }

    @TearDown
    public void stop() {
      pool.close();
    }
  }

  @Benchmark
  public Document sandboxEcho(Sandbox sandbox) {
    return sandbox.pool.call(new Echo(document));
  }

  @Benchmark
  public Object kryoRoundTrip() {
    return Codec.decodeResult(Codec.encodeResult(document, Pools.MAX_BYTES), ALLOWLIST);
  }

  @Benchmark
  public Object javaSerializationRoundTrip() throws IOException, ClassNotFoundException {
    ByteArrayOutputStream bytesOut = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytesOut)) {
      out.writeObject(document);
    }
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytesOut.toByteArray()))) {
      return in.readObject();
    }
  }
}
