package dev.airlock.security.fuzz;

import dev.airlock.internal.codec.Codec;
import dev.airlock.internal.wire.FrameType;
import dev.airlock.internal.wire.FrameWriter;
import dev.airlock.internal.wire.Messages;
import dev.airlock.internal.wire.RemoteFailure;
import dev.airlock.security.hostile.KryoBytes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Writes the committed seed corpus of {@link HostDecodingFuzzTest}: honest frames and results plus known attacks.
 * Regenerate after a protocol change: {@code java -cp <test classpath> dev.airlock.security.fuzz.SeedCorpus
 * airlock-security-tests/src/test/resources/dev/airlock/security/fuzz/HostDecodingFuzzTestInputs}.
 */
public final class SeedCorpus {

  private SeedCorpus() {
  }

  public static void main(String[] args) throws IOException {
    Path root = Path.of(args[0]);
    Map<String, byte[]> results = results();
    write(root.resolve("resultDecoding"), results);
    write(root.resolve("framesAndBodies"), frames(results.get("honest-map")));
  }

  private static Map<String, byte[]> results() {
    Map<String, byte[]> seeds = new LinkedHashMap<>();
    Map<String, Object> map = new HashMap<>(Map.of("id", 42L, "when",
        Instant.ofEpochSecond(1_700_000_000L), "amount", new BigDecimal("12.50")));
    seeds.put("honest-map", encode(map));
    seeds.put("honest-collections", encode(new ArrayList<>(List.of(new LinkedList<>(List.of(1, 2)), Set.of("a"),
        new TreeMap<>(Map.of(3, 4)), Optional.of("x"), new int[] {1, 2}, Arrays.asList("y", "z")))));
    seeds.put("honest-string", encode("héllo"));
    List<Object> cycle = new ArrayList<>();
    cycle.add(cycle);
    seeds.put("cycle", encode(cycle));
    seeds.put("gadget-name", KryoBytes.classNamed("org.apache.commons.collections.functors.InvokerTransformer"));
    seeds.put("jdk-gadget-name", KryoBytes.classNamed("com.sun.org.apache.xalan.internal.xsltc.trax.TemplatesImpl"));
    seeds.put("billion-nulls", KryoBytes.collectionOfNulls("java.util.LinkedList", 1_000_000_000));
    seeds.put("billion-entries", KryoBytes.mapDeclaring("java.util.TreeMap", 1_000_000_000));
    List<Object> deep = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      deep = new ArrayList<>(List.of(deep));
    }
    seeds.put("deep", encode(deep));
    return seeds;
  }

  private static Map<String, byte[]> frames(byte[] result) throws IOException {
    Map<String, byte[]> seeds = new LinkedHashMap<>();
    byte[] resultHeader = Messages.resultHeader(7, 2);
    byte[] resultBody = Arrays.copyOf(resultHeader, resultHeader.length + result.length);
    System.arraycopy(result, 0, resultBody, resultHeader.length, result.length);
    RemoteFailure failure = RemoteFailure.of(new IllegalStateException("boom", new RuntimeException("cause")));
    seeds.put("hello", frame(FrameType.HELLO, Messages.hello(new Messages.Hello(1, "0123456789abcdef01234567", 42))));
    seeds.put("invoke", frame(FrameType.INVOKE, Messages.invoke(new Messages.Invoke(7, 1000, 1024, new byte[] {1}))));
    seeds.put("log-then-result", concat(frame(FrameType.LOG, Messages.log(new Messages.Log(true, "line"))),
        frame(FrameType.RESULT, resultBody)));
    seeds.put("error", frame(FrameType.ERROR, Messages.error(new Messages.Error(7,
        dev.airlock.internal.wire.FailureKind.USER_EXCEPTION, failure))));
    seeds.put("shutdown", frame(FrameType.SHUTDOWN, new byte[0]));
    seeds.put("huge-length", new byte[] {0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff, 3, 0, 0});
    seeds.put("cut-short", new byte[] {0, 0, 3, (byte) 0xe8, 3, 1, 2, 3});
    return seeds;
  }

  private static byte[] encode(Object value) {
    return Codec.encodeResult(value, 1024 * 1024);
  }

  private static byte[] frame(FrameType type, byte[] body) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new FrameWriter(out).write(type, body);
    return out.toByteArray();
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] both = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, both, a.length, b.length);
    return both;
  }

  private static void write(Path dir, Map<String, byte[]> seeds) throws IOException {
    Files.createDirectories(dir);
    for (Map.Entry<String, byte[]> seed : seeds.entrySet()) {
      Files.write(dir.resolve(seed.getKey()), seed.getValue());
    }
  }
}
