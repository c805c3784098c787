package dev.airlock.bench;

import dev.airlock.SandboxCall;

/** The no-op tool of the warm-call figures: a small argument in, a small int out. */
public record Ping(String text, int number) implements SandboxCall<Integer> {

  static final Ping SMALL = new Ping("ping", 7);

  @Override
  public Integer call() {
    return text.length() + number;
  }
}
