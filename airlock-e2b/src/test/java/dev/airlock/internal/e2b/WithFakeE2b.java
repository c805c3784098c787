package dev.airlock.internal.e2b;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** A fresh {@link FakeE2b} per test, closed after it with every sandbox it still runs. */
abstract class WithFakeE2b {
  protected final E2bTesting testing = new E2bTesting();
  protected FakeE2b fake;

  @BeforeEach
  void startFake(@TempDir Path dir) throws Exception {
    fake = new FakeE2b(dir, E2bTesting.BRIDGE_PORT);
  }

  @AfterEach
  void stopFake() throws Exception {
    fake.close();
  }
}
