package dev.airlock.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.AirlockConfig;
import dev.airlock.SandboxPool;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Attack review 3: the classpath view (issue 20 item 3) keeps secrets from workers by a list of file names
 * ({@code application*.properties|yml|yaml}, {@code bootstrap*}, {@code .env}, key-store suffixes,
 * {@code META-INF/spring*}). Configuration of every other common shape is bound into the sandbox and read by the
 * guest: Typesafe/Akka/Play {@code application.conf}, Micronaut {@code application.json}, Hibernate
 * {@code hibernate.cfg.xml} and {@code hibernate.properties}, JPA {@code META-INF/persistence.xml}, a GCP service
 * account {@code credentials.json}, an SSH key {@code id_rsa}. Each file in this module's test resources holds a
 * {@code HOSTSECRET} marker.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ClasspathSecretNamesTest {
  private static final List<String> CONFIGURATION = List.of("application.conf", "application.json",
      "hibernate.cfg.xml", "hibernate.properties", "META-INF/persistence.xml", "credentials.json", "id_rsa",
      // the control: masked by name today
      "application.properties");
  private static final AirlockConfig LOCAL = AirlockConfig.builder().backend("local")
      .localIsolation(AirlockConfig.LocalIsolation.STRICT).timeoutSeconds(30).build();

  private final List<SandboxPool> pools = new ArrayList<>();

  @AfterEach
  void nothingLeftBehind() throws InterruptedException {
    pools.forEach(SandboxPool::close);
    FaultTest.awaitTrue(() -> WorkerProcesses.descendants().isEmpty(), Duration.ofSeconds(10));
  }

  @Test
  void configurationFilesOfEveryCommonShapeAreKeptFromTheGuest() {
    SandboxPool pool = SandboxPool.builder(LOCAL).minSize(0).maxSize(1).build();
    pools.add(pool);
    assertThat(readResource("hibernate.properties")).as("the host sees the file").contains("HOSTSECRET");

    Map<String, String> read = pool.call(ClasspathSecretNamesTest::readEverything);

    assertThat(read.get("application.properties")).as("control").doesNotContain("HOSTSECRET");
    Map<String, String> leaked = new TreeMap<>(read);
    leaked.values().removeIf(text -> !text.contains("HOSTSECRET"));
    assertThat(leaked).as("host configuration the guest read").isEmpty();
  }

  /** Guest code: reads each file as a class-path resource. */
  static TreeMap<String, String> readEverything() {
    TreeMap<String, String> read = new TreeMap<>();
    for (String name : CONFIGURATION) {
      read.put(name, readResource(name));
    }
    return read;
  }

  private static String readResource(String name) {
    try (InputStream in = ClasspathSecretNamesTest.class.getClassLoader().getResourceAsStream(name)) {
      return in == null ? "(missing)" : new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
    } catch (Exception e) {
      return "(" + e + ")";
    }
  }
}
