package dev.airlock.internal.docker;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.airlock.internal.backend.RefusedSyscalls;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The profile as the engine reads it: every rule of the local sandbox's filter, in the engine's JSON. */
class DockerSeccompProfileTest {
  private static final int CLONE_NEWUSER = 0x10000000;
  private static final int CLONE_NEWNET = 0x40000000;

  @Test
  void refusesWhatTheLocalSandboxRefusesAndAllowsTheRest() throws Exception {
    JsonNode profile = new ObjectMapper().readTree(DockerSeccompProfile.forArchitecture("x86_64").orElseThrow());
    assertThat(profile.get("defaultAction").asText()).isEqualTo("SCMP_ACT_ALLOW");
    assertThat(profile.get("architectures")).as("only the native ABI: i386 and x32 calls meet the bad-arch action")
        .containsExactly(new ObjectMapper().getNodeFactory().textNode("SCMP_ARCH_X86_64"));
    List<String> eperm = new ArrayList<>();
    Map<String, Integer> flags = new HashMap<>();
    List<Integer> datagramFamilies = new ArrayList<>();
    boolean clone3 = false;
    boolean vsock = false;
    boolean lease = false;
    for (JsonNode rule : profile.get("syscalls")) {
      assertThat(rule.get("action").asText()).isEqualTo("SCMP_ACT_ERRNO");
      List<String> names = new ArrayList<>();
      rule.get("names").forEach(n -> names.add(n.asText()));
      int errno = rule.get("errnoRet").asInt();
      JsonNode args = rule.get("args");
      if (names.equals(List.of("clone3"))) {
        clone3 = errno == RefusedSyscalls.ENOSYS && args == null;
      } else if (List.of("clone", "mmap", "shmget", "memfd_create").containsAll(names) && names.size() == 1) {
        assertThat(errno).isEqualTo(RefusedSyscalls.EPERM);
        assertThat(args).hasSize(1);
        JsonNode flag = args.get(0);
        assertThat(flag.get("op").asText()).isEqualTo("SCMP_CMP_MASKED_EQ");
        assertThat(flag.get("value").asLong()).isEqualTo(flag.get("valueTwo").asLong());
        assertThat(Long.bitCount(flag.get("value").asLong())).isEqualTo(1);
        flags.merge(names.get(0) + "@" + flag.get("index").asInt(), (int) flag.get("value").asLong(), (a, b) -> a | b);
      } else if (names.equals(List.of("socket")) && args.size() == 1) {
        assertThat(errno).isEqualTo(RefusedSyscalls.EPERM);
        assertFamily(args.get(0));
        vsock = args.get(0).get("valueTwo").asInt() == RefusedSyscalls.AF_VSOCK;
      } else if (names.equals(List.of("fcntl"))) {
        // A lease on a file, whatever its kind: the command compared in its lower half only (attack review 35).
        assertThat(errno).isEqualTo(RefusedSyscalls.EPERM);
        assertThat(args).hasSize(1);
        assertThat(args.get(0).get("index").asInt()).isEqualTo(1);
        assertThat(args.get(0).get("op").asText()).isEqualTo("SCMP_CMP_MASKED_EQ");
        assertThat(args.get(0).get("value").asLong()).isEqualTo(0xFFFF_FFFFL);
        lease = args.get(0).get("valueTwo").asInt() == RefusedSyscalls.F_SETLEASE;
      } else if (names.equals(List.of("socket"))) {
        assertThat(errno).isEqualTo(RefusedSyscalls.EPERM);
        assertFamily(args.get(0));
        assertThat(args.get(1).get("op").asText()).isEqualTo("SCMP_CMP_MASKED_EQ");
        assertThat(args.get(1).get("value").asInt()).isEqualTo(RefusedSyscalls.SOCK_TYPE_MASK);
        assertThat(args.get(1).get("valueTwo").asInt()).isEqualTo(RefusedSyscalls.SOCK_DGRAM);
        datagramFamilies.add(args.get(0).get("valueTwo").asInt());
      } else {
        assertThat(errno).isEqualTo(RefusedSyscalls.EPERM);
        assertThat(args).isNull();
        eperm.addAll(names);
      }
    }
    assertThat(eperm).containsExactlyInAnyOrderElementsOf(RefusedSyscalls.DENIED)
        .contains("io_setup", "io_uring_setup", "inotify_init1", "mq_open", "unshare", "ptrace", "memfd_secret");
    assertThat(vsock).as("a vsock socket of any type refused").isTrue();
    assertThat(lease).as("fcntl(F_SETLEASE) refused").isTrue();
    assertThat(clone3).as("clone3 refused with ENOSYS, so the C library falls back to clone").isTrue();
    assertThat(flags).as("the flag each call is refused for, by argument").isEqualTo(Map.of(
        "clone@0", RefusedSyscalls.CLONE_NAMESPACE_FLAGS, "mmap@3", RefusedSyscalls.MAP_HUGETLB,
        "shmget@2", RefusedSyscalls.SHM_HUGETLB, "memfd_create@1", RefusedSyscalls.MFD_HUGETLB));
    assertThat(flags.get("clone@0") & CLONE_NEWUSER).isNotZero();
    assertThat(flags.get("clone@0") & CLONE_NEWNET).isNotZero();
    assertThat(datagramFamilies).containsExactlyInAnyOrder(RefusedSyscalls.AF_INET, RefusedSyscalls.AF_INET6);
  }

  /**
   * The family, an int, compared in the argument's lower half only: the kernel drops the upper half, where a bit set
   * made an equality miss.
   */
  private static void assertFamily(JsonNode family) {
    assertThat(family.get("index").asInt()).isZero();
    assertThat(family.get("op").asText()).isEqualTo("SCMP_CMP_MASKED_EQ");
    assertThat(family.get("value").asLong()).isEqualTo(0xFFFF_FFFFL);
  }

  @Test
  void namesEachArchitectureTheEngineReportsOrNone() {
    assertThat(DockerSeccompProfile.forArchitecture("aarch64").orElseThrow()).contains("\"SCMP_ARCH_AARCH64\"");
    assertThat(DockerSeccompProfile.forArchitecture("s390x")).isEmpty();
    assertThat(DockerSeccompProfile.forArchitecture(null)).isEmpty();
  }
}
