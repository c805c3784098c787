package dev.airlock.internal.morph;

import dev.airlock.SandboxUnavailableException;
import dev.airlock.internal.cloud.CloudSandbox;
import dev.airlock.internal.cloud.HttpCalls;
import dev.airlock.internal.cloud.SandboxService;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import okhttp3.HttpUrl;

/** Morph Cloud as the cloud backend's {@link SandboxService}. */
final class MorphInstances implements SandboxService {
  /**
   * Why a Morph call cannot have egress rules. Morph's API (instance start, exec, HTTP services, TTL, snapshot,
   * branch; docs/egress.md cites the reference) has no outbound filter, so the instance reaches the whole internet
   * directly, and a proxy would restrict nothing: the guest connects around it. A call that names hosts is refused
   * rather than run with more than it asked for.
   */
  static final String NO_EGRESS = "Morph instances have the whole internet and Morph offers no egress filtering, so "
      + "Airlock cannot restrict where the call connects";
  /** How long an instance may take to become ready and expose its port. */
  static final Duration START_TIMEOUT = Duration.ofSeconds(120);

  private final MorphSettings settings;
  private final MorphApi api;
  private final MorphFiles files;

  MorphInstances(MorphSettings settings, HttpCalls calls) {
    this.settings = settings;
    this.api = new MorphApi(settings, calls);
    this.files = new MorphFiles(settings);
  }

  @Override
  public CloudSandbox create(Map<String, String> labels, Duration lifetime) {
    String id = api.start(labels, lifetime, System.nanoTime() + START_TIMEOUT.toNanos());
    try {
      HttpUrl service = api.expose(id, settings.bridgePort());
      return new MorphInstance(id, service, api, files, settings);
    } catch (IOException | RuntimeException e) {
      try {
        api.stop(id);
      } catch (IOException | RuntimeException ignored) {
        // Its TTL stops it.
      }
      throw new SandboxUnavailableException("could not expose the bridge port of Morph instance " + id + ": "
          + e.getMessage(), e);
    }
  }

  @Override
  public List<Listed> list(Map<String, String> filter) throws IOException {
    return api.list(filter);
  }

  @Override
  public boolean kill(String id) throws IOException {
    return api.stop(id);
  }

  @Override
  public Optional<String> egressUnsupported() {
    return Optional.of(NO_EGRESS);
  }

  @Override
  public void close() {
    files.close();
  }
}
