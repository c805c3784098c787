package dev.airlock.release;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The public API of every published jar equals its committed listing, {@code <module>/api/<module>.api}, so an API
 * change is always a reviewed diff, and names no internal type. The pom runs this test even under -DskipTests; with
 * -Dairlock.api.update=true it rewrites the listings instead of failing on a diff.
 */
class ApiListingTest {
  static final String UPDATE_COMMAND =
      "mvn -B verify -pl airlock-release-tests -am -DskipTests -Dairlock.api.update=true";
  /** Not API: the internals, and the ASM of Byte Buddy's that the agent carries, relocated. */
  static final ApiListing LISTING = new ApiListing("dev.airlock.internal.", List.of("dev.airlock.agent.shaded."));

  @Test
  void everyPublishedJarsApiMatchesItsCommittedListing() throws IOException {
    Path root = Path.of(System.getProperty("airlock.api.root")).toAbsolutePath().normalize();
    boolean update = Boolean.getBoolean("airlock.api.update");
    List<String> diffs = new ArrayList<>();
    Set<String> leaks = new TreeSet<>();
    for (Map.Entry<String, Path> jar : PublishedArtifacts.jars().entrySet()) {
      Path listing = root.resolve(jar.getKey()).resolve("api").resolve(jar.getKey() + ".api");
      String compiled = LISTING.render(jar.getValue());
      compiled.lines().filter(line -> !LISTING.leaks(line).isEmpty())
          .forEach(line -> leaks.add(jar.getKey() + ": " + line.strip()));
      if (update) {
        Files.createDirectories(listing.getParent());
        Files.writeString(listing, compiled, StandardCharsets.UTF_8);
        continue;
      }
      String committed = Files.exists(listing) ? Files.readString(listing, StandardCharsets.UTF_8) : "";
      String diff = ApiDiff.unified(root.relativize(listing).toString(), committed, compiled);
      if (!diff.isEmpty()) {
        diffs.add(diff);
      }
    }
    if (!diffs.isEmpty()) {
      fail(mismatch(diffs));
    }
    if (!leaks.isEmpty()) {
      fail(leaking(leaks));
    }
  }

  /**
   * A public signature that names an internal type makes the internal type API in all but name: users can reach it
   * and the next internal change breaks them. Fails even while the listings are being rewritten, which still marks
   * each one {@code // LEAKS}.
   */
  static String leaking(Set<String> leaks) {
    return "public signatures name internal types (marked // LEAKS in the listings); make the member non-public, or "
        + "name a public type instead (an internal accessor, as SandboxPool does through PoolAccess):\n  "
        + String.join("\n  ", leaks);
  }

  /** The failure message: every listing's diff and the command that accepts them. */
  static String mismatch(List<String> diffs) {
    return "The published API differs from the committed listing:\n\n" + String.join("\n", diffs)
        + "\nIf the change is intended, rewrite the listings and commit them with it:\n  " + UPDATE_COMMAND + "\n";
  }
}
