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

/** Connects to the engine that {@code DOCKER_HOST} names (the local unix socket by default) and checks it answers. */
record DockerEngine(DockerClient client, URI host) {
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
  /** Every call this backend makes is short (no streaming), so a stuck engine is noticed within this. */
  private static final Duration RESPONSE_TIMEOUT = Duration.ofSeconds(30);

  static DockerEngine connect() {
    DockerClientConfig config = DefaultDockerClientConfig.createDefaultConfigBuilder().build();
    URI host = config.getDockerHost();
    DockerHttpClient http = new ZerodepDockerHttpClient.Builder()
        .dockerHost(host)
        .sslConfig(config.getSSLConfig())
        .connectionTimeout(CONNECT_TIMEOUT)
        .responseTimeout(RESPONSE_TIMEOUT)
        .maxConnections(16)
        .build();
    DockerClient client = DockerClientImpl.getInstance(config, http);
    try {
      client.pingCmd().exec();
      return new DockerEngine(client, host);
    } catch (RuntimeException e) {
      closeQuietly(client);
      throw unreachable(host, e);
    }
  }

  SandboxUnavailableException unreachable(Throwable cause) {
    return unreachable(host, cause);
  }

  void close() {
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
