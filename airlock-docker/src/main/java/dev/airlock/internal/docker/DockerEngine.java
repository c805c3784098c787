package dev.airlock.internal.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.transport.DockerHttpClient;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
import dev.airlock.SandboxUnavailableException;
import java.net.URI;
import java.time.Duration;

/**
 * Connects to the engine that {@code DOCKER_HOST} names (the local unix socket by default) and checks it answers.
 *
 * @param client for the backend's calls, all short
 * @param lifelines for the attaches that hold each worker's lifeline open ({@link HostLifeline}): silent for the
 *     worker's whole life, so without a response timeout, and one connection each
 * @param host the engine's address
 */
record DockerEngine(DockerClient client, DockerClient lifelines, URI host) {
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
  /** Every call of {@link #client} is short (no streaming), so a stuck engine is noticed within this. */
  private static final Duration RESPONSE_TIMEOUT = Duration.ofSeconds(30);
  /** Far above any pool's size: a lifeline without a connection would be a worker without one. */
  private static final int MAX_LIFELINES = 4096;

  static DockerEngine connect() {
    DockerClientConfig config = DefaultDockerClientConfig.createDefaultConfigBuilder().build();
    URI host = config.getDockerHost();
    DockerClient client = client(config, RESPONSE_TIMEOUT, 16);
    try {
      client.pingCmd().exec();
      return new DockerEngine(client, client(config, null, MAX_LIFELINES), host);
    } catch (RuntimeException e) {
      closeQuietly(client);
      throw unreachable(host, e);
    }
  }

  /** @param responseTimeout null for none */
  private static DockerClient client(DockerClientConfig config, Duration responseTimeout, int maxConnections) {
    DockerHttpClient http = new ZerodepDockerHttpClient.Builder()
        .dockerHost(config.getDockerHost())
        .sslConfig(config.getSSLConfig())
        .connectionTimeout(CONNECT_TIMEOUT)
        .responseTimeout(responseTimeout)
        .maxConnections(maxConnections)
        .build();
    return DockerClientImpl.getInstance(config, http);
  }

  SandboxUnavailableException unreachable(Throwable cause) {
    return unreachable(host, cause);
  }

  void close() {
    closeQuietly(lifelines);
    closeQuietly(client);
  }

  private static SandboxUnavailableException unreachable(URI host, Throwable cause) {
    return new SandboxUnavailableException("the Docker engine at " + host + " (DOCKER_HOST) does not answer: "
        + cause + ". Start the Docker daemon (e.g. 'systemctl start docker' or 'dockerd &'), let this user use its "
        + "socket, or set DOCKER_HOST to a running engine", cause);
  }

  private static void closeQuietly(DockerClient client) {
    try {
      client.close();
    } catch (java.io.IOException | RuntimeException e) {
      // Nothing is left to release on a client whose engine is gone.
    }
  }
}
