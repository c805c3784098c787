package dev.airlock.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.airlock.UnshippableInvocationException;
import dev.airlock.annotation.ShipFields;
import java.net.URI;
import java.net.URL;
import java.nio.CharBuffer;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The secret check reads text wherever an opted-in receiver holds it, not only in {@code String}s: a secret kept as
 * a {@code char[]}, a {@code StringBuilder}, a {@code URL} or a {@code URI} is refused like the same String.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SecretTextHoldersTest {

  /** A field named like no secret, holding a value shaped like one. */
  @ShipFields
  public static final class Holder {
    private final Object endpoint;

    public Holder(Object endpoint) {
      this.endpoint = endpoint;
    }

    public String where() {
      return "sandbox";
    }
  }

  private static final String CONNECTION = "postgres://billing:hunter2hunter2@db.internal:5432/main";
  private static final String WEBHOOK = "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXX";

  @Test
  void aSecretInAnyTextHolderIsRefusedNamingItsPath() throws Exception {
    Object[] holders = {CONNECTION.toCharArray(), new StringBuilder(CONNECTION), new StringBuffer(WEBHOOK),
        new URL("https://user:hunter2hunter2@api.internal/v1"), URI.create(WEBHOOK), readToItsEnd(CONNECTION)};
    try (HostilePool hostile = new HostilePool()) {
      for (Object held : holders) {
        Throwable refused = catchThrowable(() -> hostile.invoke(new Holder(held), "where"));

        assertThat(refused).as(held.getClass().getName()).isExactlyInstanceOf(UnshippableInvocationException.class)
            .hasMessageContaining("receiver.endpoint").hasMessageContaining("looks like a");
      }
      assertThat(hostile.backend.processes()).as("refused before any worker was involved").isEmpty();
    }
  }

  /**
   * A CharBuffer whose position reached its limit: its toString() is empty, while its backing array, which is what a
   * serializer writes, still holds every character.
   */
  private static CharBuffer readToItsEnd(String text) {
    CharBuffer buffer = CharBuffer.wrap(text.toCharArray());
    buffer.position(buffer.limit());
    return buffer;
  }

  @Test
  void aSecretShapedMapKeyIsRefusedWithoutQuotingIt() throws Exception {
    try (HostilePool hostile = new HostilePool()) {
      Throwable refused = catchThrowable(() -> hostile.invoke(new Holder(java.util.Map.of(CONNECTION, "primary")),
          "where"));

      assertThat(refused).isExactlyInstanceOf(UnshippableInvocationException.class)
          .hasMessageContaining("receiver.endpoint").hasMessageContaining("looks like a")
          .hasMessageNotContaining("hunter2");
    }
  }

  @Test
  void plainTextHoldersStillShip() throws Throwable {
    try (HostilePool hostile = new HostilePool()) {
      assertThat(hostile.invoke(new Holder(new StringBuilder("EUR")), "where")).isEqualTo("sandbox");
    }
  }
}
