package dev.airlock.internal.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.airlock.AirlockPolicy.Masking;
import dev.airlock.SandboxedCodeException;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class OutputMaskerTest {
  private final OutputMasker typeOnly = new OutputMasker(Masking.TYPE_ONLY, 0);

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "aws AKIAIOSFODNN7EXAMPLE here | aws [AWS_KEY] here",
      "openai sk-proj-abcdefghijklmnopqrstuvwxyz012345 | openai [API_KEY]",
      "gh ghp_abcdefghijklmnopqrstuvwxyz0123456789 ok | gh [API_KEY] ok",
      "slack xoxb-123456789012-abcdefghij | slack [API_KEY]",
      "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U | jwt [JWT]",
      "db postgres://admin:hunter2@db.internal:5432/app | db [CONNECTION_STRING]",
      "password=hunter22 and more | password=[PASSWORD] and more",
      "mail ann.lee+tools@example.co.uk now | mail [EMAIL] now",
      "write to ann@example.com. Thanks | write to [EMAIL]. Thanks",
      "write to ann.lee@mail.example.co.uk. | write to [EMAIL].",
      "visa 4111-1111-1111-1111 | visa [CARD_NUMBER]",
      "amex 378282246310005 | amex [CARD_NUMBER]",
      "call +49 30 1234 5678 | call [PHONE]",
      "call (415) 555-2671 | call [PHONE]",
      "host 192.168.10.20 | host [IP_ADDRESS]"})
  void masksRealLookingSecretsAndPersonalData(String input, String expected) {
    assertThat(typeOnly.mask(input)).isEqualTo(expected);
  }

  @Test
  void masksPrivateKeyBlocks() {
    String pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\nabc\n-----END RSA PRIVATE KEY-----";
    assertThat(typeOnly.mask("key: " + pem + " end")).isEqualTo("key: [PRIVATE_KEY] end");
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "id 123e4567-e89b-12d3-a456-426614174000",
      "order 4111111111111112 is not a card (Luhn fails)",
      "version 1.2.3.4.5 and 10.0",
      "timestamp 1700000000000",
      "build 2026-11-23T10:00:00Z",
      "ratio 0.75 of 1234",
      "zeros 0000 0000 0000 0000",
      "commit 9fceb02d0ae598e95dc970b74767f19372d61af8"})
  void leavesLookAlikesAlone(String input) {
    assertThat(typeOnly.mask(input)).isEqualTo(input);
  }

  @Test
  void strategiesReplaceDifferently() {
    String card = "4111 1111 1111 1111";
    assertThat(new OutputMasker(Masking.FULL, 0).mask(card)).isEqualTo("[REDACTED]");
    assertThat(new OutputMasker(Masking.PARTIAL, 0).mask(card)).isEqualTo("***************1111");
    assertThat(new OutputMasker(Masking.HASH, 0).mask(card)).matches("\\[CARD_NUMBER:[0-9a-f]{16}]");
    assertThat(new OutputMasker(Masking.HASH, 0).mask(card)).isEqualTo(new OutputMasker(Masking.HASH, 0).mask(card));
    assertThat(new OutputMasker(Masking.NONE, 0).mask(card)).isEqualTo(card);
  }

  record Credentials(String user, String password, int tokenCount) {
  }

  static final class Account {
    String owner = "Ann";
    char[] apiToken = "Zt81qcWpL0".toCharArray();
    StringBuilder sessionCookie = new StringBuilder("c00kieValue");
  }

  @Test
  void textHeldUnderASecretsNameIsMaskedWholeInMapsRecordsAndFields() {
    // Attack review 17: "AWS_SECRET_ACCESS_KEY=wJalr..." was masked as text, but the same pair in a map (a tool
    // returning System.getenv()) or a record came back unmasked, and an MCP server then wrote it to the client as
    // {"AWS_SECRET_ACCESS_KEY":"wJalr..."}.
    String awsSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    OutputMasker full = new OutputMasker(Masking.FULL, 0);
    java.util.Map<String, String> env = new java.util.LinkedHashMap<>();
    env.put("HOME", "/home/ann");
    env.put("AWS_SECRET_ACCESS_KEY", awsSecret);
    env.put("db.password", "hunter2 with spaces");
    env.put("GITHUB_TOKEN", "[REDACTED]");
    assertThat(full.clean(env)).isEqualTo(java.util.Map.of("HOME", "/home/ann", "AWS_SECRET_ACCESS_KEY", "[REDACTED]",
        "db.password", "[REDACTED]", "GITHUB_TOKEN", "[REDACTED]"));
    assertThat(typeOnly.clean(java.util.Map.entry("apiKey", "Zt81qcWpL0"))).hasToString("apiKey=[PASSWORD]");

    assertThat(typeOnly.clean(new Credentials("ann", "hunter22", 42)))
        .isEqualTo(new Credentials("ann", "[PASSWORD]", 42));
    Account account = (Account) typeOnly.clean(new Account());
    assertThat(account.owner).isEqualTo("Ann");
    assertThat(new String(account.apiToken)).isEqualTo("[PASSWORD]");
    assertThat(account.sessionCookie).hasToString("[PASSWORD]");
    assertThat(new OutputMasker(Masking.PARTIAL, 0).clean(java.util.Map.of("password", "hunter22")))
        .isEqualTo(java.util.Map.of("password", "****er22"));
    assertThat(new OutputMasker(Masking.NONE, 0).clean(java.util.Map.of("password", "hunter22")))
        .isEqualTo(java.util.Map.of("password", "hunter22"));
  }

  enum Setting { USER, DB_PASSWORD }

  record Keys(List<String> apiKeys, Optional<String> password, String[] tokens) {
  }

  @Test
  void jsonNodesUnderASecretsNameAreMaskedWhole() {
    // Attack review 19: Jackson's text node keeps its text in a field of no secret's name, so a tool returning a
    // JsonNode such as {"password": "hunter22"} passed as it was, while the same JSON as a string is masked.
    com.fasterxml.jackson.databind.node.ObjectNode node = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance
        .objectNode();
    node.put("user", "ann");
    node.put("password", "hunter22");
    node.putArray("apiKeys").add("Zt81qcWpL0").add(7);
    node.putObject("nested").put("client_secret", "wJalrXUtnFEMI");
    com.fasterxml.jackson.databind.JsonNode cleaned = (com.fasterxml.jackson.databind.JsonNode) typeOnly.clean(node);
    assertThat(cleaned.toString()).isEqualTo("{\"user\":\"ann\",\"password\":\"[PASSWORD]\",\"apiKeys\":"
        + "[\"[PASSWORD]\",7],\"nested\":{\"client_secret\":\"[PASSWORD]\"}}");
  }

  @Test
  void secretsInContainersUnderASecretsNameAndUnderAnEnumNameAreMaskedWhole() {
    // Attack review 19: text held directly under a secret's name was masked, but the same secrets in a list, an
    // optional, an array or as bytes under that name, or under an enum key, came back as they were.
    java.util.Map<String, Object> held = new java.util.LinkedHashMap<>();
    held.put("apiKeys", List.of("Zt81qcWpL0", "Qa72mdWpx9"));
    held.put("password", Optional.of("hunter22"));
    held.put("secretBytes", "wJalrXUtnFEMI".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
    held.put("tokens", new String[] {"Zt81qcWpL0"});
    java.util.Map<?, ?> cleaned = (java.util.Map<?, ?>) typeOnly.clean(held);
    assertThat(cleaned.get("apiKeys")).isEqualTo(List.of("[PASSWORD]", "[PASSWORD]"));
    assertThat(cleaned.get("password")).isEqualTo(Optional.of("[PASSWORD]"));
    assertThat(new String((byte[]) cleaned.get("secretBytes"), java.nio.charset.StandardCharsets.ISO_8859_1))
        .isEqualTo("[PASSWORD]");
    assertThat((String[]) cleaned.get("tokens")).containsExactly("[PASSWORD]");

    Keys keys = (Keys) typeOnly.clean(new Keys(List.of("Zt81qcWpL0"), Optional.of("hunter22"), new String[] {"abc1"}));
    assertThat(keys.apiKeys()).containsExactly("[PASSWORD]");
    assertThat(keys.password()).contains("[PASSWORD]");
    assertThat(keys.tokens()).containsExactly("[PASSWORD]");

    java.util.Map<Setting, String> settings = new java.util.EnumMap<>(Setting.class);
    settings.put(Setting.USER, "ann");
    settings.put(Setting.DB_PASSWORD, "hunter22");
    assertThat(typeOnly.clean(settings)).isEqualTo(java.util.Map.of(Setting.USER, "ann", Setting.DB_PASSWORD,
        "[PASSWORD]"));
    assertThat(typeOnly.clean(java.util.Map.of("names", List.of("ann", "bob"))))
        .as("a list under another name is cleaned as before")
        .isEqualTo(java.util.Map.of("names", List.of("ann", "bob")));
  }

  @Test
  void aGuestsExceptionKeepsItsRemoteClassNameWhenItsMessageIsMasked() {
    StackTraceElement frame = new StackTraceElement("com.acme.Users", "find", "Users.java", 12);
    SandboxedCodeException remote = new SandboxedCodeException("com.acme.UserMissing", "no user ann@example.com",
        java.util.List.of(frame), null);
    Throwable masked = typeOnly.clean(remote);
    assertThat(masked).isExactlyInstanceOf(SandboxedCodeException.class)
        .hasMessage("com.acme.UserMissing in the sandbox: no user [EMAIL]");
    SandboxedCodeException maskedRemote = (SandboxedCodeException) masked;
    assertThat(maskedRemote.remoteClassName()).isEqualTo("com.acme.UserMissing");
    assertThat(maskedRemote.remoteMessage()).isEqualTo("no user [EMAIL]");
    assertThat(maskedRemote.remoteStackTrace()).containsExactly(frame);
  }

  @Test
  void anExceptionTypeWithoutAMessageConstructorIsWithheldNotPassedThrough() {
    Throwable masked = typeOnly.clean(new NoMessageConstructor("password=hunter22"));
    assertThat(masked).isInstanceOf(MaskingRefusedException.class).hasMessageNotContaining("hunter22")
        .hasMessageContaining(NoMessageConstructor.class.getName());
  }

  @Test
  void maskingThatOverrunsItsDeadlineRedactsOrWithholdsNeverReturnsTheOriginal() {
    OutputMasker late = new OutputMasker(Masking.FULL, 0, null, java.time.Duration.ZERO);
    String text = "mail ann@example.com ".repeat(1_000);
    assertThat(late.clean(text)).isEqualTo(OutputMasker.OVERRUN);
    assertThatThrownBy(() -> late.clean(java.util.List.of(text))).isInstanceOf(MaskingRefusedException.class)
        .hasMessageContaining("withheld");
    assertThat(late.clean(new IllegalStateException(text))).isInstanceOf(MaskingRefusedException.class)
        .hasMessageNotContaining("ann@example.com");
  }

  @Test
  void theDeadlineCountsAcrossEveryStringOfAResultNotPerString() {
    // Each string is shorter than a scan's clock poll: only a deadline over the whole result stops the walk.
    java.util.List<String> rows = new java.util.ArrayList<>();
    for (int i = 0; i < 200_000; i++) {
      rows.add("row " + i + " mail ann@example.com");
    }
    OutputMasker quick = new OutputMasker(Masking.FULL, 0, null, java.time.Duration.ofMillis(20));
    long start = System.nanoTime();
    assertThatThrownBy(() -> quick.clean(rows)).isInstanceOf(MaskingRefusedException.class)
        .hasMessageContaining("within 20 ms");
    assertThat(java.time.Duration.ofNanos(System.nanoTime() - start)).isLessThan(java.time.Duration.ofSeconds(1));
  }

  /**
   * Attack review 25: the NFKC form the masker scans is bounded across the whole result, for one long string and for
   * many short ones, while ordinary text that is not normal (full-width letters, a ligature) is still masked.
   */
  @Test
  void textThatGrowsMoreThanTwiceWhenNormalizedIsRefusedOneStringOrMany() {
    OutputMasker full = new OutputMasker(Masking.FULL, 0);
    assertThatThrownBy(() -> full.clean("\uFDFA".repeat(100_000))).isInstanceOf(MaskingRefusedException.class)
        .hasMessageContaining("NFKC").hasMessageContaining("U+FDFA");
    List<String> rows = java.util.Collections.nCopies(1_000, "\uFDFA".repeat(1_000));
    assertThatThrownBy(() -> full.clean(rows)).isInstanceOf(MaskingRefusedException.class)
        .hasMessageContaining("NFKC");
    assertThat(full.clean(new IllegalStateException("\uFDFA".repeat(16_000))))
        .isInstanceOf(MaskingRefusedException.class).hasMessageContaining("IllegalStateException")
        .hasMessageContaining("NFKC");

    String wide = "ＡＢＣ ﬁle ".repeat(10_000) + "ａｎｎ＠ｅｘａｍｐｌｅ．ｃｏｍ";
    assertThat((String) full.clean(wide)).endsWith("[REDACTED]").startsWith("ABC file ABC");
    assertThat(full.clean(java.util.Collections.nCopies(1_000, "ﬁne ".repeat(10)))).isEqualTo(
        java.util.Collections.nCopies(1_000, "ﬁne ".repeat(10)));
  }

  @Test
  void aJdkTypeWhoseTextOutgrowsItsDataIsRefusedUnprinted() {
    java.util.BitSet bits = new java.util.BitSet();
    bits.set(0, 1_000);
    assertThatThrownBy(() -> typeOnly.clean(java.util.Map.of("flags", bits)))
        .isInstanceOf(MaskingRefusedException.class).hasMessageContaining("java.util.BitSet")
        .hasMessageContaining("toByteArray");
    // A JDK value whose text is its data is still inspected, and refused when that text holds a secret.
    assertThat(typeOnly.clean(java.net.URI.create("https://example.org/a"))).isEqualTo(
        java.net.URI.create("https://example.org/a"));
    assertThatThrownBy(() -> typeOnly.clean(java.net.URI.create("postgres://app:hunter22@db/app")))
        .isInstanceOf(MaskingRefusedException.class);
  }

  /** Only a constructor the masker cannot call with a masked message. */
  public static final class NoMessageConstructor extends RuntimeException {
    private static final long serialVersionUID = 1L;

    NoMessageConstructor(String message) {
      super(message);
    }
  }

  /** What a tool declared it returns: a caller's cast, or a record's canonical constructor, needs the same kind. */
  record Ranking(java.util.TreeMap<String, Integer> scores, java.util.LinkedList<String> log) {
  }

  enum Level { LOW, HIGH }

  @Test
  void maskedCollectionsKeepTheirKindAndOrder() {
    OutputMasker full = new OutputMasker(Masking.FULL, 0);
    java.util.TreeMap<String, String> reversed = new java.util.TreeMap<>(java.util.Comparator.reverseOrder());
    reversed.putAll(java.util.Map.of("a", "mail ann@example.com", "b", "ok"));
    assertThat(full.clean(reversed)).isInstanceOf(java.util.TreeMap.class)
        .isEqualTo(java.util.Map.of("a", "mail [REDACTED]", "b", "ok"))
        .satisfies(m -> assertThat(((java.util.TreeMap<?, ?>) m).firstKey()).isEqualTo("b"));
    java.util.TreeSet<String> set = new java.util.TreeSet<>(java.util.Comparator.reverseOrder());
    set.addAll(List.of("x", "y"));
    assertThat(full.clean(set)).isInstanceOf(java.util.TreeSet.class).asString().isEqualTo("[y, x]");
    assertThat(full.clean(new java.util.LinkedList<>(List.of("a")))).isInstanceOf(java.util.LinkedList.class);
    assertThat(full.clean(new java.util.ArrayDeque<>(List.of("a")))).isInstanceOf(java.util.ArrayDeque.class);
    assertThat(full.clean(new java.util.concurrent.ConcurrentHashMap<>(java.util.Map.of("k", "v"))))
        .isInstanceOf(java.util.concurrent.ConcurrentHashMap.class);
    assertThat(full.clean(new java.util.concurrent.ConcurrentSkipListMap<>(java.util.Map.of("k", "v"))))
        .isInstanceOf(java.util.concurrent.ConcurrentSkipListMap.class);
    java.util.EnumMap<Level, String> levels = new java.util.EnumMap<>(Level.class);
    levels.put(Level.HIGH, "password=hunter22");
    assertThat(full.clean(levels)).isInstanceOf(java.util.EnumMap.class)
        .isEqualTo(java.util.Map.of(Level.HIGH, "password=[REDACTED]"));
    assertThat(full.clean(java.util.EnumSet.of(Level.LOW))).isEqualTo(java.util.EnumSet.of(Level.LOW));
    java.util.TreeMap<String, Integer> scores = new java.util.TreeMap<>(java.util.Map.of("ann", 3));
    assertThat(full.clean(new Ranking(scores, new java.util.LinkedList<>(List.of("ann@example.com")))))
        .isEqualTo(new Ranking(scores, new java.util.LinkedList<>(List.of("[REDACTED]"))));
  }
}
