package dev.airlock.internal.morph;

import com.fasterxml.jackson.databind.JsonNode;
import dev.airlock.internal.backend.GuestText;
import dev.airlock.internal.cloud.CloudSandbox;
import dev.airlock.internal.cloud.SandboxFile;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import okhttp3.HttpUrl;
import okhttp3.Request;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One Morph instance: its exposed bridge service, SFTP for files, {@code exec} to start the bridge. */
final class MorphInstance implements CloudSandbox {
  private static final Logger LOG = LoggerFactory.getLogger(MorphInstance.class);

  private final String id;
  private final HttpUrl service;
  private final MorphApi api;
  private final MorphFiles files;
  private final MorphSettings settings;

  MorphInstance(String id, HttpUrl service, MorphApi api, MorphFiles files, MorphSettings settings) {
    this.id = id;
    this.service = service;
    this.api = api;
    this.files = files;
    this.settings = settings;
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public Request.Builder bridgeRequest(String path) {
    return new Request.Builder().url(CloudSandbox.resolve(service, path)).header("User-Agent", "airlock-java");
  }

  @Override
  public void upload(List<SandboxFile> batch, long deadline) throws IOException {
    files.upload(id, batch, deadline);
  }

  /** {@code exec} waits for its command, so the bridge is started in the background with its output in a file. */
  @Override
  public void startBridge(List<String> command, long deadline) throws IOException {
    String line = command.stream().map(MorphInstance::quote).collect(Collectors.joining(" "));
    String script = "mkdir -p " + quote(settings.home()) + " && nohup " + line + " > "
        + quote(settings.home() + "/bridge.log") + " 2>&1 < /dev/null &";
    JsonNode result = api.exec(id, List.of("/bin/sh", "-c", script), deadline);
    if (result.path("exit_code").asInt(-1) != 0) {
      throw new IOException("starting the worker bridge in Morph instance " + id + " failed (exit code "
          + result.path("exit_code").asInt(-1) + "): "
          + GuestText.escape(result.path("stderr").asText(""), MorphApi.MAX_QUOTED_CHARS));
    }
  }

  static String quote(String arg) {
    return "'" + arg.replace("'", "'\\''") + "'";
  }

  @Override
  public void extendLifetime(Duration lifetime) throws IOException {
    api.ttl(id, lifetime);
  }

  @Override
  public void kill() {
    try {
      if (!api.stop(id)) {
        LOG.debug("Morph instance {} was already gone", id);
      }
    } catch (IOException | RuntimeException e) {
      LOG.warn("could not stop Morph instance {}: {}; its TTL stops it", id, e.getMessage());
    }
  }
}
