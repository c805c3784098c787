package dev.airlock.security.hostile;

import dev.airlock.IsolationPosture;
import dev.airlock.SandboxUnavailableException;
import dev.airlock.internal.wire.ChannelStreams;
import dev.airlock.internal.worker.WorkerClasspath;
import dev.airlock.internal.worker.WorkerMain;
import dev.airlock.spi.SandboxBackend;
import dev.airlock.spi.WorkerHandle;
import dev.airlock.spi.WorkerSpec;
import java.io.File;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test backend that starts each worker as a plain child JVM on this classpath and connects it over a unix socket,
 * as the local backend does, so the real pool and session talk to it. Which program a worker runs is queued by the
 * test: a {@link Lie} makes it a {@link HostileWorker}; an empty queue starts the real {@link WorkerMain}.
 */
public final class ChildJvmBackend implements SandboxBackend {
  /** By name: loading the class on the host could resolve the gadget canaries it builds. */
  private static final String HOSTILE_MAIN = "dev.airlock.security.hostile.HostileWorker";

  private final Queue<Lie> nextLies = new ConcurrentLinkedQueue<>();
  private final List<Process> started = new CopyOnWriteArrayList<>();
  private final AtomicInteger launches = new AtomicInteger();
  private final Path socketDir;
  private final String classpath;

  public ChildJvmBackend() {
    try {
      socketDir = Files.createTempDirectory("airlock-hostile-");
      // Tests that hand this backend to a pool they never close still leave no folder behind.
      socketDir.toFile().deleteOnExit();
    } catch (IOException e) {
      throw new SandboxUnavailableException("cannot create a socket directory: " + e);
    }
    classpath = String.join(File.pathSeparator, WorkerClasspath.ofThisJvm().stream().map(Path::toString).toList());
  }

  /** The next worker launched lies this way; later ones are honest unless queued too. */
  public ChildJvmBackend thenLie(Lie lie) {
    nextLies.add(lie);
    return this;
  }

  /** Every process this backend started, for the tests' leak checks and kills. */
  public List<Process> processes() {
    return List.copyOf(started);
  }

  @Override
  public String name() {
    return "child-jvm";
  }

  @Override
  public IsolationPosture posture() {
    return new IsolationPosture(name(), List.of(new IsolationPosture.Control("isolation", false,
        "none: a test backend for the host-side protocol")));
  }

  @Override
  public WorkerHandle launch(WorkerSpec spec) {
    Path socket = socketDir.resolve("w" + launches.incrementAndGet() + ".sock");
    Lie lie = nextLies.poll();
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
        .toString(), "-Xmx" + spec.memoryMb() + "m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp",
        classpath));
    command.add(lie == null ? WorkerMain.class.getName() : HOSTILE_MAIN);
    command.addAll(List.of("--connect", socket.toString()));
    if (lie != null) {
      command.add(lie.name());
    }
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(socket));
      Process process = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      started.add(process);
      SocketChannel channel = accept(server, process, spec);
      return new ChildJvmWorker(process, channel);
    } catch (IOException e) {
      throw new SandboxUnavailableException("child JVM could not be started: " + e, e);
    } finally {
      socket.toFile().delete();
    }
  }

  private static SocketChannel accept(ServerSocketChannel server, Process process, WorkerSpec spec)
      throws IOException {
    server.configureBlocking(false);
    long deadline = System.nanoTime() + spec.startTimeout().toNanos();
    while (System.nanoTime() < deadline && process.isAlive()) {
      SocketChannel channel = server.accept();
      if (channel != null) {
        channel.configureBlocking(true);
        return channel;
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    process.destroyForcibly();
    throw new SandboxUnavailableException("child JVM " + process.pid() + " did not connect");
  }

  @Override
  public void close() {
    started.forEach(Process::destroyForcibly);
    socketDir.toFile().delete();
  }

  private static final class ChildJvmWorker implements WorkerHandle {
    private final Process process;
    private final SocketChannel channel;
    private final java.io.InputStream input;
    private final java.io.OutputStream output;

    ChildJvmWorker(Process process, SocketChannel channel) {
      this.process = process;
      this.channel = channel;
      this.input = ChannelStreams.input(channel);
      this.output = ChannelStreams.output(channel);
    }

    @Override
    public String id() {
      return "child-" + process.pid();
    }

    @Override
    public java.io.InputStream input() {
      return input;
    }

    @Override
    public java.io.OutputStream output() {
      return output;
    }

    @Override
    public boolean isAlive() {
      return process.isAlive() && channel.isOpen();
    }

    @Override
    public void kill() {
      try {
        channel.close();
      } catch (IOException e) {
        // The process kill below is what counts.
      }
      process.destroyForcibly();
      try {
        process.waitFor(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    @Override
    public java.util.Optional<String> resourceLimitHit() {
      return java.util.Optional.empty();
    }

    @Override
    public String describeExit() {
      return process.isAlive() ? "still running" : "exit code " + process.exitValue();
    }
  }
}
