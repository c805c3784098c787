package dev.airlock.internal.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The idle proof reads the JVM's thread count from {@code /proc/<pid>/stat} without strings: field 20, counted after
 * the command name, which guest code chooses (a thread or process may rename itself to anything of 15 bytes,
 * parentheses and spaces included).
 */
class IdleProofTest {

  @Test
  void readsTheThreadCountOfThisJvmAsProcStatusSaysIt() throws Exception {
    byte[] stat = Files.readAllBytes(Path.of("/proc/self/stat"));
    int threads = Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("Threads:"))
        .map(l -> Integer.parseInt(l.substring("Threads:".length()).strip())).findFirst().orElseThrow();
    // Threads may start or end between the two reads; the stat line is read again until they agree.
    int parsed = IdleProof.threads(stat, stat.length);
    for (int i = 0; i < 20 && parsed != threads; i++) {
      stat = Files.readAllBytes(Path.of("/proc/self/stat"));
      parsed = IdleProof.threads(stat, stat.length);
    }
    assertThat(parsed).isEqualTo(threads).isGreaterThan(1);
  }

  @Test
  void aCommandNameWithParenthesesAndSpacesDoesNotShiftTheField() {
    String fields = " S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 42 0 99 1000 2000 rest";
    assertThat(threads("1234 (a) b) c 7)" + fields)).isEqualTo(42);
    assertThat(threads("1234 (x)" + fields)).isEqualTo(42);
  }

  @Test
  void aLineItCannotReadIsNoCount() {
    assertThat(threads("")).isEqualTo(-1);
    assertThat(threads("1234 no command name at all")).isEqualTo(-1);
    assertThat(threads("1234 (x) S 1 2")).isEqualTo(-1);
    assertThat(threads("1234 (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 4x2 0")).isEqualTo(-1);
    assertThat(threads("1234 (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 99999999999 0")).isEqualTo(-1);
    byte[] line = "1234 (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 42 0".getBytes(StandardCharsets.US_ASCII);
    byte[] padded = Arrays.copyOf(line, 4096);
    assertThat(IdleProof.threads(padded, line.length)).as("only the bytes read count").isEqualTo(42);
  }

  private static int threads(String stat) {
    byte[] bytes = stat.getBytes(StandardCharsets.US_ASCII);
    return IdleProof.threads(bytes, bytes.length);
  }
}
