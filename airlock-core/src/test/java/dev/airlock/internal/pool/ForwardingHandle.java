package dev.airlock.internal.pool;

import dev.airlock.spi.WorkerHandle;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Optional;

/** A worker handle that hands everything to another; a test overrides what it slows down or watches. */
class ForwardingHandle implements WorkerHandle {
  final WorkerHandle delegate;

  ForwardingHandle(WorkerHandle delegate) {
    this.delegate = delegate;
  }

  @Override
  public String id() {
    return delegate.id();
  }

  @Override
  public InputStream input() {
    return delegate.input();
  }

  @Override
  public OutputStream output() {
    return delegate.output();
  }

  @Override
  public boolean isAlive() {
    return delegate.isAlive();
  }

  @Override
  public void kill() {
    delegate.kill();
  }

  @Override
  public Optional<String> resourceLimitHit() {
    return delegate.resourceLimitHit();
  }

  @Override
  public String describeExit() {
    return delegate.describeExit();
  }

  @Override
  public void ready() {
    delegate.ready();
  }

  @Override
  public boolean provablyIdle() {
    return delegate.provablyIdle();
  }
}
