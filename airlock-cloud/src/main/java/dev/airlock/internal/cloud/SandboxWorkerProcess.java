package dev.airlock.internal.cloud;

import dev.airlock.internal.backend.ConsoleTail;
import dev.airlock.spi.WorkerHandle;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A worker JVM inside the sandbox, as the bridge holds it: the process, its socket, the HELLO it sent, and its
 * console. The bridge reuses the core's worker-handle shape so it can wait for the connection as the local backend
 * does.
 */
final class SandboxWorkerProcess implements WorkerHandle {
  private final String id;
  private final Process process;
  private final ConsoleTail console;
  private final AtomicBoolean killedByBridge = new AtomicBoolean();
  /** One relayed request at a time: the pool runs one call per worker. */
  final ReentrantLock relay = new ReentrantLock();
  private volatile SocketChannel channel;
  private InputStream input;
  private OutputStream output;
  private byte[] hello;

  SandboxWorkerProcess(String id, Process process) {
    this.id = id;
    this.process = process;
    raiseOomScore(process.pid());
    this.console = ConsoleTail.drain(process.getInputStream(), "airlock-bridge-console-" + id, line -> { });
  }

  /** Makes the kernel pick this worker, not the bridge, when the VM runs out of memory. Best effort. */
  private static void raiseOomScore(long pid) {
    try {
      Files.writeString(Path.of("/proc/" + pid + "/oom_score_adj"), "1000");
    } catch (IOException | RuntimeException e) {
      // Not Linux, or not permitted: the VM still bounds the worker.
    }
  }

  void connected(SocketChannel channel, InputStream input, OutputStream output, byte[] hello) {
    this.channel = channel;
    this.input = input;
    this.output = output;
    this.hello = hello;
  }

  byte[] hello() {
    return hello.clone();
  }

  String consoleTail() {
    return console.text();
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public InputStream input() {
    return input;
  }

  @Override
  public OutputStream output() {
    return output;
  }

  @Override
  public boolean isAlive() {
    return process.isAlive();
  }

  @Override
  public void kill() {
    if (!killedByBridge.compareAndSet(false, true)) {
      return;
    }
    try {
      if (channel != null) {
        channel.close();
      }
    } catch (IOException e) {
      // The process kill below is what counts.
    }
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    try {
      process.waitFor(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** After its channel closed: gives the process a moment to finish exiting, so its exit status can be told. */
  void awaitExit(java.time.Duration wait) {
    try {
      process.waitFor(wait.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * A worker killed by SIGKILL that the bridge did not kill was, inside a sandbox VM, killed by the kernel's OOM
   * killer: nothing else in the VM sends it that signal.
   */
  @Override
  public Optional<String> resourceLimitHit() {
    if (process.isAlive() || killedByBridge.get() || process.exitValue() != 128 + 9) {
      return Optional.empty();
    }
    return Optional.of("the worker was killed by the sandbox's out-of-memory killer (memory limit of the sandbox VM)");
  }

  @Override
  public String describeExit() {
    if (process.isAlive()) {
      return "still running";
    }
    int code = process.exitValue();
    String how = code > 128 ? "killed by signal " + (code - 128) : "exit code " + code;
    String tail = consoleTail();
    return tail.isEmpty() ? how : how + "; console: " + tail;
  }
}
