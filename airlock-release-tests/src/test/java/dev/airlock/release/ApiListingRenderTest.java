package dev.airlock.release;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.release.fixture.Widget;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The listing and its check, on the fixture classes of dev.airlock.release.fixture (compiled by this build). */
class ApiListingRenderTest {
  private static final ApiListing LISTING = new ApiListing("dev.airlock.release.fixture.internal.", List.of());

  private static String fixtureListing() throws IOException, URISyntaxException {
    Path dir = Path.of(Widget.class.getResource("Widget.class").toURI()).getParent();
    try (Stream<Path> files = Files.walk(dir)) {
      List<byte[]> classes = files.filter(f -> f.toString().endsWith(".class")).map(f -> {
        try {
          return Files.readAllBytes(f);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }).toList();
      return LISTING.render(classes);
    }
  }

  /** Pinned by hand: every construct the listing must show, in the order it must show it. */
  private static final String EXPECTED = """
      public record dev.airlock.release.fixture.Circle(double radius, java.util.List<java.lang.String> tags) \
      implements dev.airlock.release.fixture.Shape {
        public Circle(double, java.util.List<java.lang.String>)
        public double area()
        public final boolean equals(java.lang.Object)
        public final int hashCode()
        public double radius()
        public java.util.List<java.lang.String> tags()
        public final java.lang.String toString()
      }

      @java.lang.annotation.Retention(RetentionPolicy.RUNTIME) \
      @java.lang.annotation.Target({ElementType.METHOD, ElementType.TYPE}) \
      public @interface dev.airlock.release.fixture.Marker {
        public abstract dev.airlock.release.fixture.Mode mode() default Mode.SAFE
        public abstract java.lang.String[] names() default {"a", "b"}
        public abstract int timeoutSeconds() default 60
        public abstract java.lang.Class<?> type() default java.lang.Object.class
      }

      public enum dev.airlock.release.fixture.Mode {
        enum constant FAST
        enum constant SAFE
        public boolean checked()
        public static dev.airlock.release.fixture.Mode valueOf(java.lang.String)
        public static dev.airlock.release.fixture.Mode[] values()
      }

      public sealed interface dev.airlock.release.fixture.Shape \
      permits dev.airlock.release.fixture.Circle, dev.airlock.release.fixture.Square {
        public abstract double area()
      }

      public final class dev.airlock.release.fixture.Square implements dev.airlock.release.fixture.Shape {
        public Square()
        public double area()
      }

      public class dev.airlock.release.fixture.Widget<T extends java.lang.Comparable<? super T>> \
      implements java.util.function.Supplier<T> {
        public static final long LIMIT = 10L
        public static final java.lang.String NAME = "widget \\"1\\""
        protected int count
        protected Widget()
        public Widget(T)
        public dev.airlock.release.fixture.internal.Engine engine()  \
      // LEAKS dev.airlock.release.fixture.internal.Engine
        public T get()
        protected static int[][] grid()
        public <K, V extends java.util.List<K>> java.util.Map<K, V> index(java.util.List<? extends V>, \
      java.lang.String...) throws java.io.IOException
        @java.lang.Deprecated(forRemoval=true, since="0.1") public T old()
      }

      public static final class dev.airlock.release.fixture.Widget$Builder {
        public Builder()
        public dev.airlock.release.fixture.Widget$Builder name(java.lang.String)
      }

      protected static interface dev.airlock.release.fixture.Widget$Hook {
        public abstract void run()
        public default void twice()
      }
      """;

  @Test
  void listsEveryPublicAndProtectedTypeAndMemberInJavaSyntax() throws Exception {
    // Not listed: package-private Hidden and Widget(int), private Secret and secret(), the anonymous classes,
    // the internal Engine, and the compiler's synthetic members.
    assertThat(fixtureListing()).isEqualTo(EXPECTED);
  }

  @Test
  void aCommittedListingWithAnExtraMemberFailsWithADiffAndTheUpdateCommand() throws Exception {
    String compiled = fixtureListing();
    String committed = compiled.replace("  public double area()\n}", "  public double area()\n  public int sides()\n}");
    assertThat(committed).isNotEqualTo(compiled);

    String message = ApiListingTest.mismatch(List.of(ApiDiff.unified("fixture.api", committed, compiled)));

    assertThat(message).contains("--- fixture.api (committed)\n+++ fixture.api (compiled)\n")
        .contains(" public final class dev.airlock.release.fixture.Square")
        .contains("\n-  public int sides()\n")
        .doesNotContain("\n+  public int sides()")
        .contains(ApiListingTest.UPDATE_COMMAND);
  }

  @Test
  void aCommittedListingWithoutAMemberFailsWithADiff() throws Exception {
    String compiled = fixtureListing();
    String committed = compiled.replace("  protected static int[][] grid()\n", "");

    String diff = ApiDiff.unified("fixture.api", committed, compiled);

    // The hunk: three lines of context either side, the line numbers of both sides, the member added.
    assertThat(diff).contains("""
        @@ -40,6 +40,7 @@
           public Widget(T)
           public dev.airlock.release.fixture.internal.Engine engine()  \
        // LEAKS dev.airlock.release.fixture.internal.Engine
           public T get()
        +  protected static int[][] grid()
           public <K, V extends java.util.List<K>> java.util.Map<K, V> index(java.util.List<? extends V>, \
        java.lang.String...) throws java.io.IOException
           @java.lang.Deprecated(forRemoval=true, since="0.1") public T old()
        """);
  }

  @Test
  void equalListingsHaveNoDiff() throws Exception {
    String compiled = fixtureListing();
    assertThat(ApiDiff.unified("fixture.api", compiled, compiled)).isEmpty();
  }

  @Test
  void aSignatureNamingAnInternalTypeIsALeak() {
    assertThat(LISTING.leaks("public java.util.List<dev.airlock.release.fixture.internal.Engine$Part> parts()"))
        .containsExactly("dev.airlock.release.fixture.internal.Engine$Part");
    assertThat(LISTING.leaks("public dev.airlock.release.fixture.Widget<T> widget()")).isEmpty();
  }
}
