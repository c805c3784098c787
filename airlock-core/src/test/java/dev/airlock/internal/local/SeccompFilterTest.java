package dev.airlock.internal.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airlock.internal.backend.RefusedSyscalls;
import dev.airlock.internal.local.SeccompFilter.Arch;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Runs the generated program through a classic-BPF interpreter, as the kernel would for each call. */
class SeccompFilterTest {
  private static final int DENY = SeccompFilter.RET_ERRNO | RefusedSyscalls.EPERM;
  private static final int CLONE_THREAD_FLAGS = 0x003d0f00;
  private static final int CLONE_NEWUSER = 0x10000000;
  private static final int CLONE_NEWNET = 0x40000000;

  @ParameterizedTest
  @EnumSource(Arch.class)
  void refusesWhatDockersDefaultProfileRefuses(Arch arch) {
    byte[] program = SeccompFilter.program(arch);
    List<String> required = List.of("ptrace", "mount", "umount2", "unshare", "setns", "keyctl", "add_key",
        "request_key", "bpf", "perf_event_open", "userfaultfd", "kexec_load", "init_module", "finit_module",
        "delete_module", "pivot_root", "swapon", "swapoff", "reboot", "open_by_handle_at", "name_to_handle_at",
        "process_vm_readv", "process_vm_writev", "io_uring_setup", "quotactl_fd", "pidfd_getfd");
    for (String call : required) {
      assertThat(arch.numbers).as(call).containsKey(call);
      assertThat(run(program, arch.audit, arch.numbers.get(call), 0)).as(call).isEqualTo(DENY);
    }
    for (String call : RefusedSyscalls.DENIED) {
      if (arch.numbers.containsKey(call)) {
        assertThat(run(program, arch.audit, arch.numbers.get(call), 0)).as(call).isEqualTo(DENY);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Arch.class)
  void allowsOrdinaryCallsAndThreadsButNoNamespaceByClone(Arch arch) {
    byte[] program = SeccompFilter.program(arch);
    int read = arch == Arch.X86_64 ? 0 : 63;
    int futex = arch == Arch.X86_64 ? 202 : 98;
    assertThat(run(program, arch.audit, read, 0)).isEqualTo(SeccompFilter.RET_ALLOW);
    assertThat(run(program, arch.audit, futex, 0)).isEqualTo(SeccompFilter.RET_ALLOW);
    int clone = arch.numbers.get("clone");
    assertThat(run(program, arch.audit, clone, CLONE_THREAD_FLAGS)).isEqualTo(SeccompFilter.RET_ALLOW);
    assertThat(run(program, arch.audit, clone, CLONE_THREAD_FLAGS | CLONE_NEWUSER)).isEqualTo(DENY);
    assertThat(run(program, arch.audit, clone, CLONE_NEWNET)).isEqualTo(DENY);
    assertThat(run(program, arch.audit, arch.numbers.get("clone3"), 0))
        .as("clone3 hides its flags behind a pointer: ENOSYS makes the C library use clone")
        .isEqualTo(SeccompFilter.RET_ERRNO | RefusedSyscalls.ENOSYS);
  }

  @ParameterizedTest
  @EnumSource(Arch.class)
  void killsCallsOfAnotherArchitecture(Arch arch) {
    byte[] program = SeccompFilter.program(arch);
    int i386 = 0x40000003;
    assertThat(run(program, i386, 0, 0)).isEqualTo(SeccompFilter.RET_KILL_PROCESS);
    for (Arch other : Arch.values()) {
      if (other != arch) {
        assertThat(run(program, other.audit, 0, 0)).isEqualTo(SeccompFilter.RET_KILL_PROCESS);
      }
    }
  }

  /**
   * A datagram queued on the sandbox's loopback is the host's kernel memory, outside a v1 memory cgroup; vsock belongs
   * to no network namespace.
   */
  @ParameterizedTest
  @EnumSource(Arch.class)
  void refusesIpDatagramAndVsockSocketsOnly(Arch arch) {
    byte[] program = SeccompFilter.program(arch);
    int socket = arch.numbers.get("socket");
    int stream = 1;
    int nonBlockingCloseOnExec = 0x80800;
    int unix = 1;
    assertThat(run(program, arch.audit, socket, RefusedSyscalls.AF_INET, RefusedSyscalls.SOCK_DGRAM)).isEqualTo(DENY);
    assertThat(run(program, arch.audit, socket, RefusedSyscalls.AF_INET6,
        RefusedSyscalls.SOCK_DGRAM | nonBlockingCloseOnExec)).isEqualTo(DENY);
    assertThat(run(program, arch.audit, socket, RefusedSyscalls.AF_INET, stream)).isEqualTo(SeccompFilter.RET_ALLOW);
    assertThat(run(program, arch.audit, socket, RefusedSyscalls.AF_INET6, stream | nonBlockingCloseOnExec))
        .isEqualTo(SeccompFilter.RET_ALLOW);
    assertThat(run(program, arch.audit, socket, unix, stream)).isEqualTo(SeccompFilter.RET_ALLOW);
    assertThat(run(program, arch.audit, socket, RefusedSyscalls.AF_VSOCK, stream)).isEqualTo(DENY);
    assertThat(run(program, arch.audit, socket, RefusedSyscalls.AF_VSOCK, RefusedSyscalls.SOCK_DGRAM)).isEqualTo(DENY);
    long upperHalf = 1L << 32;
    assertThat(run(program, arch.audit, socket, upperHalf | RefusedSyscalls.AF_VSOCK, stream))
        .as("the kernel drops the upper half of the int family").isEqualTo(DENY);
    assertThat(run(program, arch.audit, socket, upperHalf | RefusedSyscalls.AF_INET, RefusedSyscalls.SOCK_DGRAM))
        .isEqualTo(DENY);
  }

  @org.junit.jupiter.api.Test
  void killsTheX32Abi() {
    byte[] program = SeccompFilter.program(Arch.X86_64);
    assertThat(run(program, Arch.X86_64.audit, 0x40000000, 0)).isEqualTo(SeccompFilter.RET_KILL_PROCESS);
    assertThat(run(program, Arch.X86_64.audit, 0x40000000 + 101, 0)).isEqualTo(SeccompFilter.RET_KILL_PROCESS);
  }

  /** The host's huge page pool is reserved for the whole host, and no memory limit counts its pages. */
  @ParameterizedTest
  @EnumSource(Arch.class)
  void refusesHugePagesOfTheHostsPoolOnly(Arch arch) {
    byte[] program = SeccompFilter.program(arch);
    int mmap = arch.numbers.get("mmap");
    int shmget = arch.numbers.get("shmget");
    int memfd = arch.numbers.get("memfd_create");
    int privateAnonymous = 0x22;
    int hugePage2MiB = 21 << 26;
    assertThat(run(program, arch.audit, mmap, 0, 1 << 21, 3, privateAnonymous | RefusedSyscalls.MAP_HUGETLB))
        .isEqualTo(DENY);
    assertThat(run(program, arch.audit, mmap, 0, 1 << 21, 3,
        privateAnonymous | RefusedSyscalls.MAP_HUGETLB | hugePage2MiB)).isEqualTo(DENY);
    assertThat(run(program, arch.audit, mmap, 0, 1 << 21, 3, privateAnonymous)).isEqualTo(SeccompFilter.RET_ALLOW);
    assertThat(run(program, arch.audit, shmget, 0, 1 << 21, 01600 | RefusedSyscalls.SHM_HUGETLB)).isEqualTo(DENY);
    assertThat(run(program, arch.audit, shmget, 0, 1 << 21, 01600)).isEqualTo(SeccompFilter.RET_ALLOW);
    assertThat(run(program, arch.audit, memfd, 0, RefusedSyscalls.MFD_HUGETLB | 1)).isEqualTo(DENY);
    assertThat(run(program, arch.audit, memfd, 0, 1)).isEqualTo(SeccompFilter.RET_ALLOW);
  }

  /**
   * A lease on a file holds every other process's open of it up to 45 s, and the guest owns the host user's files
   * (attack review 35); every other {@code fcntl} command stays allowed. The command is an unsigned int.
   */
  @ParameterizedTest
  @EnumSource(Arch.class)
  void refusesFileLeasesOnly(Arch arch) {
    byte[] program = SeccompFilter.program(arch);
    int fcntl = arch.numbers.get("fcntl");
    int readLease = 0;
    int writeLease = 1;
    assertThat(run(program, arch.audit, fcntl, 3, RefusedSyscalls.F_SETLEASE, writeLease)).isEqualTo(DENY);
    assertThat(run(program, arch.audit, fcntl, 3, RefusedSyscalls.F_SETLEASE, readLease)).isEqualTo(DENY);
    assertThat(run(program, arch.audit, fcntl, 3, 1L << 32 | RefusedSyscalls.F_SETLEASE, readLease))
        .as("the kernel drops the upper half of the command").isEqualTo(DENY);
    int getFlags = 3;
    int setFdFlags = 2;
    int getLease = 1025;
    int setPipeSize = 1031;
    for (int command : new int[] {getFlags, setFdFlags, getLease, setPipeSize}) {
      assertThat(run(program, arch.audit, fcntl, 3, command, 1)).as("fcntl " + command)
          .isEqualTo(SeccompFilter.RET_ALLOW);
    }
  }

  /** A classic-BPF interpreter for the instructions a seccomp filter uses. */
  private static int run(byte[] program, int arch, int nr, long... args) {
    ByteBuffer data = ByteBuffer.allocate(64).order(ByteOrder.nativeOrder());
    data.putInt(0, nr).putInt(4, arch);
    for (int i = 0; i < args.length; i++) {
      data.putLong(16 + 8 * i, args[i]);
    }
    ByteBuffer code = ByteBuffer.wrap(program).order(ByteOrder.nativeOrder());
    int accumulator = 0;
    int pc = 0;
    for (int steps = 0; steps < 4096; steps++) {
      int at = pc * 8;
      int op = code.getShort(at) & 0xffff;
      int jt = code.get(at + 2) & 0xff;
      int jf = code.get(at + 3) & 0xff;
      int k = code.getInt(at + 4);
      pc++;
      switch (op) {
        case 0x20 -> accumulator = data.getInt(k);
        case 0x05 -> pc += k;
        case 0x15 -> pc += accumulator == k ? jt : jf;
        case 0x35 -> pc += Integer.compareUnsigned(accumulator, k) >= 0 ? jt : jf;
        case 0x45 -> pc += (accumulator & k) != 0 ? jt : jf;
        case 0x54 -> accumulator &= k;
        case 0x06 -> {
          return k;
        }
        default -> throw new AssertionError("unexpected BPF instruction " + Integer.toHexString(op));
      }
    }
    throw new AssertionError("program did not return");
  }
}
