package dev.airlock.internal.e2b;

import dev.airlock.internal.cloud.CloudSandbox;
import dev.airlock.internal.cloud.HttpCalls;
import dev.airlock.internal.cloud.SandboxService;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** E2B as the cloud backend's {@link SandboxService}. */
final class E2bSandboxes implements SandboxService {
  private final E2bSettings settings;
  private final HttpCalls calls;
  private final E2bApi api;

  E2bSandboxes(E2bSettings settings, HttpCalls calls) {
    this.settings = settings;
    this.calls = calls;
    this.api = new E2bApi(settings, calls);
  }

  @Override
  public CloudSandbox create(Map<String, String> labels, Duration lifetime) {
    return new E2bSandbox(settings, api, calls, api.create(labels, lifetime));
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
