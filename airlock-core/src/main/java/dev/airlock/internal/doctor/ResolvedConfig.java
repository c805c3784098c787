package dev.airlock.internal.doctor;

import dev.airlock.AirlockConfig;
import dev.airlock.internal.doctor.DoctorReport.Setting;
import dev.airlock.internal.doctor.DoctorReport.Source;
import dev.airlock.spi.SandboxBackendProvider;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.function.Function;

/**
 * The configuration the way the agent resolves it ({@link AirlockConfig#fromSources} from system properties and the
 * environment, then the agent's options on top), with the source of every value. The sources are looked up with the
 * same keys and the same precedence, so what is reported is what the application would get.
 */
record ResolvedConfig(AirlockConfig config, List<Setting> settings) {
  private static final List<String> SECRET_WORDS = List.of("key", "token", "secret", "password", "credential");

  static ResolvedConfig resolve(Map<String, String> agentOptions, Map<String, String> commandLine,
      Function<String, String> properties, Function<String, String> environment) {
    AirlockConfig.Builder builder = AirlockConfig.fromSources(properties, environment).toBuilder();
    Map<String, String> overrides = new LinkedHashMap<>(agentOptions);
    overrides.putAll(commandLine);
    overrides.forEach(builder::set);
    AirlockConfig config = builder.build();

    Set<String> keys = new LinkedHashSet<>(AirlockConfig.CORE_KEYS);
    for (SandboxBackendProvider provider : ServiceLoader.load(SandboxBackendProvider.class,
        AirlockConfig.class.getClassLoader())) {
      keys.addAll(provider.configKeys());
    }
    keys.addAll(overrides.keySet());
    Map<String, String> values = config.asMap();
    List<Setting> settings = new ArrayList<>();
    for (String key : keys) {
      String env = AirlockConfig.environmentName(key);
      Setting setting;
      if (commandLine.containsKey(key)) {
        setting = new Setting(key, values.get(key), Source.COMMAND_LINE, "--" + key.substring("airlock.".length()));
      } else if (agentOptions.containsKey(key)) {
        setting = new Setting(key, values.get(key), Source.AGENT_OPTION, "--agent-options");
      } else if (properties.apply(key) != null) {
        setting = new Setting(key, values.get(key), Source.SYSTEM_PROPERTY, "-D" + key);
      } else if (environment.apply(env) != null) {
        setting = new Setting(key, values.get(key), Source.ENVIRONMENT, env);
      } else {
        setting = new Setting(key, values.get(key), Source.DEFAULT, null);
      }
      settings.add(masked(setting));
    }
    return new ResolvedConfig(config, settings);
  }

  /** Secrets are reported as set or unset, never by value: the doctor's output ends up in CI logs. */
  private static Setting masked(Setting setting) {
    String name = setting.key().substring(setting.key().lastIndexOf('.') + 1).toLowerCase(Locale.ROOT);
    boolean secret = SECRET_WORDS.stream().anyMatch(name::contains);
    if (!secret || setting.value() == null || setting.value().isEmpty()) {
      return setting;
    }
    return new Setting(setting.key(), "(set, " + setting.value().length() + " characters, not shown)",
        setting.source(), setting.from());
  }
}
