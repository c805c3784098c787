package dev.airlock.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.airlock.UnshippableInvocationException;
import dev.airlock.annotation.ShipFields;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.beans.factory.annotation.Value;

/**
 * Issue 20 item 3: host secrets do not cross in the receiver. A receiver's fields ship only when its class opts in
 * (records and classes without instance state ship as they are), and a field whose name or binding marks a secret
 * is refused even then, naming the field and the fix.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReceiverSecretsTest {

  /** A typical service bean: an API key and a setting, and a method that needs neither. */
  public static final class BillingTool {
    private final String apiKey = "sk-live-0123456789";
    private final int retries = 3;

    public String where() {
      return "sandbox " + retries;
    }
  }

  /** Opted in, but one field is a secret by name. */
  @ShipFields
  public static final class Formatter {
    private final String currency = "EUR";
    private final Credentials service = new Credentials();

    public String where() {
      return "sandbox " + currency;
    }
  }

  public static final class Credentials {
    private final String user = "svc";
    private final char[] dbPassword = "hunter2".toCharArray();
  }

  @ShipFields
  public static final class BoundTool {
    @Value("${openai.url}")
    private final String endpoint = "https://api.example";

    public String where() {
      return "sandbox";
    }
  }

  @ShipFields
  public static final class Settings {
    private final String currency = "EUR";
    private final int maxTokens = 512;
    /** Injected on the host, as a real key would be (a field initializer would be in the class file anyway). */
    private final transient String apiKey;

    public Settings(String apiKey) {
      this.apiKey = apiKey;
    }

    public String where() {
      return "sandbox " + currency + " " + maxTokens + " " + apiKey;
    }
  }

  public record Point(int x, String label) {
    public String where() {
      return label + x;
    }
  }

  /** State that is no secret, but not asked for either. */
  public static final class RegionTool {
    private final String region = "eu-west-1";

    public String where() {
      return "sandbox " + region;
    }
  }

  public static final class Stateless {
    public String where() {
      return "sandbox";
    }
  }

  @Test
  void aReceiverWithStateIsNotShippedUnlessItsClassOptsIn() throws Exception {
    try (HostilePool hostile = new HostilePool()) {
      Throwable key = catchThrowable(() -> hostile.invoke(new BillingTool(), "where"));
      Throwable state = catchThrowable(() -> hostile.invoke(new RegionTool(), "where"));

      assertThat(key).isExactlyInstanceOf(UnshippableInvocationException.class)
          .hasMessageContaining("receiver.apiKey").hasMessageContaining("transient");
      assertThat(state).isExactlyInstanceOf(UnshippableInvocationException.class)
          .hasMessageContaining(RegionTool.class.getName()).hasMessageContaining("[region]")
          .hasMessageContaining("@ShipFields").hasMessageContaining("static");
      assertThat(hostile.backend.processes()).as("refused before any worker was involved").isEmpty();
    }
  }

  @Test
  void aSecretAnywhereInAnOptedInReceiverIsRefusedNamingItsPath() throws Exception {
    try (HostilePool hostile = new HostilePool()) {
      Throwable byName = catchThrowable(() -> hostile.invoke(new Formatter(), "where"));
      Throwable byBinding = catchThrowable(() -> hostile.invoke(new BoundTool(), "where"));

      assertThat(byName).isExactlyInstanceOf(UnshippableInvocationException.class)
          .hasMessageContaining("receiver.service.dbPassword").hasMessageContaining("transient");
      assertThat(byBinding).isExactlyInstanceOf(UnshippableInvocationException.class)
          .hasMessageContaining("receiver.endpoint").hasMessageContaining("@Value");
      assertThat(hostile.backend.processes()).isEmpty();
    }
  }

  @Test
  void anOptedInReceiverShipsWhatItNeedsAndNoTransientSecret() throws Throwable {
    try (HostilePool hostile = new HostilePool()) {
      assertThat(hostile.invoke(new Settings(System.getProperty("user.name")), "where")).isEqualTo("sandbox EUR 512 null");
      assertThat(hostile.invoke(new Point(3, "p"), "where")).as("a record ships as it is").isEqualTo("p3");
    }
  }

  @Test
  void aStatelessReceiverShipsAsBefore() throws Throwable {
    try (HostilePool hostile = new HostilePool()) {
      assertThat(hostile.invoke(new Stateless(), "where")).isEqualTo("sandbox");
    }
  }
}
