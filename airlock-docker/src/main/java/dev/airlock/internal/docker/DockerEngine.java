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
 * @param probes for {@link #probe()} alone: whether the engine answers is asked on connections of its own, since
 *     {@link #client}'s may all be taken by work that guests can slow (a worker's removal waits for its processes)
 * @param host the engine's address
 */
record DockerEngine(DockerClient client, DockerClient lifelines, DockerClient probes, URI host) {
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
  /** Every call of {@link #client} is short (no streaming), so a stuck engine is noticed within this. */
  private static final Duration RESPONSE_TIMEOUT = Duration.ofSeconds(30);
  /** Far above any pool's size: a lifeline without a connection would be a worker without one. */
  private static final int MAX_LIFELINES = 4096;
  /** The backend's calls: create, start, inspect, remove, a failed start's console. */
  private static final int MAX_CALLS = 16;
  /** Probes are rare (after a failed start) and a ping is short: a few at once are plenty. */
  private static final int MAX_PROBES = 2;

  static DockerEngine connect() {
    DockerClientConfig config = DefaultDockerClientConfig.createDefaultConfigBuilder().build();
    URI host = config.getDockerHost();
    DockerClient client = client(config, RESPONSE_TIMEOUT, MAX_CALLS);
    try {
      client.pingCmd().exec();
      return new DockerEngine(client, client(config, null, MAX_LIFELINES), client(config, RESPONSE_TIMEOUT,
          MAX_PROBES), host);
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

  /**
   * Throws {@link SandboxUnavailableException} when the engine does not answer a ping. A ping on {@link #client}
   * would wait for one of its connections first, and with all of them busy (a start retried under load, removals of
   * workers whose guests slow their end) it failed after the client's wait for a connection: the backend was called
   * unavailable while its engine answered, and a call that does not require a sandbox then ran on the host.
   */
  void probe() {
    try {
      probes.pingCmd().exec();
    } catch (RuntimeException e) {
      throw unreachable(host, e);
    }
  }

  void close() {
    closeQuietly(probes);
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
