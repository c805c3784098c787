package dev.airlock.internal.docker;

import dev.airlock.AirlockConfig;
import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * The Docker backend's own keys, read once from {@link AirlockConfig#backendProperties()}.
 *
 * @param image an image with a JRE 17+ whose {@code java} is on its {@code PATH}
 * @param runtime the OCI runtime ({@code runsc} for gVisor); empty for the engine's default
 * @param user the uid:gid the worker runs as inside the container, or {@link #UNIQUE_USER}
 * @param tmpMb size of the tmpfs mounted on {@code /tmp}, the only writable place
 * @param java the java command inside the image
 */
record DockerSettings(String image, String runtime, String user, int tmpMb, String java) {
  static final String BACKEND = "docker";
  static final String IMAGE = "airlock.docker.image";
  static final String RUNTIME = "airlock.docker.runtime";
  static final String USER = "airlock.docker.user";
  static final String TMP_MB = "airlock.docker.tmp-mb";
  static final String JAVA = "airlock.docker.java";
  static final List<String> KEYS = List.of(IMAGE, RUNTIME, USER, TMP_MB, JAVA);

  /**
   * The default user: each worker a uid:gid of its own, which no host user and no other worker has. The kernel keeps
   * some books per uid across every container and the host (inotify instances, 128 by default; pending signals;
   * message queue bytes; pipe buffers): workers that shared uid 65534 shared them with each other and with the host's
   * {@code nobody}, and one guest took all 128 inotify instances of that uid (attack review 16).
   */
  static final String UNIQUE_USER = "unique";
  /** Unique uids are drawn from [2^30, 2^30 + 2^28): above host users and the usual subordinate-id ranges. */
  private static final long UNIQUE_BASE = 1L << 30;
  private static final int UNIQUE_RANGE = 1 << 28;
  /**
   * An engine that runs containers in a user namespace (rootless, or {@code userns-remap}) maps only the first 65,536
   * uids, so there they are drawn from [1000, 65000), below the lifeline's 65532-65533 and {@code nobody}.
   */
  private static final long MAPPED_BASE = 1000;
  private static final int MAPPED_RANGE = 64_000;
  /** Counted up from a random start, so workers of one JVM never share a uid and JVMs hardly ever do. */
  private static final AtomicInteger UNIQUE_NEXT = new AtomicInteger(new SecureRandom().nextInt(UNIQUE_RANGE));

  /** The tag docs/docker.md builds docker/Dockerfile under. */
  static final String DEFAULT_IMAGE = "airlock-worker:17";

  static DockerSettings of(AirlockConfig config) {
    String tmp = config.backendProperty(TMP_MB, "64");
    int tmpMb;
    try {
      tmpMb = Integer.parseInt(tmp.trim());
    } catch (NumberFormatException e) {
      tmpMb = -1;
    }
    if (tmpMb < 1) {
      throw new IllegalArgumentException("Invalid Airlock configuration: " + TMP_MB + "='" + tmp
          + "'; expected a whole number of MiB, at least 1");
    }
    return new DockerSettings(config.backendProperty(IMAGE, DEFAULT_IMAGE).trim(),
        config.backendProperty(RUNTIME, "").trim(), config.backendProperty(USER, UNIQUE_USER).trim(), tmpMb,
        config.backendProperty(JAVA, "java").trim());
  }

  /**
   * Whether the worker runs as uid 0. The engine reads a numeric user as Go's {@code strconv.Atoi} does, so
   * {@code 00}, {@code +0} and {@code -0} are root too; an empty uid is the image's own user, which may be root.
   */
  boolean runsAsRoot() {
    if (user.equals(UNIQUE_USER)) {
      return false;
    }
    String uid = user.split(":", 2)[0];
    return uid.isEmpty() || uid.equals("root") || numericUid(uid, 0);
  }

  /** Whether {@code uid} is the number {@code id} as the engine reads it (leading zeros and a sign allowed). */
  private static boolean numericUid(String uid, long id) {
    return NUMERIC.matcher(uid).matches() && new BigInteger(uid).equals(BigInteger.valueOf(id));
  }

  private static final Pattern NUMERIC = Pattern.compile("[+-]?[0-9]+");

  /**
   * The uid:gid of the worker's lifeline ({@link HostLifeline}): never the worker's, so its guest can neither signal
   * nor trace it nor open its stdin. A named worker user is compared by name only; these numeric ids have no name in
   * the images this backend is meant for.
   */
  String lifelineUser() {
    if (user.equals(UNIQUE_USER)) {
      return "65533:65533";
    }
    String uid = user.split(":", 2)[0];
    return numericUid(uid, 65533) ? "65532:65532" : "65533:65533";
  }

  /**
   * The uid:gid of the next worker: {@link #user} as configured, or one no other worker of this JVM has;
   * {@code mappedUids} when the engine runs containers in a user namespace.
   */
  String nextWorkerUser(boolean mappedUids) {
    if (!user.equals(UNIQUE_USER)) {
      return user;
    }
    int next = UNIQUE_NEXT.getAndIncrement();
    long uid = mappedUids ? MAPPED_BASE + Math.floorMod(next, MAPPED_RANGE)
        : UNIQUE_BASE + Math.floorMod(next, UNIQUE_RANGE);
    return uid + ":" + uid;
  }

  /** What the posture and the logs say the workers run as. */
  String describeUser(boolean mappedUids) {
    return !user.equals(UNIQUE_USER) ? user : "a uid:gid of its own per worker, from "
        + (mappedUids ? MAPPED_BASE + " (the engine maps uids)" : UNIQUE_BASE) + " up";
  }
}
