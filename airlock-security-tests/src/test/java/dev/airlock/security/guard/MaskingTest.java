package dev.airlock.security.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.airlock.AirlockConfig;
import dev.airlock.AirlockException;
import dev.airlock.AirlockPolicy;
import dev.airlock.SandboxPool;
import dev.airlock.annotation.Airlock;
import dev.airlock.internal.intercept.AirlockInterceptor;
import dev.airlock.internal.guard.Guard;
import dev.airlock.internal.guard.InProcessRateLimitStore;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.AbstractMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 20 items 4 and 5: masking covers exceptions and every value shape, fails closed on what it cannot rebuild,
 * finds keys written the common ways, hashes with a key, and runs in linear time on hostile text.
 */
class MaskingTest {
  private static final String SECRET = "hunter2-Secret";

  private static Guard guard(AirlockPolicy.Masking masking) {
    AirlockPolicy policy = AirlockPolicy.builder().masking(masking).build();
    return new Guard(name -> Optional.of(policy), new InProcessRateLimitStore(), Clock.systemUTC());
  }

  private static Object mask(Object value) {
    return guard(AirlockPolicy.Masking.FULL).after(value, "");
  }

  /** A host tool whose exception carries a secret, as the samples' tools hand exceptions to the model. */
  public static class Tools {
    @Airlock(sandbox = false, timeoutSeconds = 30)
    public int parse(String number) {
      NumberFormatException thrown = new NumberFormatException("For input string: \"DB_PASSWORD=" + SECRET + "\"");
      thrown.initCause(new IllegalStateException("connect postgres://admin:" + SECRET + "@db:5432/x"));
      thrown.addSuppressed(new RuntimeException("token: " + SECRET));
      throw thrown;
    }

    @Airlock(sandbox = false, timeoutSeconds = 30)
    public int plain(String number) {
      throw new IllegalArgumentException("no such file");
    }
  }

  private static Throwable thrownThroughTheInterceptor(String tool) throws Exception {
    AirlockInterceptor interceptor = new AirlockInterceptor(new AirlockInterceptor.PoolResolver() {
      @Override
      public AirlockConfig config() {
        return AirlockConfig.defaults();
      }

      @Override
      public SandboxPool pool(String backend, int memoryMb) {
        throw new AssertionError("host tools need no pool");
      }
    }, guard(AirlockPolicy.Masking.FULL));
    Tools tools = new Tools();
    Method method = Tools.class.getMethod(tool, String.class);
    try {
      interceptor.intercept(tools, method, new Object[] {"x"}, () -> {
        try {
          return method.invoke(tools, "x");
        } catch (InvocationTargetException e) {
          throw e.getCause();
        }
      });
    } catch (Throwable t) {
      return t;
    }
    throw new AssertionError("the tool threw nothing");
  }

  @Test
  void exceptionMessagesCausesAndSuppressedAreMaskedAndKeepTheirType() throws Exception {
    Throwable seen = thrownThroughTheInterceptor("parse");
    assertThat(seen).isInstanceOf(NumberFormatException.class);
    assertThat(seen.getMessage()).doesNotContain(SECRET).contains("DB_PASSWORD=[REDACTED]");
    assertThat(seen.getCause()).isInstanceOf(IllegalStateException.class);
    assertThat(seen.getCause().getMessage()).doesNotContain(SECRET);
    assertThat(seen.getSuppressed()).hasSize(1);
    assertThat(seen.getSuppressed()[0].getMessage()).doesNotContain(SECRET);
    assertThat(seen.getStackTrace()[0].getMethodName()).isEqualTo("parse");
  }

  @Test
  void anExceptionWithNothingToMaskPassesUnchanged() throws Exception {
    Throwable seen = thrownThroughTheInterceptor("plain");
    assertThat(seen).isInstanceOf(IllegalArgumentException.class).hasMessage("no such file");
  }

  @Test
  void keysWithPrefixesQuotesAndUnicodeFormsAreFound() {
    for (String text : new String[] {"DB_PASSWORD=" + SECRET, "AWS_SECRET_ACCESS_KEY=" + SECRET,
        "{\"password\":\"" + SECRET + "\"}", "{\"api_key\": \"" + SECRET + "\"}", "spring.datasource.password: " + SECRET,
        "ｐａｓｓｗｏｒｄ＝" + SECRET, "password\u00A0=\u2003" + SECRET, "client-secret=" + SECRET}) {
      assertThat((String) mask(text)).as(text).doesNotContain(SECRET).doesNotContain("Secret");
    }
  }

  /** A record whose component is of a caller-defined CharSequence type cannot hold the masked String. */
  public record Note(CharSequence text) {
  }

  public record Wrapped(Label label) {
  }

  public static final class Label implements CharSequence {
    private final String text;

    public Label(String text) {
      this.text = text;
    }

    @Override public int length() { return text.length(); }
    @Override public char charAt(int i) { return text.charAt(i); }
    @Override public CharSequence subSequence(int a, int b) { return text.subSequence(a, b); }
    @Override public String toString() { return text; }
  }

  public static final class Report {
    private final String body;
    private final Object detail;

    public Report(String body, Object detail) {
      this.body = body;
      this.detail = detail;
    }
  }

  @Test
  void everyShapeIsWalkedOrRefusedNeverReturnedUnmasked() throws Exception {
    String leak = "password=" + SECRET;
    assertThat(new String((char[]) mask(leak.toCharArray()))).doesNotContain(SECRET);
    assertThat(new String((byte[]) mask(leak.getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8))
        .doesNotContain(SECRET);
    assertThat(mask(new StringBuilder(leak)).toString()).doesNotContain(SECRET);
    assertThat(((Optional<?>) mask(Optional.of(leak))).orElseThrow().toString()).doesNotContain(SECRET);
    assertThat(mask(new AbstractMap.SimpleEntry<>("k", leak)).toString()).doesNotContain(SECRET);
    Report report = (Report) mask(new Report(leak, Map.of("inner", leak)));
    var body = Report.class.getDeclaredField("body");
    body.setAccessible(true);
    assertThat((String) body.get(report)).doesNotContain(SECRET);
    var detail = Report.class.getDeclaredField("detail");
    detail.setAccessible(true);
    assertThat(detail.get(report).toString()).doesNotContain(SECRET);
    assertThatThrownBy(() -> mask(new Wrapped(new Label(leak)))).isInstanceOf(AirlockException.class)
        .hasMessageContaining("withheld").hasMessageNotContaining(SECRET);
    assertThat(((Note) mask(new Note(leak))).text().toString()).doesNotContain(SECRET);
    assertThatThrownBy(() -> mask(new java.net.URI("postgres://admin:" + SECRET + "@db/x")))
        .isInstanceOf(AirlockException.class).hasMessageNotContaining(SECRET);
  }

  @Test
  void hashModeIsKeyedNotAPlainDigestOfTheValue() throws Exception {
    String phone = "call +49 30 1234 5678";
    String hashed = (String) guard(AirlockPolicy.Masking.HASH).after(phone, "");
    String plainDigest = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
        .digest("+49 30 1234 5678".getBytes(StandardCharsets.UTF_8)));
    assertThat(hashed).matches("call \\[PHONE:[0-9a-f]{16}]");
    assertThat(plainDigest).doesNotContain(hashed.substring(12, 28)).doesNotStartWith(hashed.substring(12, 20));
    assertThat(guard(AirlockPolicy.Masking.HASH).after(phone, "")).isEqualTo(hashed);
    AirlockPolicy keyed = AirlockPolicy.builder().masking(AirlockPolicy.Masking.HASH)
        .hashKey("a-key-from-the-secret-store").build();
    Guard keyedGuard = new Guard(name -> Optional.of(keyed), new InProcessRateLimitStore(), Clock.systemUTC());
    Object keyedHash = keyedGuard.after(phone, "");
    assertThat(keyedHash).isNotEqualTo(hashed);
    assertThat(keyedGuard.after(phone, "")).isEqualTo(keyedHash);
  }

  /** The inputs that took 92 s and more on the old patterns mask within a generous bound on a loaded machine. */
  @Test
  @Timeout(120)
  void hostileTextMasksInLinearTime() {
    String[] hostile = {"a.".repeat(64 * 1024), "a@" + "a.".repeat(64 * 1024), "eyJ".repeat(40_000),
        ("eyJ" + "a".repeat(50) + ".").repeat(2_000), "-----BEGIN RSA PRIVATE KEY-----".repeat(4_000),
        "a://".repeat(30_000), "x:y@".repeat(30_000), "password=".repeat(14_000), "1 ".repeat(60_000)};
    for (String text : hostile) {
      long start = System.nanoTime();
      Object masked = mask(text);
      long millis = (System.nanoTime() - start) / 1_000_000;
      assertThat(millis).as("%d chars starting %s", text.length(), text.substring(0, 12)).isLessThan(5_000);
      assertThat(masked).isNotNull();
    }
  }
}
