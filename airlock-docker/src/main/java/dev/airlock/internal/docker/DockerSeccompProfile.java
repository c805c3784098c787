package dev.airlock.internal.docker;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.airlock.internal.backend.RefusedSyscalls;
import java.util.List;
import java.util.Optional;

/**
 * The seccomp profile every container of the Docker backend runs under, in the engine's JSON format: the rules of
 * {@link RefusedSyscalls}, the local sandbox's. It replaces the engine's default profile, which allows
 * {@code io_setup}, so that a guest took all 65,536 AIO events of the host ({@code fs.aio-max-nr}) through a JVM it
 * started with native access (attack review 24), and which allows io_uring on engines before 23.0.
 *
 * <p>Only the engine's own architecture is listed: a call of another (i386's {@code int 0x80}, x32) meets the
 * filter's bad-architecture action and ends the process, where the default profile allowed i386 calls.
 */
final class DockerSeccompProfile {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** The lower 32 bits of an argument, as a mask. */
  private static final int INT_BITS = -1;

  private DockerSeccompProfile() {
  }

  /**
   * The profile for an engine of {@code architecture} (as its info reports it: {@code x86_64}, {@code aarch64}), or
   * empty for an architecture this backend has no name for, whose containers then keep the engine's profile.
   */
  static Optional<String> forArchitecture(String architecture) {
    String arch = switch (architecture == null ? "" : architecture) {
      case "x86_64", "amd64" -> "SCMP_ARCH_X86_64";
      case "aarch64", "arm64" -> "SCMP_ARCH_AARCH64";
      default -> null;
    };
    if (arch == null) {
      return Optional.empty();
    }
    ObjectNode profile = JSON.createObjectNode().put("defaultAction", "SCMP_ACT_ALLOW");
    profile.putArray("architectures").add(arch);
    ArrayNode rules = profile.putArray("syscalls");
    refuse(rules, RefusedSyscalls.EPERM, RefusedSyscalls.DENIED);
    refuse(rules, RefusedSyscalls.ENOSYS, List.of("clone3"));
    // One rule per flag: a profile compares an argument under a mask for equality only, and the rules of one call
    // match if any does.
    for (RefusedSyscalls.FlaggedCall call : RefusedSyscalls.FLAGGED) {
      for (int bit = 0; bit < Integer.SIZE; bit++) {
        int flag = 1 << bit;
        if ((call.flags() & flag) != 0) {
          ObjectNode rule = refuse(rules, RefusedSyscalls.EPERM, List.of(call.name()));
          masked(rule.putArray("args"), call.argument(), flag, flag);
        }
      }
    }
    // The family is an int: the kernel drops the argument's upper half, which an equality would compare, so that a bit
    // set there carried a UDP or vsock socket past the rule (attack review 27). The mask compares the lower half only.
    ObjectNode vsock = refuse(rules, RefusedSyscalls.EPERM, List.of("socket"));
    masked(vsock.putArray("args"), 0, INT_BITS, RefusedSyscalls.AF_VSOCK);
    for (int family : new int[] {RefusedSyscalls.AF_INET, RefusedSyscalls.AF_INET6}) {
      ArrayNode args = refuse(rules, RefusedSyscalls.EPERM, List.of("socket")).putArray("args");
      masked(args, 0, INT_BITS, family);
      masked(args, 1, RefusedSyscalls.SOCK_TYPE_MASK, RefusedSyscalls.SOCK_DGRAM);
    }
    // A lease on a file, whatever its kind: the command is an unsigned int, compared in the lower half only.
    masked(refuse(rules, RefusedSyscalls.EPERM, List.of("fcntl")).putArray("args"), 1, INT_BITS,
        RefusedSyscalls.F_SETLEASE);
    return Optional.of(profile.toString());
  }

  /** A rule refusing {@code names} with {@code errno}; its argument conditions, if any, are the caller's to add. */
  private static ObjectNode refuse(ArrayNode rules, int errno, List<String> names) {
    ObjectNode rule = rules.addObject().put("action", "SCMP_ACT_ERRNO").put("errnoRet", errno);
    names.forEach(rule.putArray("names")::add);
    return rule;
  }

  /** Matches when argument {@code index} under {@code mask} equals {@code value}. */
  private static void masked(ArrayNode args, int index, int mask, int value) {
    args.addObject().put("index", index).put("value", Integer.toUnsignedLong(mask)).put("valueTwo", value)
        .put("op", "SCMP_CMP_MASKED_EQ");
  }
}
