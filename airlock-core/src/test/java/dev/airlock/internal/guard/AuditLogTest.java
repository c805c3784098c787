package dev.airlock.internal.guard;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.airlock.internal.egress.EgressReport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The audit record's JSON is written by Jackson's generator and its argument hash by a MAC kept per thread: the line
 * must be the one a Jackson tree gives for any value (escapes included), and the hash must not depend on which thread
 * or how many threads at once made it.
 */
class AuditLogTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  @Test
  void theLineIsTheJsonAJacksonTreeWritesForHostileValues() throws Exception {
    String hostile = "a\"b\\c\nd\re\u0000f\u2028g}{\"outcome\":\"success\"";
    EgressReport egress = new EgressReport(List.of("api.example.com:443", hostile), 120, 4096, List.of(hostile));
    AuditLog.Entry entry = new AuditLog.Entry(hostile, null, hostile, "error", hostile, "local",
        Duration.ofMillis(1234), "hmac:0123456789abcdef", egress);

    ObjectNode tree = MAPPER.createObjectNode();
    tree.put("tool", hostile).putNull("agent");
    tree.put("session", hostile).put("outcome", "error").put("reason", hostile).put("backend", "local")
        .put("durationMs", 1234L).put("argumentHash", "hmac:0123456789abcdef");
    ObjectNode e = tree.putObject("egress");
    e.putArray("hostsContacted").add("api.example.com:443").add(hostile);
    e.put("bytesUp", 120L).put("bytesDown", 4096L);
    e.putArray("refused").add(hostile);

    // The guard's JSON: Jackson's, with U+2028/9, C1 and bidi controls escaped as well (attack review 9).
    assertThat(entry.toJson()).isEqualTo(GuardJson.write(tree)).doesNotContain("\n").doesNotContain("\r")
        .doesNotContain("\u2028").contains("f\\u2028g");
    assertThat(MAPPER.readTree(entry.toJson()).get("tool").asText()).isEqualTo(hostile);
  }

  /** Taken while a sandboxed call runs, then read by its record: the same hash, computed once. */
  @Test
  void anArgumentHashTakenBeforeTheRecordIsTheRecordsHash() {
    Object[] args = {"text", 7, List.of("a", "b")};
    ArgumentHash early = new ArgumentHash(args);
    early.run();
    String taken = early.value();
    assertThat(taken).isEqualTo(AuditLog.hash(args));
    assertThat(early.value()).as("hashed once").isSameAs(taken);
    assertThat(new AuditLog().record("t", "success", null, "local", Duration.ZERO, early, null, null)
        .argumentHash()).isSameAs(taken);
  }

  @Test
  void theHashIsTheSameOnEveryThreadAndDiffersForOtherArguments() throws Exception {
    Object[] args = {"text", 7, List.of("a", "b")};
    String expected = AuditLog.hash(args);
    assertThat(expected).matches("hmac:[0-9a-f]{16}");
    assertThat(AuditLog.hash(args)).as("the kept MAC is reset after each record").isEqualTo(expected);
    assertThat(AuditLog.hash(new Object[] {"text", 8, List.of("a", "b")})).isNotEqualTo(expected);

    int threads = 8;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch go = new CountDownLatch(1);
      Set<String> seen = ConcurrentHashMap.newKeySet();
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int n = t;
        done.add(pool.submit(() -> {
          go.await();
          for (int i = 0; i < 500; i++) {
            seen.add(AuditLog.hash(args));
            assertThat(AuditLog.hash(new Object[] {"other", n, i})).isNotEqualTo(expected);
          }
          return null;
        }));
      }
      go.countDown();
      for (Future<?> f : done) {
        f.get(60, TimeUnit.SECONDS);
      }
      assertThat(seen).containsExactly(expected);
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * The hash is what shows, in an approval's records and the call's, that the call ran with the arguments a person
   * approved (or how an edit changed them). Hashed as their printed text, {@code ("a, b", "c")} and
   * {@code ("a", "b, c")} were both {@code [a, b, c]}: a model could make a call whose record matched another's
   * (attack review 26).
   */
  @Test
  void argumentsThatPrintAlikeHashApart() {
    List<Object[][]> pairs = List.of(
        new Object[][] {{"alice, eve@evil.example", "hi"}, {"alice", "eve@evil.example, hi"}},
        new Object[][] {{List.of("alice, eve")}, {List.of("alice", "eve")}},
        new Object[][] {{Map.of("to", "a=b")}, {Map.of("to=a", "b")}},
        new Object[][] {{new Object[] {null}}, {new Object[] {"null"}}},
        new Object[][] {{List.of(5)}, {List.of("5")}},
        new Object[][] {{List.of(new BitSet())}, {List.of("(a BitSet)")}},
        new Object[][] {{"a\", \"b"}, {"a", "b"}},
        new Object[][] {{"a\\", "b"}, {"a\\\", \"b"}},
        new Object[][] {{Optional.of("x]")}, {Optional.of("x")}});
    for (Object[][] pair : pairs) {
      assertThat(AuditLog.hash(pair[0])).as(Arrays.deepToString(pair)).isNotEqualTo(AuditLog.hash(pair[1]));
    }
  }
}
