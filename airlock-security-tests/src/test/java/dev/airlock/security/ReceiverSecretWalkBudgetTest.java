package dev.airlock.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.airlock.AirlockConfig;
import dev.airlock.SandboxPool;
import dev.airlock.UnshippableInvocationException;
import dev.airlock.annotation.Airlock;
import dev.airlock.annotation.ShipFields;
import dev.airlock.internal.codec.ShippingCheck;
import dev.airlock.internal.guard.Guard;
import dev.airlock.internal.guard.InProcessRateLimitStore;
import dev.airlock.internal.intercept.AirlockInterceptor;
import java.lang.reflect.Method;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Attack review 3: the receiver's secret check (issue 20 item 3) walked at most 20,000 nodes and then let the call
 * ship. A {@code @ShipFields} tool that holds a 20,000-entry table next to a client whose settings hold an
 * {@code apiKey} shipped the key: breadth first, the settings come after the table's entries, past the budget. Now
 * the whole receiver is judged, and one too big to judge is refused. Its names missed passphrase, pwd and
 * authorization, and its values were never looked at: a connection string or webhook URL shipped under any name.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ReceiverSecretWalkBudgetTest {
  private static final String KEY = "sk-host-secret-0123456789abcdef";
  private static final AirlockConfig LOCAL = AirlockConfig.builder().backend("local")
      .localIsolation(AirlockConfig.LocalIsolation.STRICT).timeoutSeconds(30).build();

  private final List<SandboxPool> pools = new ArrayList<>();

  @AfterEach
  void nothingLeftBehind() throws InterruptedException {
    pools.forEach(SandboxPool::close);
    FaultTest.awaitTrue(() -> WorkerProcesses.descendants().isEmpty(), Duration.ofSeconds(10));
  }

  public static final class Settings {
    final String apiKey;

    Settings(String apiKey) {
      this.apiKey = apiKey;
    }
  }

  public static final class Client {
    final Settings settings;

    Client(Settings settings) {
      this.settings = settings;
    }
  }

  /** A catalogue tool: state it needs (the table) and state it must not ship (the client's settings). */
  @ShipFields
  public static class Catalogue {
    final List<String> products = new ArrayList<>();
    final Client client;

    Catalogue(int products, String key) {
      for (int i = 0; i < products; i++) {
        this.products.add("p" + i);
      }
      this.client = new Client(new Settings(key));
    }

    @Airlock(sandbox = true, sandboxRequired = true, timeoutSeconds = 30)
    public String search(String query) {
      // Guest code: whatever crossed is readable here (the review read it the same way from memory).
      return client.settings.apiKey;
    }
  }

  /**
   * The receiver check knows six words ({@code key}, {@code secret}, {@code password}, {@code passwd},
   * {@code token}, {@code credential}); the masker's own list already has {@code passphrase}, {@code pwd} and
   * {@code auth}. Each of these fields ships and is read by the guest.
   */
  @ShipFields
  public static class Mailer {
    final String passphrase = "HOSTSECRET-passphrase";
    final String pwd = "HOSTSECRET-pwd";
    final String authorization = "Bearer HOSTSECRET-authorization";
    final String databaseUrl = "postgres://app:HOSTSECRET-dsn@db:5432/app";
    final String slackWebhook = "https://hooks.slack.com/services/T0/B0/HOSTSECRET-webhook";

    @Airlock(sandbox = true, sandboxRequired = true, timeoutSeconds = 30)
    public String send(String to) {
      return String.join("|", passphrase, pwd, authorization, databaseUrl, slackWebhook);
    }
  }

  @Test
  void secretsUnderNamesOutsideTheSixWordsAreRefused() throws Throwable {
    Mailer tool = new Mailer();
    Throwable thrown = catchThrowable(() -> {
      Object returned = call(tool, Mailer.class.getMethod("send", String.class));
      assertThat(returned).as("what the guest read of the host's receiver").asString()
          .doesNotContain("HOSTSECRET");
    });
    assertThat(thrown).as("a receiver holding secrets must be refused")
        .isInstanceOf(UnshippableInvocationException.class);
  }

  private Object callThroughTheInterceptor(Catalogue tool) throws Throwable {
    return call(tool, Catalogue.class.getMethod("search", String.class));
  }

  private Object call(Object tool, Method method) throws Throwable {
    SandboxPool pool = SandboxPool.builder(LOCAL).minSize(0).maxSize(1).build();
    pools.add(pool);
    AirlockInterceptor interceptor = new AirlockInterceptor(new AirlockInterceptor.PoolResolver() {
      @Override
      public AirlockConfig config() {
        return LOCAL;
      }

      @Override
      public SandboxPool pool(String backend, int memoryMb) {
        return pool;
      }
    }, new Guard(name -> Optional.empty(), new InProcessRateLimitStore(), Clock.systemUTC()));
    return interceptor.intercept(tool, method, new Object[] {"q"}, () -> {
      throw new AssertionError("must not run on the host");
    });
  }

  /** One field each, under a name no word catches: only the value's shape gives it away. */
  @ShipFields
  public static final class Holder {
    final Object held;

    Holder(Object held) {
      this.held = held;
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"postgres://app:HOSTSECRET@db:5432/app", "https://hooks.slack.com/services/T0/B0/HOSTSECRET",
      "Bearer abcdefghHOSTSECRET", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJob3N0In0.c2lnbmF0dXJlSE9TVA",
      "spring.datasource.password=HOSTSECRET", "sk-proj-abcdefghijklmnopqrstuvwx"})
  void aSecretShapedValueUnderAnyNameIsRefusedNamingItsPath(String value) {
    assertThatThrownBy(() -> ShippingCheck.check(new Holder(List.of("plain", value)), new Object[0]))
        .isInstanceOf(UnshippableInvocationException.class).hasMessageContaining("receiver.held[1]")
        .hasMessageContaining("transient").hasMessageNotContaining("HOSTSECRET");
  }

  @Test
  void aSecretInsideAnOptionalOrAnAtomicReferenceIsRefused() {
    Settings settings = new Settings(KEY);
    assertThatThrownBy(() -> ShippingCheck.check(new Holder(Optional.of(settings)), new Object[0]))
        .isInstanceOf(UnshippableInvocationException.class).hasMessageContaining("receiver.held.get().apiKey");
    assertThatThrownBy(() -> ShippingCheck.check(new Holder(
        new java.util.concurrent.atomic.AtomicReference<>(settings)), new Object[0]))
        .isInstanceOf(UnshippableInvocationException.class).hasMessageContaining("receiver.held.get().apiKey");
  }

  @Test
  void aMapKeyNamedLikeASecretIsRefused() {
    assertThatThrownBy(() -> ShippingCheck.check(new Holder(Map.of("OPENAI_API_KEY", "x1")), new Object[0]))
        .isInstanceOf(UnshippableInvocationException.class).hasMessageContaining("receiver.held[OPENAI_API_KEY]");
    ShippingCheck.check(new Holder(Map.of("maxTokens", 5, "region", "eu")), new Object[0]);
  }

  @Test
  void aReceiverTooBigToJudgeIsRefusedNotShippedUnjudged() {
    List<String> rows = new ArrayList<>();
    for (int i = 0; i < 300_000; i++) {
      rows.add("p" + i);
    }
    assertThatThrownBy(() -> ShippingCheck.check(new Holder(rows), new Object[0]))
        .isInstanceOf(UnshippableInvocationException.class).hasMessageContaining("more than 200000 objects")
        .hasMessageContaining("argument");
    // The same data as an argument is the caller's explicit data, not judged for secrets nor refused for its size.
    ShippingCheck.check(null, new Object[] {rows});
  }

  @Test
  void aSmallTableNextToTheKeyIsRefused() {
    Throwable thrown = catchThrowable(() -> callThroughTheInterceptor(new Catalogue(10, KEY)));
    assertThat(thrown).isInstanceOf(UnshippableInvocationException.class).hasMessageContaining("apiKey");
  }

  @Test
  void aTableOfTwentyThousandEntriesNextToTheKeyIsRefused() {
    Throwable thrown = catchThrowable(() -> {
      Object returned = callThroughTheInterceptor(new Catalogue(20_000, KEY));
      assertThat(returned).as("the guest read the host's key").isNotEqualTo(KEY);
    });
    assertThat(thrown).as("the receiver's key must be refused whatever else the receiver holds")
        .isInstanceOf(UnshippableInvocationException.class).hasMessageContaining("apiKey");
  }
}
