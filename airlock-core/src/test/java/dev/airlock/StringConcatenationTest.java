package dev.airlock;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.internal.worker.warmup.WarmUpCall;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The build compiles string concatenation to StringBuilder calls ({@code -XDstringConcat=inline} in the parent POM),
 * because an invokedynamic site is linked on its first run and the host's start-up and a worker's are first runs:
 * no class of airlock-core names the JDK's {@code StringConcatFactory}, but the worker's warm-up, which calls it as a
 * tool's sites are linked.
 */
class StringConcatenationTest {

  @Test
  void noClassLinksItsConcatenationAtRunTime() throws Exception {
    Path classes = Path.of(AirlockRuntime.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    assertThat(classes).as("airlock-core's compiled classes").isDirectory();
    List<Path> all;
    try (Stream<Path> files = Files.walk(classes)) {
      all = files.filter(file -> file.toString().endsWith(".class")).toList();
    }
    assertThat(all).as("classes read").hasSizeGreaterThan(100);
    assertThat(all).filteredOn(StringConcatenationTest::namesStringConcatFactory).map(Path::getFileName)
        .map(Path::toString).containsExactly(WarmUpCall.class.getSimpleName() + ".class");
  }

  private static boolean namesStringConcatFactory(Path classFile) {
    try {
      return new String(Files.readAllBytes(classFile), StandardCharsets.ISO_8859_1).contains("StringConcatFactory");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
