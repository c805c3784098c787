package dev.airlock.internal.worker;

import dev.airlock.PayloadTooLargeException;
import dev.airlock.internal.codec.Codec;
import dev.airlock.internal.codec.ShippedFile;
import dev.airlock.internal.codec.ShippedInvocation;
import dev.airlock.internal.trace.CallTrace;
import dev.airlock.internal.trace.WorkerTraceContext;
import dev.airlock.internal.wire.ChannelStreams;
import dev.airlock.internal.wire.FailureKind;
import dev.airlock.internal.wire.Frame;
import dev.airlock.internal.wire.FrameReader;
import dev.airlock.internal.wire.FrameType;
import dev.airlock.internal.wire.FrameWriter;
import dev.airlock.internal.wire.Messages;
import dev.airlock.internal.wire.RemoteFailure;
import dev.airlock.internal.worker.warmup.WarmUpCall;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.File;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The sandbox side: connects to the host, says hello, then runs one invocation at a time until told to stop or the
 * host goes away. Started as {@code java ... dev.airlock.internal.worker.WorkerMain --channel-fds 3 4} by the local backend, its
 * channel on two inherited pipes, and with {@code --connect <socket>} by the others.
 *
 * <p>Layer one of the timeout lives here: a call still running at its timeout is reported and the JVM halts, since a
 * running thread cannot be stopped safely.
 */
public final class WorkerMain {
  private static final int CHANNEL_BUFFER = 64 * 1024;
  private static final Path INPUT_FILES = Path.of(System.getProperty("java.io.tmpdir"), "airlock-files");

  private final FrameReader reader;
  private final FrameWriter writer;
  private final AtomicInteger printedLines = new AtomicInteger();
  private final AtomicLong printedBytes = new AtomicLong();
  private final CallWatchdog watchdog = new CallWatchdog(this::timedOut);
  private final ToolMethods methods = new ToolMethods();

  private WorkerMain(InputStream in, OutputStream out) {
    this.reader = new FrameReader(in, Integer.MAX_VALUE - FrameReader.HEADER_ALLOWANCE - 1);
    this.writer = new FrameWriter(out);
  }

  /** The local backend's transport: the worker reads frames from the first descriptor, writes to the second. */
  public static final String CHANNEL_FDS = "--channel-fds";

  /**
   * Once its channel is connected, the worker points its process's stdout and stderr at {@code /dev/null}: guest code
   * can write there directly, past the LOG frames, and where a host process copies a worker's console (the Docker
   * engine keeps it as the container's log) each byte would cost the host work. What printed before (a JVM that
   * would not start) is kept.
   */
  public static final String SILENT_CONSOLE = "--silent-console";

  public static void main(String[] args) throws Exception {
    System.setProperty("airlock.worker", "true");
    String connect = null;
    String[] fds = null;
    long hostPid = -1;
    for (int i = 0; i < args.length - 1; i++) {
      if (args[i].equals("--connect")) {
        connect = args[++i];
      } else if (args[i].equals(CHANNEL_FDS) && i + 2 < args.length) {
        fds = new String[] {args[++i], args[++i]};
      } else if (args[i].equals("--host-pid")) {
        hostPid = Long.parseLong(args[++i]);
      }
    }
    if (connect == null && fds == null) {
      throw new IllegalArgumentException("usage: WorkerMain (--connect <unix socket path> | " + CHANNEL_FDS
          + " <in fd> <out fd>) [--host-pid <pid>]");
    }
    if (hostPid > 0) {
      watchHost(hostPid);
    }
    EgressForwarder.startIfConfigured();
    if (fds != null) {
      // Inherited pipes, reopened through /dev/fd (Linux, bubblewrap and macOS alike): Java has no other way to adopt
      // a descriptor. No unix socket: the JDK seeds a SecureRandom on a socket's first use, 20-30 ms of a start.
      serve(new BufferedInputStream(new FileInputStream("/dev/fd/" + fds[0]), CHANNEL_BUFFER),
          new BufferedOutputStream(new FileOutputStream("/dev/fd/" + fds[1]), CHANNEL_BUFFER));
      return;
    }
    SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
    channel.connect(UnixDomainSocketAddress.of(connect));
    SilentConsole.applyIfAsked(args);
    serve(ChannelStreams.input(channel), ChannelStreams.output(channel));
  }

  /**
   * Runs the worker protocol over any byte channel (a unix socket, stdio, an HTTP bridge) until the host hangs up
   * or sends SHUTDOWN; then halts the JVM. Replaces {@code System.out}/{@code System.err} with LOG frames.
   */
  public static void serve(InputStream in, OutputStream out) throws IOException {
    System.setProperty("airlock.worker", "true");
    serving = true;
    new WorkerMain(in, out).serve();
  }

  /** Set once this JVM serves the worker protocol: what makes it a worker, not the property alone. */
  private static volatile boolean serving;

  /**
   * Whether this JVM is serving the worker protocol. {@code airlock.worker=true} is only a property, which a host JVM
   * can carry too (copied options, a shared {@code JAVA_TOOL_OPTIONS}); the interceptor runs a body as it is only
   * where this holds.
   */
  public static boolean serving() {
    return serving;
  }

  private void serve() throws IOException {
    System.setOut(new PrintStream(new LogForwarder(writer, false, printedLines, printedBytes), true,
        StandardCharsets.UTF_8));
    System.setErr(new PrintStream(new LogForwarder(writer, true, printedLines, printedBytes), true,
        StandardCharsets.UTF_8));
    writer.write(FrameType.HELLO, Messages.hello(new Messages.Hello(Messages.PROTOCOL_VERSION,
        ClasspathFingerprint.ofThisJvm(), ProcessHandle.current().pid())));
    while (true) {
      Frame frame;
      try {
        frame = reader.read();
      } catch (EOFException e) {
        Runtime.getRuntime().halt(0);
        return;
      }
      if (frame.type() == FrameType.SHUTDOWN) {
        Runtime.getRuntime().halt(0);
      } else if (frame.type() == FrameType.INVOKE) {
        handle(Messages.invoke(frame.body()), writer);
      } else if (frame.type() == FrameType.PREPARE) {
        prepare(Messages.prepare(frame.body()));
      } else if (frame.type() == FrameType.WARM_UP) {
        warmUp(Messages.warmUp(frame.body(), "WARM_UP"));
      }
    }
  }

  /**
   * Only when the host sends WARM_UP, which it does to a worker that waits idle and never to one started for a
   * waiting caller (that caller's INVOKE would wait behind it): one throw-away call through the whole path a real
   * call takes (INVOKE parsing, the call thread, decode, reflection, encode, the RESULT frame, into a discarding
   * writer), so a worker's first real call does not pay for loading and first running that code (tens of ms on a
   * fresh JVM), then WARMED. The INVOKE frame goes through a frame reader too. The host waits for WARMED before it
   * lists this worker idle, so no real call arrives meanwhile.
   */
  private void warmUp(long warmUpId) throws IOException {
    byte[] invocation = Codec.encodeInvocation(new ShippedInvocation(null, WarmUpCall.class.getName(),
        WarmUpCall.METHOD, new String[] {WarmUpCall.Sample.class.getName()}, new Object[] {WarmUpCall.sample()}),
        4096);
    ByteArrayOutputStream framed = new ByteArrayOutputStream();
    new FrameWriter(framed).write(FrameType.INVOKE, Messages.invoke(new Messages.Invoke(0, 60_000, 4096,
        invocation)));
    Frame invoke = new FrameReader(new ByteArrayInputStream(framed.toByteArray()), framed.size()).read();
    handle(Messages.invoke(invoke.body()), new FrameWriter(OutputStream.nullOutputStream()));
    writer.write(FrameType.WARMED, Messages.warmUp(warmUpId));
  }

  /**
   * Loads, without initializing, the application classes the host's recent calls shipped, and builds their
   * serializers, so that this worker's first call does not pay for it (about 0.7 ms of a single-use call). No static
   * initializer runs here: an enum's serializer reads its constants, which initializes it, so an enum is only
   * loaded. Tool code must not run in a worker its call was not sent to, above all in the class-data archive's
   * training worker, whose exit writes the file later workers map. A name this worker cannot load is skipped: its
   * call will say what is wrong.
   */
  static void prepare(List<String> classNames) {
    ClassLoader loader = WorkerMain.class.getClassLoader();
    for (String name : classNames) {
      try {
        Class<?> type = Class.forName(name, false, loader);
        if (!Enum.class.isAssignableFrom(type)) {
          Codec.prepare(type);
        }
        type.getDeclaredMethods();
      } catch (ClassNotFoundException | LinkageError | RuntimeException e) {
        // Not loadable or not shippable here; nothing to prepare.
      }
    }
  }

  /**
   * Runs the call on this thread, the one that read it: a hand-off to another thread and back would cost two
   * wake-ups per call. The {@link CallWatchdog} stops a call that overruns.
   */
  private void handle(Messages.Invoke invoke, FrameWriter out) throws IOException {
    printedLines.set(0);
    printedBytes.set(0);
    Outcome outcome = new Outcome();
    watchdog.started(invoke.callId(), invoke.timeoutMillis());
    try (CallTrace.Scope traced = WorkerTraceContext.enter(invoke.traceparent())) {
      outcome.run(invoke, methods);
    }
    System.out.flush();
    System.err.flush();
    if (!watchdog.finished(invoke.callId())) {
      awaitHalt();
    }
    if (outcome.failure == null) {
      sendResult(out, invoke, outcome.result);
      return;
    }
    Throwable failure = outcome.failure;
    if (failure instanceof InvocationTargetException ite && ite.getCause() != null) {
      failure = ite.getCause();
      if (failure instanceof OutOfMemoryError) {
        sendError(out, invoke.callId(), FailureKind.RESOURCE_LIMIT, RemoteFailure.of(failure));
        Runtime.getRuntime().halt(0);
      }
      sendError(out, invoke.callId(), FailureKind.USER_EXCEPTION, RemoteFailure.of(failure));
    } else {
      sendError(out, invoke.callId(), FailureKind.WORKER_FAILURE, RemoteFailure.of(failure));
    }
  }

  /** The watchdog's side of a call past its deadline: report it, then halt, since a thread cannot be stopped safely. */
  private void timedOut(long callId) {
    System.out.flush();
    System.err.flush();
    try {
      sendError(writer, callId, FailureKind.TIMEOUT, new RemoteFailure("dev.airlock.SandboxTimeoutException",
          "stopped by the worker at its timeout", List.of(), null));
    } catch (IOException e) {
      // The host is gone or the socket broke; halting is all that is left.
    }
    Runtime.getRuntime().halt(0);
  }

  /** The call finished as the watchdog claimed it: the JVM halts in a moment. */
  private static void awaitHalt() {
    while (true) {
      try {
        Thread.sleep(Long.MAX_VALUE);
      } catch (InterruptedException e) {
        // Keep waiting: the halt is coming.
      }
    }
  }

  private void sendResult(FrameWriter out, Messages.Invoke invoke, Object result) throws IOException {
    byte[] payload;
    try {
      payload = Codec.encodeResult(result, invoke.maxResultBytes());
    } catch (PayloadTooLargeException e) {
      sendError(out, invoke.callId(), FailureKind.RESULT_TOO_LARGE, RemoteFailure.of(e));
      return;
    } catch (RuntimeException e) {
      sendError(out, invoke.callId(), FailureKind.UNSHIPPABLE_RESULT, RemoteFailure.of(e));
      return;
    }
    byte[] header = Messages.resultHeader(invoke.callId(), printedLines.get());
    byte[] body = new byte[header.length + payload.length];
    System.arraycopy(header, 0, body, 0, header.length);
    System.arraycopy(payload, 0, body, header.length, payload.length);
    out.write(FrameType.RESULT, body);
  }

  private void sendError(FrameWriter out, long callId, FailureKind kind, RemoteFailure failure) throws IOException {
    out.write(FrameType.ERROR, Messages.error(new Messages.Error(callId, kind, failure)));
  }

  /** What a call returned or threw. */
  private static final class Outcome {
    Object result;
    Throwable failure;

    void run(Messages.Invoke invoke, ToolMethods methods) {
      try {
        ShippedInvocation invocation = Codec.decodeInvocation(invoke.payload());
        Method method = methods.find(invocation);
        Object[] args = materializeFiles(invocation.args, invoke.callId());
        result = method.invoke(invocation.receiver, args);
      } catch (Throwable t) {
        failure = t;
      }
    }
  }

  private static Object[] materializeFiles(Object[] args, long callId) throws IOException {
    Object[] out = args.clone();
    for (int i = 0; i < out.length; i++) {
      if (out[i] instanceof ShippedFile file) {
        Path path = Path.of(file.path());
        if (file.content() != null) {
          Path dir = Files.createDirectories(INPUT_FILES.resolve(callId + "-" + i));
          Path name = path.getFileName() == null ? Path.of("input") : path.getFileName();
          path = dir.resolve(name.toString());
          Files.write(path, file.content());
          path.toFile().setReadOnly();
        }
        out[i] = file.asFile() ? new File(path.toString()) : path;
      }
    }
    return out;
  }

  private static void watchHost(long hostPid) {
    Thread watcher = new Thread(() -> {
      while (ProcessHandle.of(hostPid).map(ProcessHandle::isAlive).orElse(false)) {
        try {
          Thread.sleep(1000);
        } catch (InterruptedException e) {
          return;
        }
      }
      Runtime.getRuntime().halt(3);
    }, "airlock-host-watch");
    watcher.setDaemon(true);
    watcher.start();
  }
}
