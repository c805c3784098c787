package dev.airlock.internal.e2b;

import dev.airlock.internal.backend.EgressControl;
import dev.airlock.internal.cloud.CloudSandbox;
import dev.airlock.internal.cloud.HttpCalls;
import dev.airlock.internal.cloud.SandboxService;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** E2B as the cloud backend's {@link SandboxService}. */
final class E2bSandboxes implements SandboxService {
  private final E2bSettings settings;
  private final HttpCalls calls;
  private final E2bApi api;
  /** The pool's egress, sent with every create; null when none is configured. */
  private final E2bEgress egress;

  E2bSandboxes(E2bSettings settings, HttpCalls calls) {
    this(settings, calls, null);
  }

  E2bSandboxes(E2bSettings settings, HttpCalls calls, E2bEgress egress) {
    this.settings = settings;
    this.calls = calls;
    this.api = new E2bApi(settings, calls);
    this.egress = egress;
  }

  @Override
  public CloudSandbox create(Map<String, String> labels, Duration lifetime) {
    return new E2bSandbox(settings, api, calls, api.create(labels, lifetime, egress));
  }

  @Override
  public Optional<EgressControl> egress(CloudSandbox sandbox) {
    return egress == null ? Optional.empty() : Optional.of(new E2bSandboxEgress(egress, api, sandbox.id()));
  }

  @Override
  public List<Listed> list(Map<String, String> filter) throws IOException {
    return api.list(filter);
  }

  @Override
  public boolean kill(String id) throws IOException {
    return api.kill(id);
  }
}
