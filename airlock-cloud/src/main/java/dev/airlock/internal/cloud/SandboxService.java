package dev.airlock.internal.cloud;

import dev.airlock.internal.backend.EgressControl;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A provider's control plane as {@link BridgedBackend} uses it: create, list by label, kill. */
public interface SandboxService {

  /** Creates one sandbox from the provider's Airlock template, labelled, dying after {@code lifetime}. */
  CloudSandbox create(Map<String, String> labels, Duration lifetime);

  /** Sandboxes carrying every label in {@code filter}, all pages. */
  List<Listed> list(Map<String, String> filter) throws IOException;

  /** Kills a sandbox by id; returns false when it was already gone. */
  boolean kill(String id) throws IOException;

  /**
   * How the service's sandboxes control egress, the same for each (they get it when created), or empty when they
   * have no egress control: a call that names hosts is then refused.
   */
  default Optional<EgressControl> egress() {
    return Optional.empty();
  }

  /** Releases what the service holds (clients, threads); sandboxes are killed before. */
  default void close() {
  }

  /** A sandbox as listed, with its labels. */
  record Listed(String id, Map<String, String> labels) {
  }
}
