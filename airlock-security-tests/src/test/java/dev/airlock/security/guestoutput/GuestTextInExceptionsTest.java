package dev.airlock.security.guestoutput;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.esotericsoftware.kryo.kryo5.io.Output;
import dev.airlock.AirlockConfig;
import dev.airlock.SandboxCrashedException;
import dev.airlock.SandboxPool;
import dev.airlock.SandboxProtocolException;
import dev.airlock.SandboxedCodeException;
import dev.airlock.internal.docker.DockerTestEngine;
import dev.airlock.internal.wire.RemoteFailure;
import dev.airlock.security.WorkerProcesses;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Text a guest chooses reaches the host inside exceptions: the class name, message and stack frames of an exception
 * record (guest code writes the record itself, or throws with a message and a stack of its making), and, on the
 * Docker backend, the worker's console quoted in a crash message. An application logs the exception of a failed tool
 * call, so a line break, a terminal escape or a bidi override in that text forges or hides lines of the host's log,
 * as LOG frames did before they were escaped. Every piece of guest text in an exception must be as inert as a
 * relayed line: printed, the exception starts no line of the guest's choosing and carries no control character.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class GuestTextInExceptionsTest {
  static final String FORGED = "12:00:00.000 [main] INFO com.acme.Billing - refund of 9,999.00 approved";
  static final String HOSTILE = "ok\r\n" + FORGED + "\u2028" + FORGED + "\u0085\u001b[2K\u202e";
  private static final List<String> UNSAFE = List.of("\r", "\u2028", "\u0085", "\u001b", "\u202e");

  @Test
  void anExceptionRecordAGuestWritesCannotStartALineWhenTheHostPrintsIt() {
    Throwable thrown = callLocal(GuestTextInExceptionsTest::failWithHostileRecord);

    assertThat(thrown).isInstanceOf(SandboxedCodeException.class);
    assertInert(printed(thrown));
  }

  @Test
  void aMessageAndStackAGuestThrowsCannotStartALineWhenTheHostPrintsIt() {
    Throwable thrown = callLocal(GuestTextInExceptionsTest::throwHostileMessageAndStack);

    assertThat(thrown).isInstanceOf(IllegalStateException.class);
    assertInert(printed(thrown));
  }

  /**
   * Attack review 4: a result's bytes are the guest's too, and a refused result's message quoted them raw: the class
   * name it named (refused, or admitted by the {@code java.time.} prefix and not found) and what a serializer said of
   * its data (a zone id). The message kept CR, U+2028 and escapes after the first LF, and the raw name again in the
   * Kryo exception it carried as cause, however long the name: a 200,000-character name made a message as long.
   */
  @ParameterizedTest
  @ValueSource(strings = {"com.acme.Order", "java.time.Order", "java.time.ZoneRegion"})
  void aResultAGuestWritesCannotStartALineOfItsRefusal(String className) {
    Throwable thrown = callLocal(() -> answerWithHostileResult(className));

    assertThat(thrown).isInstanceOf(SandboxProtocolException.class);
    String printed = printed(thrown);
    assertNoForgedLine(printed);
    assertThat(printed.length()).as("the print's length").isLessThan(64 * 1024);
  }

  /** The console is silenced once the worker connects (DockerConsoleFloodTest), and what is quoted is escaped. */
  @Test
  void whatAGuestPrintsToItsDockerConsoleCannotStartALineOfTheCrashMessage() {
    DockerTestEngine.requireEngine();
    AirlockConfig config = DockerTestEngine.config().toBuilder().timeoutSeconds(60).build();
    Throwable thrown;
    try (SandboxPool pool = SandboxPool.builder(config).minSize(0).maxSize(1).reuse(false).build()) {
      thrown = catchThrowable(() -> pool.call(GuestTextInExceptionsTest::printHostileConsoleAndDie));
    }
    assertThat(thrown).isInstanceOf(SandboxCrashedException.class).hasMessageContaining("exit code 3");
    assertNoForgedLine(printed(thrown));
    assertThat(DockerTestEngine.containersOfThisJvm()).isEmpty();
  }

  /**
   * Attack review 21: a local worker's crash message quotes the last lines of its console, which guest code writes
   * through the process's own descriptors. Each line was kept at 2 KiB of bytes and escaped afterwards, a control
   * byte becoming six characters, and the last 20 lines were quoted whole: 20 lines of U+0001 made one crash message
   * of 245,000 characters, for the caller's log and, through an MCP server, the model's context.
   */
  @Test
  void whatAGuestPrintsToItsLocalConsoleIsQuotedClippedInTheCrashMessage() {
    Throwable thrown = callLocal(GuestTextInExceptionsTest::printControlLinesToTheConsoleAndDie);

    assertThat(thrown).isInstanceOf(SandboxCrashedException.class).hasMessageContaining("exit code 3")
        .hasMessageContaining("console: ");
    assertThat(thrown.getMessage().length()).as("the crash message's length").isLessThan(4 * 1024);
    assertNoForgedLine(printed(thrown));
  }

  private static Throwable callLocal(dev.airlock.SandboxCall<String> call) {
    AirlockConfig config = AirlockConfig.builder().backend("local")
        .localIsolation(AirlockConfig.LocalIsolation.STRICT).timeoutSeconds(60).build();
    Throwable thrown;
    try (SandboxPool pool = SandboxPool.builder(config).minSize(0).maxSize(1).reuse(false).build()) {
      thrown = catchThrowable(() -> pool.call(call));
    }
    assertThat(WorkerProcesses.descendants()).isEmpty();
    return thrown;
  }

  private static void assertInert(String printed) {
    assertThat(printed).as("the host's print of the exception").contains("refund of 9,999.00 approved");
    assertNoForgedLine(printed);
  }

  private static void assertNoForgedLine(String printed) {
    assertThat(printed).as("the host's print of the exception").doesNotContain(UNSAFE);
    assertThat(printed.lines()).as("lines of the print").noneMatch(line -> line.startsWith(FORGED));
  }

  private static String printed(Throwable thrown) {
    StringWriter out = new StringWriter();
    thrown.printStackTrace(new PrintWriter(out));
    return out.toString();
  }

  /** Guest code: an exception record whose class name, message and every frame's names carry forged lines. */
  static String failWithHostileRecord() throws Exception {
    StackTraceElement frame = new StackTraceElement("com.acme.Tool" + HOSTILE, "run" + HOSTILE, "Tool.java" + HOSTILE,
        7);
    GuestChannel.answerWithFailure(new RemoteFailure("com.acme.ToolFailure" + HOSTILE, HOSTILE, List.of(frame),
        new RemoteFailure("java.lang.IllegalStateException", HOSTILE, List.of(frame), null)));
    Runtime.getRuntime().halt(0);
    return "unreachable";
  }

  /**
   * Guest code: answers with a result naming {@code className}, hostile text appended to the name, or, for a zone, in
   * the zone's id.
   */
  static String answerWithHostileResult(String className) throws Exception {
    String hostile = HOSTILE + "x".repeat(200_000);
    Output kryo = new Output(1024, -1);
    kryo.writeVarInt(1, true); // by name
    kryo.writeVarInt(0, true); // the first name of the graph
    boolean zone = className.endsWith("ZoneRegion");
    kryo.writeString(zone ? className : className + hostile);
    if (zone) {
      kryo.writeString("Europe/" + hostile);
    }
    GuestChannel.answerWithResultAndHalt(kryo.toBytes());
    return "unreachable";
  }

  /** Guest code: no wire needed, a JDK exception with a message and stack of its own. */
  static String throwHostileMessageAndStack() {
    IllegalStateException e = new IllegalStateException(HOSTILE);
    e.setStackTrace(new StackTraceElement[] {new StackTraceElement("com.acme.Tool" + HOSTILE, "run", "Tool.java", 7)});
    throw e;
  }

  /** Guest code: 20 lines of 2 KiB of U+0001 on the process's own stderr, then death. */
  static String printControlLinesToTheConsoleAndDie() throws Exception {
    byte[] line = new byte[2049];
    Arrays.fill(line, (byte) 1);
    line[2048] = '\n';
    try (OutputStream out = new FileOutputStream(FileDescriptor.err)) {
      for (int i = 0; i < 20; i++) {
        out.write(line);
      }
    }
    Thread.sleep(500);
    Runtime.getRuntime().halt(3);
    return "unreachable";
  }

  /**
   * Guest code: the process's own stderr, which the Docker engine keeps as the container's log, by every way there
   * is to it, then death.
   */
  static String printHostileConsoleAndDie() throws Exception {
    byte[] text = (HOSTILE + "\n").getBytes(StandardCharsets.UTF_8);
    List<Callable<OutputStream>> consoles = List.of(() -> new FileOutputStream(FileDescriptor.err),
        () -> new FileOutputStream("/proc/self/fd/2"), () -> new FileOutputStream("/dev/stderr"));
    for (Callable<OutputStream> console : consoles) {
      try (OutputStream out = console.call()) {
        out.write(text);
      } catch (IOException closed) {
        // Another way, then.
      }
    }
    Thread.sleep(500);
    Runtime.getRuntime().halt(3);
    return "unreachable";
  }
}
