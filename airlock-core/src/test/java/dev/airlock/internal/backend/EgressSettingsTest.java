package dev.airlock.internal.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.airlock.AirlockConfig;
import dev.airlock.AirlockPolicy;
import dev.airlock.internal.egress.EgressReport;
import dev.airlock.internal.egress.SecretInjection;
import dev.airlock.internal.guard.AuditLog;
import dev.airlock.internal.intercept.CallEgress;
import dev.airlock.spi.SecretResolver;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The egress keys: read, defaulted, validated at start with errors naming the key; secrets resolved on the host. */
class EgressSettingsTest {

  private static AirlockConfig read(Map<String, String> properties) {
    return AirlockConfig.fromSources(properties, Map.of());
  }

  @Test
  void nothingConfiguredMeansNoEgressPathAtAll() {
    EgressSettings settings = EgressSettings.of(AirlockConfig.defaults());
    assertThat(settings.enabled()).isFalse();
    assertThat(settings.allow()).isEmpty();
    assertThat(settings.maxBytesPerCall()).isEqualTo(EgressSettings.DEFAULT_MAX_BYTES_PER_CALL);
    assertThat(settings.maxConnectionTime()).isEqualTo(Duration.ofSeconds(60));
  }

  @Test
  void anyEntryPolicyEntryOrSecretEnablesIt() {
    assertThat(EgressSettings.of(read(Map.of(AirlockConfig.EGRESS_ALLOW, "api.github.com, *.wikipedia.org")))
        .allow()).containsExactly("api.github.com", "*.wikipedia.org");
    assertThat(EgressSettings.of(read(Map.of("airlock.policy.web.egress", "example.com:8443"))).enabled()).isTrue();
    assertThat(EgressSettings.of(read(Map.of(AirlockConfig.EGRESS_ENABLED, "true"))).enabled()).isTrue();
    AirlockPolicy policy = AirlockPolicy.fromProperties("web", Map.of("airlock.policy.web.egress", "a.test, b.test"));
    assertThat(policy.egress()).containsExactly("a.test", "b.test");
  }

  @Test
  void badValuesFailAtStartNamingTheKey() {
    assertThatThrownBy(() -> read(Map.of(AirlockConfig.EGRESS_ALLOW, "http://api.github.com/path")))
        .hasMessageContaining(AirlockConfig.EGRESS_ALLOW);
    assertThatThrownBy(() -> read(Map.of("airlock.policy.web.egress", "exa mple.com")))
        .hasMessageContaining("airlock.policy.web.egress");
    assertThatThrownBy(() -> read(Map.of(AirlockConfig.EGRESS_MAX_BYTES_PER_CALL, "-1")))
        .hasMessageContaining(AirlockConfig.EGRESS_MAX_BYTES_PER_CALL);
    assertThatThrownBy(() -> read(Map.of(AirlockConfig.EGRESS_MAX_CONNECTION_SECONDS, "soon")))
        .hasMessageContaining(AirlockConfig.EGRESS_MAX_CONNECTION_SECONDS);
    assertThatThrownBy(() -> read(Map.of("airlock.egress.alow", "x.test"))).hasMessageContaining("airlock.egress.alow");
    assertThatThrownBy(() -> read(Map.of("airlock.egress.secrets.k.host", "api.test")))
        .hasMessageContaining("airlock.egress.secrets.k.header is missing");
    assertThatThrownBy(() -> read(Map.of("airlock.egress.secrets.k.hots", "api.test")))
        .hasMessageContaining("airlock.egress.secrets.k.hots");
    assertThatThrownBy(() -> read(Map.of("airlock.egress.secrets.k.host", "api.test", "airlock.egress.secrets.k.header",
        "X-Key", "airlock.egress.secrets.k.value", "v", "airlock.egress.secrets.k.plain-http", "yes")))
        .hasMessageContaining("airlock.egress.secrets.k.plain-http='yes'");
    assertThatThrownBy(() -> read(Map.of(AirlockConfig.EGRESS_ENABLED, "false", AirlockConfig.EGRESS_ALLOW, "a.test")))
        .hasMessageContaining(AirlockConfig.EGRESS_ENABLED);
  }

  @Test
  void aSecretHostMayNameOnePortAndNothingWider() {
    List<SecretInjection> resolved = EgressSettings.of(read(Map.of("airlock.egress.secrets.k.host", "api.test:8443",
        "airlock.egress.secrets.k.header", "X-Key", "airlock.egress.secrets.k.value", "v"))).resolveSecrets(n -> null);
    assertThat(resolved).singleElement().satisfies(s -> {
      assertThat(s.host()).isEqualTo("api.test");
      assertThat(s.port()).isEqualTo(8443);
    });
    for (String host : List.of("*.api.test", "10.0.0.1", "[::1]:443", "api.test:0", "api.test:x", "api.test/x")) {
      assertThatThrownBy(() -> read(Map.of("airlock.egress.secrets.k.host", host, "airlock.egress.secrets.k.header",
          "X-Key", "airlock.egress.secrets.k.value", "v"))).as(host)
          .hasMessageContaining("airlock.egress.secrets.k.host='" + host + "'");
    }
  }

  @Test
  void secretReferencesAreResolvedOnTheHostAndAMissingOneNamesTheKeyNotAValue() {
    AirlockConfig config = read(Map.of("airlock.egress.secrets.openai.host", "api.openai.com",
        "airlock.egress.secrets.openai.header", "Authorization",
        "airlock.egress.secrets.openai.value", "Bearer ${env:OPENAI_API_KEY}"));
    EgressSettings settings = EgressSettings.of(config);
    assertThat(settings.enabled()).isTrue();
    assertThat(settings.secrets().toString()).doesNotContain("${env");
    List<SecretInjection> resolved = settings.resolveSecrets(Map.of("OPENAI_API_KEY", "sk-123")::get);
    assertThat(resolved).singleElement().satisfies(s -> {
      assertThat(s.host()).isEqualTo("api.openai.com");
      assertThat(s.header()).isEqualTo("Authorization");
      assertThat(s.value()).isEqualTo("Bearer sk-123");
    });
    assertThatThrownBy(() -> settings.resolveSecrets(name -> null))
        .hasMessageContaining("airlock.egress.secrets.openai.value").hasMessageContaining("OPENAI_API_KEY");
    EgressSettings.register(new SecretResolver() {
      @Override
      public String scheme() {
        return "vault-test";
      }

      @Override
      public Optional<String> resolve(String name) {
        return name.equals("openai") ? Optional.of("from-vault") : Optional.empty();
      }
    });
    AirlockConfig vault = read(Map.of("airlock.egress.secrets.v.host", "api.openai.com",
        "airlock.egress.secrets.v.header", "Authorization", "airlock.egress.secrets.v.value", "${vault-test:openai}"));
    assertThat(EgressSettings.of(vault).resolveSecrets(name -> null)).singleElement()
        .satisfies(s -> assertThat(s.value()).isEqualTo("from-vault"));
  }

  @Test
  void theAuditRecordCarriesTheCallsEgress() {
    AuditLog.Entry entry = new AuditLog.Entry("fetch", null, null, "error", "IOException", "local",
        Duration.ofMillis(5), "hmac:x", new EgressReport(List.of("api.github.com:443"), 120, 3400,
        List.of("evil.test:443: not allowed")));
    assertThat(entry.toJson()).contains("\"egress\":{\"hostsContacted\":[\"api.github.com:443\"],\"bytesUp\":120,"
        + "\"bytesDown\":3400,\"refused\":[\"evil.test:443: not allowed\"]}");
    assertThat(new AuditLog.Entry("t", null, null, "success", null, "local", Duration.ZERO, "h").toJson())
        .doesNotContain("egress");
  }

  @Test
  void aCallsEntriesAreItsAnnotationsAndItsPolicysEachOnce() {
    assertThat(CallEgress.of(new String[] {"a.test", "b.test"}, List.of("b.test", "c.test")).entries())
        .containsExactly("a.test", "b.test", "c.test");
  }
}
