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
   * How {@code sandbox} controls egress, its own control since it holds that sandbox's current rules, or empty when
   * the service's sandboxes have no egress control: a call that names hosts is then refused.
   */
  default Optional<EgressControl> egress(CloudSandbox sandbox) {
    return Optional.empty();
  }

  /**
   * Why the service's sandboxes can have no egress path at all, said to a call that names hosts (see
   * {@link EgressControl.Source#egressUnsupported()}); empty when {@link #egress} gives one whenever egress is
   * configured.
   */
  default Optional<String> egressUnsupported() {
    return Optional.empty();
  }

  /** Releases what the service holds (clients, threads); sandboxes are killed before. */
  default void close() {
  }

  /** A sandbox as listed, with its labels. */
  record Listed(String id, Map<String, String> labels) {
  }
}
