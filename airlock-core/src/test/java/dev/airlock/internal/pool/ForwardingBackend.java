package dev.airlock.internal.pool;

import dev.airlock.IsolationPosture;
import dev.airlock.spi.SandboxBackend;
import dev.airlock.spi.WorkerHandle;
import dev.airlock.spi.WorkerSpec;

/** A backend that hands everything to another; a test overrides what it watches or holds back. */
class ForwardingBackend implements SandboxBackend {
  final SandboxBackend delegate;

  ForwardingBackend(SandboxBackend delegate) {
    this.delegate = delegate;
  }

  @Override
  public String name() {
    return delegate.name();
  }

  @Override
  public IsolationPosture posture() {
    return delegate.posture();
  }

  @Override
  public WorkerHandle launch(WorkerSpec spec) {
    return delegate.launch(spec);
  }

  @Override
  public void close() {
    delegate.close();
  }
}
