package dev.airlock.internal.mcp.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.airlock.AirlockConfig;
import dev.airlock.SandboxPool;
import dev.airlock.annotation.Airlock;
import dev.airlock.internal.intercept.AirlockInterceptor;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.TextContent;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which methods become tools, under which names and schemas, and how arguments are converted. */
class ServedToolTest {
  private static final AirlockInterceptor HOST_ONLY = new AirlockInterceptor(new AirlockInterceptor.PoolResolver() {
    @Override
    public AirlockConfig config() {
      return AirlockConfig.defaults();
    }

    @Override
    public SandboxPool pool(String backend, int memoryMb) {
      throw new AssertionError("these tools run on the host");
    }
  });

  /** Any annotation named Nullable (JSpecify's, JSR 305's, Spring's) makes a parameter optional. */
  @java.lang.annotation.Retention(java.lang.annotation.RetentionPolicy.RUNTIME)
  @interface Nullable {
  }

  /** A class-level @Airlock governs every public method; the plain helper too, Object's methods not. */
  @Airlock(timeoutSeconds = 5)
  public static class Notes {
    final AtomicInteger calls = new AtomicInteger();

    public String add(String text, Optional<String> tag, @Nullable Integer priority) {
      calls.incrementAndGet();
      return text + "|" + tag.orElse("-") + "|" + priority;
    }

    public long count(long[] values) {
      return values.length;
    }

    public void clear() {
      calls.set(0);
    }
  }

  /** A base type whose JSON names the class to make: a client must not get to choose it. */
  @com.fasterxml.jackson.annotation.JsonTypeInfo(use = com.fasterxml.jackson.annotation.JsonTypeInfo.Id.CLASS)
  public abstract static class Shape {
  }

  /** The one subtype; even it is refused when named by class. */
  public static class Circle extends Shape {
    public int radius;
  }

  /** Takes a polymorphic argument. */
  public static class Drawing {
    final AtomicInteger calls = new AtomicInteger();

    @Airlock
    public String draw(Shape shape) {
      calls.incrementAndGet();
      return shape.getClass().getSimpleName();
    }
  }

  /** Two methods named alike: no unique tool name. */
  public interface ShellTool {
    @Airlock(sandbox = true, sandboxRequired = true)
    String shell(String command);
  }

  public interface HostShell {
    @Airlock
    String shell(String command);
  }

  /** Two annotations that do not override each other: the order of the implements clause chose a host run. */
  public static class Conflicting implements HostShell, ShellTool {
    @Override
    public String shell(String command) {
      return command;
    }
  }

  public static class Overloaded {
    @Airlock
    public String run(String a) {
      return a;
    }

    @Airlock
    public String run(int a) {
      return String.valueOf(a);
    }
  }

  /** No @Airlock at all. */
  public static class Plain {
    public String run() {
      return "";
    }
  }

  @Test
  void aClassLevelAirlockServesEveryPublicMethodWithOptionalAndNullableArgumentsNotRequired() {
    List<ServedTool> tools = ServedTool.of(List.of(new Notes()), HOST_ONLY, McpJson.wire(64 * 1024));
    assertThat(tools).extracting(ServedTool::name).containsExactly("add", "clear", "count");
    Map<String, Object> schema = tools.get(0).tool().inputSchema();
    assertThat(schema).containsEntry("required", List.of("text"));
    assertThat(tools.get(2).tool().inputSchema().get("properties").toString()).contains("type=array")
        .contains("items={type=integer");
    CallToolResult cleared = tools.get(1).call(null);
    assertThat(cleared.isError()).isFalse();
    assertThat(text(cleared)).isEqualTo("null");
  }

  @Test
  void argumentsAreConvertedStrictlyAndAbsentOptionalsAreEmpty() {
    Notes notes = new Notes();
    ServedTool add = ServedTool.of(List.of(notes), HOST_ONLY, McpJson.wire(64 * 1024)).get(0);
    assertThat(text(add.call(Map.of("text", "hi")))).isEqualTo("hi|-|null");
    assertThat(text(add.call(Map.of("text", "hi", "tag", "x", "priority", 2)))).isEqualTo("hi|x|2");
    CallToolResult coerced = add.call(Map.of("text", "hi", "priority", "2"));
    assertThat(coerced.isError()).isTrue();
    assertThat(text(coerced)).contains("\"error\":\"InvalidArguments\"", "argument 'priority'");
    CallToolResult fraction = add.call(Map.of("text", "hi", "priority", 2.5));
    assertThat(fraction.isError()).isTrue();
    CallToolResult unknown = add.call(Map.of("text", "hi", "command", "id"));
    assertThat(text(unknown)).contains("unknown arguments [command]", "[text, tag, priority]");
    assertThat(notes.calls).as("no refused call reached the method").hasValue(2);
  }

  @Test
  void noArgumentNamesTheClassJacksonMakes() {
    Drawing drawing = new Drawing();
    ServedTool draw = ServedTool.of(List.of(drawing), HOST_ONLY, McpJson.wire(64 * 1024)).get(0);
    CallToolResult named = draw.call(Map.of("shape", Map.of("@class", Circle.class.getName(), "radius", 1)));
    assertThat(named.isError()).isTrue();
    assertThat(text(named)).contains("argument 'shape'");
    assertThat(drawing.calls).hasValue(0);
  }

  /** Returns what a careless tool returns: the environment, as a map. */
  public static class Environment {
    @Airlock(timeoutSeconds = 5)
    public Map<String, String> variables() {
      return Map.of("HOME", "/home/ann", "AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    }
  }

  @Test
  void aSecretInAMapResultIsMaskedBeforeItBecomesTheClientsJson() {
    // Attack review 17: masked as text, "AWS_SECRET_ACCESS_KEY=..." is; as a map it passed, and the client read
    // {"AWS_SECRET_ACCESS_KEY":"wJalr..."}.
    dev.airlock.AirlockPolicy masked = dev.airlock.AirlockPolicy.builder().build();
    AirlockInterceptor guarded = new AirlockInterceptor(new AirlockInterceptor.PoolResolver() {
      @Override
      public AirlockConfig config() {
        return AirlockConfig.defaults();
      }

      @Override
      public SandboxPool pool(String backend, int memoryMb) {
        throw new AssertionError("these tools run on the host");
      }
    }, new dev.airlock.internal.guard.Guard(name -> Optional.of(masked),
        new dev.airlock.internal.guard.InProcessRateLimitStore(), java.time.Clock.systemUTC()));
    ServedTool variables = ServedTool.of(List.of(new Environment()), guarded, McpJson.wire(64 * 1024)).get(0);
    CallToolResult result = variables.call(Map.of());
    assertThat(result.isError()).isFalse();
    String text = ((TextContent) result.content().get(0)).text();
    assertThat(text).contains("\"HOME\":\"/home/ann\"").contains("\"AWS_SECRET_ACCESS_KEY\":\"[REDACTED]\"")
        .doesNotContain("wJalr");
    assertThat(String.valueOf(result.structuredContent())).doesNotContain("wJalr");
  }

  /** Returns what its sandbox chose: a guest's result. */
  public static class Flooding {
    @Airlock(sandbox = true, sandboxRequired = true, timeoutSeconds = 60)
    public Map<String, String> report() {
      return Map.of("report", "\u0001".repeat(4 * 1024 * 1024));
    }

    @Airlock(sandbox = true, sandboxRequired = true, timeoutSeconds = 60)
    public String text() {
      return "\u0001".repeat(4 * 1024 * 1024);
    }
  }

  /**
   * Attack review 21: a sandboxed tool's result became the client's JSON whole, whatever its size, though a client's
   * message is bounded. Four MiB of U+0001 from a worker (four MiB on the wire) cost the calling thread 135 MiB to
   * make a 24-million-character text and its structured copy, before the SDK wrote the answer again, escaped once
   * more: 10 MiB took 780 MiB of the server's heap. A result's text is bounded as a client's message is.
   */
  @Test
  void aSandboxedResultLargerThanAMessageIsRefusedWithoutBeingWrittenOut() {
    var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    for (ServedTool tool : ServedTool.of(List.of(new Flooding()), AirlockInterceptor.shared(),
        McpJson.wire(64 * 1024))) {
      long before = threads.getCurrentThreadAllocatedBytes();
      CallToolResult result = tool.call(Map.of());
      long allocated = threads.getCurrentThreadAllocatedBytes() - before;

      assertThat(result.isError()).as(tool.name()).isTrue();
      String text = ((TextContent) result.content().get(0)).text();
      assertThat(text).contains("ResultTooLarge").contains("65536").contains("maxMessageBytes");
      assertThat(text.length()).isLessThan(1024);
      assertThat(result.structuredContent()).isNull();
      // Reading the 4 MiB frame and decoding its text is a few copies of it, more or fewer with what ran earlier in
      // this JVM (32-42 MiB measured); the text and its structured copy had cost 135 MiB.
      assertThat(allocated).as(tool.name() + ": bytes the calling thread allocated").isLessThan(64L * 1024 * 1024);
    }
  }

  /** Returns what its sandbox chose: the most values a result's bytes pay for, most of them nulls. */
  public static class Padded {
    @Airlock(sandbox = true, sandboxRequired = true, timeoutSeconds = 60)
    public List<Object> rows() {
      // Guest code: 9 MB of large longs after them pays the decode's budget (three values per byte) for 25 million
      // nulls, which Kryo sends as one flag a list; no list is longer than the bytes left after it.
      long[] padding = new long[1_000_000];
      java.util.Arrays.fill(padding, Long.MAX_VALUE);
      List<Object> nulls = java.util.Collections.nCopies(8_500_000, null);
      return List.of(new java.util.ArrayList<>(nulls), new java.util.ArrayList<>(nulls),
          new java.util.ArrayList<>(nulls), padding);
    }
  }

  /**
   * Attack review 25: the result's text was bounded, but the server first made the whole result a JSON tree: 25
   * million nulls (about the most a 9 MB result may decode to) became a tree of as many nodes and the token buffer
   * it was built through, 411 MiB allocated on the calling thread. The result is written straight into its bounded
   * text; only a result that fits is converted again, for its structured content.
   */
  @Test
  void aResultOfManyValuesIsRefusedWithoutBecomingATree() {
    Measured call = Measured.call(new Padded());

    assertThat(call.text()).contains("ResultTooLarge");
    // A result this large is decoded on a thread of its own; this one only writes the text (411 MiB before).
    assertThat(call.allocated()).as("bytes the calling thread allocated").isLessThan(128L * 1024 * 1024);
  }

  /** One call of a sandboxed tool served with 64 KiB messages, and what it allocated on the calling thread. */
  private record Measured(String text, long allocated) {
    static Measured call(Object tools) {
      var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
      ServedTool tool = ServedTool.of(List.of(tools), AirlockInterceptor.shared(), McpJson.wire(64 * 1024)).get(0);
      long before = threads.getCurrentThreadAllocatedBytes();
      long start = System.nanoTime();
      CallToolResult result = tool.call(Map.of());
      long allocated = threads.getCurrentThreadAllocatedBytes() - before;
      String text = ((TextContent) result.content().get(0)).text();
      org.slf4j.LoggerFactory.getLogger(ServedToolTest.class).info("{}: {} MiB allocated in {} ms: {}",
          tools.getClass().getSimpleName(), allocated / (1024 * 1024), (System.nanoTime() - start) / 1_000_000, text);
      return new Measured(text, allocated);
    }
  }

  /** Returns what its sandbox chose: a map whose keys are lists of nulls, which JSON can only write as text. */
  public static class KeyedByLists {
    @Airlock(sandbox = true, sandboxRequired = true, timeoutSeconds = 60)
    public Map<Object, Object> rows() {
      // Guest code: as Padded, but the lists of nulls are the keys of a map, not its values. Declared with keys of any
      // type: a Map<String, Object> holding them is refused before it is written (ResultTypes).
      long[] padding = new long[1_000_000];
      java.util.Arrays.fill(padding, Long.MAX_VALUE);
      Map<Object, Object> rows = new java.util.HashMap<>();
      for (int i = 0; i < 3; i++) {
        // Kryo sends a list of nulls only as one flag; lengths apart, so the keys differ.
        rows.put(new java.util.ArrayList<>(java.util.Collections.nCopies(8_500_000 - i, null)), i == 0 ? padding : i);
      }
      return rows;
    }
  }

  /** An application's result type whose extra properties are a map, written by Jackson among its own. */
  public static class Extras {
    public String name = "extras";
    public Map<Object, Object> extra = new java.util.HashMap<>();

    @com.fasterxml.jackson.annotation.JsonAnyGetter
    public Map<Object, Object> extra() {
      return extra;
    }
  }

  /** Returns what its sandbox chose: an object whose any-getter's keys are lists of nulls. */
  public static class ExtrasByLists {
    @Airlock(sandbox = true, sandboxRequired = true, timeoutSeconds = 60)
    public Extras rows() {
      // Guest code: as KeyedByLists, the padding last, since a list may declare no more elements than bytes follow.
      Extras extras = new Extras();
      extras.extra = new java.util.LinkedHashMap<>();
      for (int i = 0; i < 3; i++) {
        extras.extra.put(new java.util.ArrayList<>(java.util.Collections.nCopies(8_500_000 - i, null)), i);
      }
      long[] padding = new long[1_000_000];
      java.util.Arrays.fill(padding, Long.MAX_VALUE);
      extras.extra.put("padding", padding);
      return extras;
    }
  }

  /**
   * Attack review 36: Jackson writes a map key that is not text as its {@code toString()}, made whole before a
   * character of it is written: a key of 8.5 million nulls became a 51-million-character name on the calling thread.
   * An application type's {@code @JsonAnyGetter} map is written with a map writer Jackson makes for it, the same way.
   */
  @Test
  void aResultKeyedByValuesIsRefusedWithoutPrintingTheKeys() {
    for (Object tools : List.of(new KeyedByLists(), new ExtrasByLists())) {
      Measured call = Measured.call(tools);

      assertThat(call.text()).contains("ResultTooLarge");
      // Reading the 7 MB frame is most of it (54 MiB measured); printing the first key had cost 443 MiB, and 250 MiB
      // once only its name was bounded (Jackson's map writer printed it again for the path of the text's refusal).
      assertThat(call.allocated()).as("bytes the calling thread allocated").isLessThan(100L * 1024 * 1024);
    }
  }

  /** A host tool whose map keys are of every kind. */
  public static class Keyed {
    public enum Color { RED }

    public record Point(int x, String label) {
    }

    @Airlock
    public Map<Object, Integer> keys() {
      Map<Object, Integer> keys = new java.util.LinkedHashMap<>();
      keys.put("text", 1);
      keys.put(7L, 2);
      keys.put(Color.RED, 3);
      keys.put(java.time.LocalDate.of(2026, 12, 4), 4);
      keys.put(List.of(1, 2), 5);
      keys.put(new Point(1, "a"), 6);
      keys.put(Optional.of("x"), 7);
      keys.put(new java.util.BitSet(), 8);
      return keys;
    }
  }

  @Test
  void mapKeysOfTextAreWrittenAsJacksonWritesThemAndOthersAsTheirBoundedText() {
    ServedTool tool = ServedTool.of(List.of(new Keyed()), HOST_ONLY, McpJson.wire(64 * 1024)).get(0);

    CallToolResult result = tool.call(Map.of());

    assertThat(result.isError()).isFalse();
    assertThat(((TextContent) result.content().get(0)).text()).isEqualTo("{\"text\":1,\"7\":2,\"RED\":3,"
        + "\"2026-12-04\":4,\"[1, 2]\":5,\"Point[x=1, label=\\\"a\\\"]\":6,\"Optional[\\\"x\\\"]\":7,"
        + "\"(a BitSet)\":8}");
    assertThat(result.structuredContent()).isEqualTo(tool.call(Map.of()).structuredContent()).asString()
        .contains("[1, 2]=5").contains("RED=3");
  }

  /** A host tool returning an application type with an any-getter. */
  public static class ExtrasTool {
    @Airlock
    public Extras extras() {
      Extras extras = new Extras();
      extras.extra.put(List.of("a"), 1);
      return extras;
    }
  }

  @Test
  void anAnyGettersKeysAreWrittenAsTheKeysOfAnyOtherMap() {
    ServedTool tool = ServedTool.of(List.of(new ExtrasTool()), HOST_ONLY, McpJson.wire(64 * 1024)).get(0);

    CallToolResult result = tool.call(Map.of());

    assertThat(((TextContent) result.content().get(0)).text())
        .isEqualTo("{\"[\\\"a\\\"]\":1,\"name\":\"extras\"}");
  }

  @Test
  void toolsThatCannotBeServedAreRefusedNamingTheFix() {
    assertThatThrownBy(() -> ServedTool.of(List.of(new Overloaded()), HOST_ONLY, McpJson.wire(64 * 1024)))
        .hasMessageContaining("two tools are named 'run'").hasMessageContaining("@Tool(name = ...)");
    assertThatThrownBy(() -> ServedTool.of(List.of(new Plain()), HOST_ONLY, McpJson.wire(64 * 1024)))
        .hasMessageContaining("has no public method governed by @Airlock");
    assertThatThrownBy(() -> ServedTool.of(List.of(new Conflicting()), HOST_ONLY, McpJson.wire(64 * 1024)))
        .hasMessageContaining("order of declarations").hasMessageContaining("sandboxRequired = true");
  }

  /** Compiled here without -parameters, and with LangChain4j's annotations by their real names. */
  @Test
  void parameterNamesAndDescriptionsComeFromTheClassFile(@TempDir Path dir) throws Exception {
    write(dir, "dev/langchain4j/agent/tool/Tool.java", "package dev.langchain4j.agent.tool;"
        + "@java.lang.annotation.Retention(java.lang.annotation.RetentionPolicy.RUNTIME)"
        + "public @interface Tool { String name() default \"\"; String[] value() default {}; }");
    write(dir, "dev/langchain4j/agent/tool/P.java", "package dev.langchain4j.agent.tool;"
        + "@java.lang.annotation.Retention(java.lang.annotation.RetentionPolicy.RUNTIME)"
        + "public @interface P { String value(); boolean required() default true; }");
    write(dir, "demo/Described.java", "package demo; import dev.langchain4j.agent.tool.*;"
        + "public class Described { @dev.airlock.annotation.Airlock @Tool(name = \"greet\", value = {\"Greets\","
        + " \"politely\"}) public String hello(@P(\"who to greet\") String who, @P(value = \"how often\","
        + " required = false) Integer times) { return who; } }");
    write(dir, "demo/Unnamed.java", "package demo; public class Unnamed { @dev.airlock.annotation.Airlock"
        + " public String hello(String who) { return who; } }");
    String classpath = System.getProperty("java.class.path");
    int javac = ToolProvider.getSystemJavaCompiler().run(null, null, null, "-proc:none", "-cp", classpath,
        "-d", dir.toString(), dir.resolve("dev/langchain4j/agent/tool/Tool.java").toString(),
        dir.resolve("dev/langchain4j/agent/tool/P.java").toString(), dir.resolve("demo/Described.java").toString(),
        dir.resolve("demo/Unnamed.java").toString());
    assertThat(javac).isZero();
    try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()},
        ServedToolTest.class.getClassLoader())) {
      Object unnamed = loader.loadClass("demo.Unnamed").getConstructor().newInstance();
      assertThatThrownBy(() -> ServedTool.of(List.of(unnamed), HOST_ONLY, McpJson.wire(64 * 1024)))
          .hasMessageContaining("no parameter names").hasMessageContaining("-parameters");
    }
    assertThat(ToolProvider.getSystemJavaCompiler().run(null, null, null, "-proc:none", "-parameters", "-cp",
        classpath + java.io.File.pathSeparator + dir, "-d", dir.toString(),
        dir.resolve("demo/Described.java").toString())).isZero();
    try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()},
        ServedToolTest.class.getClassLoader())) {
      Object described = loader.loadClass("demo.Described").getConstructor().newInstance();
      ServedTool tool = ServedTool.of(List.of(described), HOST_ONLY, McpJson.wire(64 * 1024)).get(0);
      assertThat(tool.name()).isEqualTo("greet");
      assertThat(tool.tool().description()).isEqualTo("Greets\npolitely");
      Map<String, Object> schema = tool.tool().inputSchema();
      assertThat(schema.get("properties").toString()).contains("who={type=string, description=who to greet}");
      assertThat(schema).containsEntry("required", List.of("who"));
    }
  }

  private static void write(Path dir, String file, String source) throws Exception {
    Path path = dir.resolve(file);
    Files.createDirectories(path.getParent());
    Files.writeString(path, source);
  }

  private static String text(CallToolResult result) {
    return ((TextContent) result.content().get(0)).text();
  }
}
