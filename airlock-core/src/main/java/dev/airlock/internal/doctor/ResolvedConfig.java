package dev.airlock.internal.doctor;

import dev.airlock.AirlockConfig;
import dev.airlock.internal.doctor.DoctorReport.Setting;
import dev.airlock.internal.doctor.DoctorReport.Source;
import dev.airlock.spi.SandboxBackendProvider;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The configuration the way the agent resolves it ({@link AirlockConfig#fromSources} from system properties and the
 * environment, then the agent's options on top), or the Spring starter (its application.properties below those),
 * with the source of every value. The sources are looked up with the
 * same keys and the same precedence, so what is reported is what the application would get.
 */
record ResolvedConfig(AirlockConfig config, List<Setting> settings) {
  private static final List<String> SECRET_WORDS = List.of("key", "token", "secret", "password", "credential");

  /** The {@code airlock.*} keys of a Spring Boot {@code application.properties}; none when there is no file. */
  record SpringFile(Path file, Map<String, String> values) {
    static final SpringFile NONE = new SpringFile(null, Map.of());

    static SpringFile read(Path file) {
      if (!file.getFileName().toString().endsWith(".properties")) {
        throw new IllegalArgumentException("--spring takes an application.properties file, not " + file
            + "; for application.yml pass its airlock.* values with -D or AIRLOCK_* variables");
      }
      Properties properties = new Properties();
      try (Reader in = Files.newBufferedReader(file)) {
        properties.load(in);
      } catch (IOException e) {
        throw new IllegalArgumentException("--spring " + file + " cannot be read: " + e.getMessage());
      }
      Map<String, String> values = new TreeMap<>();
      properties.stringPropertyNames().stream().filter(key -> key.startsWith("airlock."))
          .forEach(key -> values.put(key, properties.getProperty(key)));
      return new SpringFile(file, values);
    }
  }

  static ResolvedConfig resolve(Map<String, String> agentOptions, Map<String, String> commandLine,
      Function<String, String> properties, Function<String, String> environment, SpringFile spring) {
    AirlockConfig.Builder builder = AirlockConfig.fromSources(properties, environment).toBuilder();
    // Spring's own order: system properties, then the environment, then application.properties.
    spring.values().forEach((key, value) -> {
      if (properties.apply(key) == null && environment.apply(AirlockConfig.environmentName(key)) == null) {
        builder.set(key, value);
      }
    });
    Map<String, String> overrides = new LinkedHashMap<>(agentOptions);
    overrides.putAll(commandLine);
    overrides.forEach(builder::set);
    AirlockConfig config = builder.build();

    Set<String> keys = new LinkedHashSet<>(AirlockConfig.CORE_KEYS);
    for (SandboxBackendProvider provider : ServiceLoader.load(SandboxBackendProvider.class,
        AirlockConfig.class.getClassLoader())) {
      keys.addAll(provider.configKeys());
    }
    keys.addAll(spring.values().keySet());
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
      } else if (spring.values().containsKey(key)) {
        setting = new Setting(key, values.get(key), Source.SPRING, spring.file().toString());
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
