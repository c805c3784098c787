package dev.airlock.bench;

import dev.airlock.SandboxCall;

/** Returns its argument, so the payload crosses the boundary twice: as argument and as result. */
public record Echo(Document payload) implements SandboxCall<Document> {

  @Override
  public Document call() {
    return payload;
  }
}
