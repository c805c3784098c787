package dev.airlock.internal.e2b;

import dev.airlock.AirlockConfig;
import dev.airlock.internal.cloud.BridgedBackend;
import dev.airlock.internal.cloud.CloudHttp;
import dev.airlock.internal.cloud.HttpCalls;
import dev.airlock.internal.cloud.RetryPolicy;
import dev.airlock.internal.cloud.fake.LocalBridge;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Wiring of the E2B backend to a {@link FakeE2b}, as a user would configure it for a private deployment. */
final class E2bTesting {
  static final int BRIDGE_PORT = 49990;

  /** Waits the tests asked for, recorded instead of slept. */
  final List<Duration> waits = new CopyOnWriteArrayList<>();

  AirlockConfig config(FakeE2b fake) {
    return AirlockConfig.builder().backend("e2b").timeoutSeconds(30).memoryMb(96).sandboxRequired(true)
        .backendProperty(E2bSettings.API_KEY, FakeE2b.API_KEY)
        .backendProperty(E2bSettings.API_URL, fake.api.url("/").toString())
        .backendProperty(E2bSettings.SANDBOX_URL, fake.proxy.url("/").toString())
        .build();
  }

  E2bSettings settings(AirlockConfig config) {
    return E2bSettings.from(config, name -> null)
        .withBridgeCommand(LocalBridge.command(BRIDGE_PORT, Path.of(FakeE2b.HOME)));
  }

  HttpCalls calls() {
    return new HttpCalls(CloudHttp.client(), RetryPolicy.DEFAULT.withSleeper(waits::add));
  }

  BridgedBackend backend(FakeE2b fake) {
    return E2bBackendProvider.create(settings(config(fake)), calls());
  }
}
