package dev.airlock.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.AirlockConfig;
import dev.airlock.SandboxPool;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attack review 15: the local sandbox binds the whole JDK folder, and a JDK folder is where the JMX agent keeps its
 * passwords by default ({@code conf/management/jmxremote.password}, mode 0600, the JDK docs' own setup). The sandbox's
 * user is the host user in a user namespace, so a file only the host user may read is read by the guest too. A
 * worker never starts the management agent (no attach, no {@code -Dcom.sun.management}), so it needs nothing there.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class JdkSecretsTest {

  @Test
  void theJmxPasswordFileOfTheWorkersJdkIsNotReadInTheSandbox(@TempDir Path dir) throws Exception {
    Path jdk = copyOfThisJdk(dir.resolve("jdk"));
    String secret = "monitorRole " + UUID.randomUUID();
    Path passwords = jdk.resolve("conf/management/jmxremote.password");
    Files.createDirectories(passwords.getParent());
    Files.writeString(passwords, secret + "\n");
    Files.setPosixFilePermissions(passwords, PosixFilePermissions.fromString("rw-------"));
    AirlockConfig config = AirlockConfig.builder().backend("local").localJava(jdk.resolve("bin/java").toString())
        .localClassCache("off").localIsolation(AirlockConfig.LocalIsolation.STRICT).timeoutSeconds(60).build();

    String read;
    try (SandboxPool pool = SandboxPool.builder(config).minSize(0).maxSize(1).build()) {
      read = pool.call(JdkSecretsTest::readJmxPasswords);
    } finally {
      FaultTest.awaitTrue(() -> WorkerProcesses.descendants().isEmpty(), Duration.ofSeconds(10));
    }

    assertThat(read).as("the guest ran on the copied JDK").startsWith("java.home=" + jdk);
    assertThat(read).as("what the guest read of the JDK's JMX password file").doesNotContain(secret);
  }

  /** Guest code: the JMX password file at its default place. */
  static String readJmxPasswords() {
    String home = System.getProperty("java.home");
    try {
      return "java.home=" + home + " " + Files.readString(Path.of(home, "conf/management/jmxremote.password"));
    } catch (IOException | RuntimeException e) {
      return "java.home=" + home + " " + e;
    }
  }

  /**
   * A copy of the running JDK whose files are hard links (no 260 MB copy) and whose folders are new, so the test
   * adds a file without touching the installed JDK; symbolic links (Debian's into /etc) are kept as they are.
   */
  private static Path copyOfThisJdk(Path target) throws Exception {
    Path home = Path.of(System.getProperty("java.home")).toRealPath();
    Process copy = new ProcessBuilder("cp", "-al", home.toString(), target.toString()).inheritIO().start();
    if (!copy.waitFor(60, TimeUnit.SECONDS) || copy.exitValue() != 0) {
      copy.destroyForcibly();
      Process full = new ProcessBuilder("cp", "-a", home.toString(), target.toString()).inheritIO().start();
      assertThat(full.waitFor(120, TimeUnit.SECONDS) && full.exitValue() == 0).as("copied the JDK").isTrue();
    }
    // A new file in a copied folder: the installed JDK's own files are never written.
    Path management = target.resolve("conf/management");
    if (Files.isSymbolicLink(management)) {
      Files.delete(management);
    }
    return target;
  }
}
