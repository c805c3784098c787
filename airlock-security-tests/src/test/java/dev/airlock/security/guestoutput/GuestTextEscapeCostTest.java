package dev.airlock.security.guestoutput;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.esotericsoftware.kryo.kryo5.io.Output;

import dev.airlock.AirlockConfig;
import dev.airlock.SandboxPool;
import dev.airlock.SandboxProtocolException;
import dev.airlock.SandboxedCodeException;
import dev.airlock.internal.wire.FailureKind;
import dev.airlock.internal.wire.FrameType;
import dev.airlock.security.WorkerProcesses;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What a guest prints reaches the host's log escaped (one line of output is one inert log line), under the host's
 * budgets: 1 MiB of LOG text a call, 1 MiB of console. The budgets counted the bytes the guest sent, and every control
 * character became six characters made by {@code String.format}: 1 MiB of U+0001 was 6 MiB in the host's log and
 * about a million format calls on the host (0.4 s warm, several seconds in a fresh JVM) for a millisecond of the
 * guest's. One-character lines cost the budget 17 bytes each and the log a whole line each (time, thread, logger,
 * worker): about 60,000 of them, 6 MiB of log. What reaches the log must stay within the budget the host states, and
 * escaping must cost the host about as much as copying the text.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class GuestTextEscapeCostTest {
  private static final int LOG_BUDGET = 1024 * 1024;
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  private final ByteArrayOutputStream captured = new ByteArrayOutputStream();
  private PrintStream originalErr;
  private SandboxPool pool;

  @BeforeEach
  void start() {
    AirlockConfig config = AirlockConfig.builder().backend("local")
        .localIsolation(AirlockConfig.LocalIsolation.STRICT).timeoutSeconds(60).build();
    pool = SandboxPool.builder(config).minSize(0).maxSize(1).reuse(false).build();
    assertThat(pool.call(() -> 1)).isEqualTo(1);
  }

  @AfterEach
  void nothingLeftBehind() throws InterruptedException {
    if (originalErr != null) {
      System.setErr(originalErr);
    }
    pool.close();
    long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!WorkerProcesses.descendants().isEmpty() && System.nanoTime() < until) {
      Thread.sleep(50);
    }
    assertThat(WorkerProcesses.descendants()).isEmpty();
  }

  @Test
  void controlCharactersAGuestPrintsStayWithinTheHostsLogBudgetAndCostLittleToEscape() {
    originalErr = System.err;
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    long cpuBefore = THREADS.getCurrentThreadCpuTime();

    String outcome = pool.call(GuestTextEscapeCostTest::printControlCharacters);

    long cpu = THREADS.getCurrentThreadCpuTime() - cpuBefore;
    System.err.flush();
    System.setErr(originalErr);
    originalErr = null;
    long logged = captured.size();
    assertThat(outcome).isEqualTo("printed");
    assertThat(captured.toString(StandardCharsets.UTF_8)).as("escaped, not forwarded raw").contains("\\u0001")
        .doesNotContain("\u0001");
    assertThat(logged).as("bytes in the host's log for a call (budget %d)", LOG_BUDGET)
        .isLessThan(LOG_BUDGET + 64 * 1024);
    assertThat(TimeUnit.NANOSECONDS.toMillis(cpu)).as("CPU ms of the calling thread, which relays the lines")
        .isLessThan(300);
  }

  @Test
  void shortLinesAGuestPrintsStayWithinTheHostsLogBudget() {
    originalErr = System.err;
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));

    String outcome = pool.call(GuestTextEscapeCostTest::printShortLines);

    System.err.flush();
    System.setErr(originalErr);
    originalErr = null;
    assertThat(outcome).isEqualTo("printed");
    assertThat((long) captured.size()).as("bytes in the host's log for a call of one-character lines (budget %d)",
        LOG_BUDGET).isLessThan(LOG_BUDGET + 64 * 1024);
  }

  @Test
  void controlCharactersOnTheConsoleCostTheHostLittleToEscape() throws InterruptedException {
    AtomicBoolean done = new AtomicBoolean();
    Map<Long, Long> consoleCpu = new HashMap<>();
    Thread sampler = new Thread(() -> {
      while (!done.get()) {
        for (ThreadInfo info : THREADS.getThreadInfo(THREADS.getAllThreadIds())) {
          if (info != null && info.getThreadName().startsWith("airlock-console-")) {
            long nanos = THREADS.getThreadCpuTime(info.getThreadId());
            synchronized (consoleCpu) {
              consoleCpu.merge(info.getThreadId(), nanos, Math::max);
            }
          }
        }
        try {
          Thread.sleep(5);
        } catch (InterruptedException e) {
          return;
        }
      }
    });
    sampler.start();
    try {
      assertThat(pool.call(GuestTextEscapeCostTest::controlCharactersOnTheConsole)).startsWith("wrote");
    } finally {
      done.set(true);
      sampler.join();
    }
    long most;
    synchronized (consoleCpu) {
      most = consoleCpu.values().stream().mapToLong(Long::longValue).max().orElse(0);
    }
    assertThat(TimeUnit.NANOSECONDS.toMillis(most)).as("CPU ms of the host thread draining a console of 1,000,000 "
        + "control characters").isLessThan(150);
  }

  /**
   * Attack review 21: the host keeps at most 16 Ki characters of each string of an exception record, escaped, but it
   * escaped each string whole before clipping it, every string of the record, even past the record's 2 Mi character
   * bound: 8.5 MiB of U+0001 in 64 KiB strings cost the calling thread 230 MiB, with no deadline.
   */
  @Test
  void anExceptionRecordOfControlCharactersCostsTheHostAboutItsBytes() {
    long before = THREADS_ALLOCATED.getCurrentThreadAllocatedBytes();

    Throwable thrown = catchThrowable(() -> pool.call(GuestTextEscapeCostTest::answerWithARecordOfControlCharacters));

    long allocated = THREADS_ALLOCATED.getCurrentThreadAllocatedBytes() - before;
    assertThat(thrown).isInstanceOf(SandboxedCodeException.class);
    assertThat(allocated).as("bytes the calling thread allocated for 8.5 MiB of record").isLessThan(64L << 20);
  }

  /**
   * Attack review 21: a refused result's message quotes a serializer's first line, at most 1,024 characters, but the
   * whole line was escaped first, twice (the message and its cause): a zone id of 8 MiB of U+0001 cost the host
   * 428 MiB.
   */
  @Test
  void aRefusedResultOfControlCharactersCostsTheHostAboutItsBytes() {
    long before = allocatedByEveryThread();

    Throwable thrown = catchThrowable(() -> pool.call(GuestTextEscapeCostTest::answerWithAZoneOfControlCharacters));

    long allocated = allocatedByEveryThread() - before;
    assertThat(thrown).isInstanceOf(SandboxProtocolException.class);
    assertThat(thrown.getMessage().length()).isLessThan(2048);
    assertThat(allocated).as("bytes the host's threads allocated for an 8 MiB result").isLessThan(128L << 20);
  }

  private static final com.sun.management.ThreadMXBean THREADS_ALLOCATED =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  /** Decoders of large results run on threads of their own, which live on after the call. */
  private static long allocatedByEveryThread() {
    long sum = 0;
    for (long id : THREADS_ALLOCATED.getAllThreadIds()) {
      sum += Math.max(0, THREADS_ALLOCATED.getThreadAllocatedBytes(id));
    }
    return sum;
  }

  /** Guest code: an exception record of 17 causes, each of 8 strings of 64 KiB of U+0001, then death. */
  static String answerWithARecordOfControlCharacters() throws Exception {
    String text = "\u0001".repeat(65_535);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeLong(GuestChannel.runningCallId());
    out.writeByte(FailureKind.USER_EXCEPTION.ordinal());
    for (int cause = 0; cause < 17; cause++) {
      out.writeBoolean(true);
      out.writeUTF(text);
      out.writeBoolean(true);
      out.writeUTF(text);
      out.writeShort(2);
      for (int frame = 0; frame < 2; frame++) {
        out.writeUTF(text);
        out.writeUTF(text);
        out.writeUTF(text);
        out.writeInt(7);
      }
    }
    out.writeBoolean(false);
    GuestChannel.send(FrameType.ERROR, bytes.toByteArray());
    Runtime.getRuntime().halt(0);
    return "unreachable";
  }

  /** Guest code: a result naming {@code java.time.ZoneRegion} whose id is 8 MiB of U+0001, then death. */
  static String answerWithAZoneOfControlCharacters() throws Exception {
    Output kryo = new Output(1024, -1);
    kryo.writeVarInt(1, true); // by name
    kryo.writeVarInt(0, true); // the first name of the graph
    kryo.writeString("java.time.ZoneRegion");
    kryo.writeString("Europe/" + "\u0001".repeat(8 * 1024 * 1024));
    GuestChannel.answerWithResultAndHalt(kryo.toBytes());
    return "unreachable";
  }

  /** Guest code: 1 MiB (the worker's budget) of U+0001, in lines of 8 KiB. */
  static String printControlCharacters() {
    String line = "\u0001".repeat(8 * 1024 - 1);
    for (int i = 0; i < 128; i++) {
      System.out.println(line);
    }
    return "printed";
  }

  /** Guest code: 400,000 one-character lines, each its own LOG frame (under the host's 8 MiB flood bound). */
  static String printShortLines() {
    for (int i = 0; i < 400_000; i++) {
      System.out.println('x');
    }
    return "printed";
  }

  /** Guest code: a million control bytes on the process's own stderr, in lines the host keeps whole. */
  static String controlCharactersOnTheConsole() throws Exception {
    OutputStream console = new FileOutputStream(FileDescriptor.err);
    byte[] line = new byte[2000];
    Arrays.fill(line, (byte) 1);
    line[line.length - 1] = '\n';
    for (int i = 0; i < 500; i++) {
      console.write(line);
    }
    console.flush();
    Thread.sleep(3000);
    return "wrote " + 500 * line.length;
  }
}
