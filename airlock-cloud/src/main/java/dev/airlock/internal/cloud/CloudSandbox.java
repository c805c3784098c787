package dev.airlock.internal.cloud;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import okhttp3.HttpUrl;
import okhttp3.Request;

/** One running cloud sandbox (an E2B sandbox, a Morph instance) as {@link BridgedBackend} uses it. */
public interface CloudSandbox {

  String id();

  /** A request builder aimed at {@code path} on the bridge's port, with the proxy's routing and access headers. */
  Request.Builder bridgeRequest(String path);

  /**
   * Writes files into the sandbox through the provider's file channel, creating folders as needed, by
   * {@code deadline} (nanoTime), the launch's.
   */
  void upload(List<SandboxFile> files, long deadline) throws IOException;

  /**
   * Starts the bridge when the template's own start command did not leave it running. Returns once the process was
   * started; readiness is polled on its port. Whatever answers the start (envd, the provider's exec) ends by
   * {@code deadline} (nanoTime), the launch's: the launch runs on the caller's thread, and its sandbox is extended
   * until it ends.
   */
  void startBridge(List<String> command, long deadline) throws IOException;

  /** After {@link #startBridge}: how the started bridge ended, once it has (with its output). */
  default Optional<String> bridgeExit() {
    return Optional.empty();
  }

  /** After {@link #startBridge}: the bridge answers, so whatever follows its start can stop. */
  default void bridgeReady() {
  }

  /** Sets the sandbox to die {@code lifetime} from now unless extended again. */
  void extendLifetime(Duration lifetime) throws IOException;

  /** Kills the sandbox; one that is already gone counts as killed. Never throws. */
  void kill();

  /** Builds the URL of {@code path} under a base URL whose own path may be non-empty. */
  static HttpUrl resolve(HttpUrl base, String path) {
    HttpUrl.Builder builder = base.newBuilder();
    for (String segment : path.split("/")) {
      if (!segment.isEmpty()) {
        builder.addPathSegment(segment);
      }
    }
    return builder.build();
  }
}
