package dev.airlock.internal.morph;

import dev.airlock.AirlockConfig;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** A fresh {@link FakeMorph} per test, closed after it with every instance it still runs. */
abstract class WithFakeMorph {
  static final int BRIDGE_PORT = 49990;
  protected FakeMorph fake;
  /** Where the gateway's host key is recorded: the test's own, never the user's. */
  protected Path knownHosts;

  @BeforeEach
  void startFake(@TempDir Path dir) throws Exception {
    fake = new FakeMorph(dir, BRIDGE_PORT);
    knownHosts = dir.resolve("config").resolve("known_hosts");
  }

  @AfterEach
  void stopFake() throws Exception {
    fake.close();
  }

  /** The Morph backend pointed at the fake, as a user would configure it for a private deployment. */
  AirlockConfig.Builder config() {
    return AirlockConfig.builder().backend("morph").timeoutSeconds(30).memoryMb(96).sandboxRequired(true)
        .backendProperty(MorphSettings.API_KEY, FakeMorph.API_KEY)
        .backendProperty(MorphSettings.API_URL, fake.api.url("/").toString())
        .backendProperty(MorphSettings.SSH_HOST, "127.0.0.1")
        .backendProperty(MorphSettings.SSH_PORT, Integer.toString(fake.ssh.getPort()))
        .backendProperty(MorphSettings.SSH_KNOWN_HOSTS, knownHosts.toString())
        .backendProperty(MorphSettings.SNAPSHOT, FakeMorph.SNAPSHOT);
  }
}
