package dev.airlock.internal.local;

import dev.airlock.internal.backend.RefusedSyscalls;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The seccomp filter of a bubblewrap worker, as the classic BPF program bwrap's {@code --seccomp} loads: the rules of
 * {@link RefusedSyscalls}, with each call's number for the architecture. Built here, no download and no libseccomp:
 * the program is a few dozen {@code struct sock_filter} instructions.
 */
final class SeccompFilter {
  // struct seccomp_data: int nr; u32 arch; u64 instruction_pointer; u64 args[6] (host byte order).
  private static final int NR = 0;
  private static final int ARCH = 4;
  private static final int ARG0_LOW = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? 16 : 20;
  private static final int ARG1_LOW = ARG0_LOW + 8;

  private static final int LD_W_ABS = 0x20;
  private static final int JEQ_K = 0x15;
  private static final int JGE_K = 0x35;
  private static final int JSET_K = 0x45;
  private static final int ALU_AND_K = 0x54;
  private static final int JA = 0x05;
  private static final int RET_K = 0x06;

  static final int RET_KILL_PROCESS = 0x80000000;
  static final int RET_ERRNO = 0x00050000;
  static final int RET_ALLOW = 0x7fff0000;

  private static final int X32_SYSCALL_BIT = 0x40000000;

  /** An architecture the filter is built for: its audit token and syscall numbers. */
  enum Arch {
    X86_64(0xC000003E, true, table(
        "ptrace", 101, "mount", 165, "umount2", 166, "unshare", 272, "setns", 308, "keyctl", 250, "add_key", 248,
        "request_key", 249, "bpf", 321, "perf_event_open", 298, "userfaultfd", 323, "kexec_load", 246,
        "kexec_file_load", 320, "init_module", 175, "finit_module", 313, "delete_module", 176, "pivot_root", 155,
        "chroot", 161, "swapon", 167, "swapoff", 168, "reboot", 169, "open_by_handle_at", 304,
        "name_to_handle_at", 303, "process_vm_readv", 310, "process_vm_writev", 311, "io_uring_setup", 425,
        "io_uring_enter", 426, "io_uring_register", 427, "acct", 163, "settimeofday", 164, "clock_settime", 227,
        "clock_adjtime", 305, "adjtimex", 159, "quotactl", 179, "lookup_dcookie", 212, "open_tree", 428,
        "move_mount", 429, "fsopen", 430, "fsconfig", 431, "fsmount", 432, "fspick", 433, "mount_setattr", 442,
        "vhangup", 153, "syslog", 103, "kcmp", 312, "fanotify_init", 300, "nfsservctl", 180, "uselib", 134,
        "ustat", 136, "sysfs", 139, "_sysctl", 156, "iopl", 172, "ioperm", 173, "create_module", 174,
        "get_kernel_syms", 177, "query_module", 178, "inotify_init", 253, "inotify_init1", 294, "mq_open", 240,
        "io_setup", 206, "memfd_secret", 447, "open_tree_attr", 467, "quotactl_fd", 443,
        "pidfd_getfd", 438, "sync", 162, "syncfs", 306, "clone", 56, "clone3", 435, "socket", 41, "mmap", 9,
        "shmget", 29, "memfd_create", 319, "fcntl", 72)),
    // The generic table (asm-generic/unistd.h): no uselib, ustat, sysfs, _sysctl, iopl, ioperm or module queries.
    AARCH64(0xC00000B7, false, table(
        "ptrace", 117, "mount", 40, "umount2", 39, "unshare", 97, "setns", 268, "keyctl", 219, "add_key", 217,
        "request_key", 218, "bpf", 280, "perf_event_open", 241, "userfaultfd", 282, "kexec_load", 104,
        "kexec_file_load", 294, "init_module", 105, "finit_module", 273, "delete_module", 106, "pivot_root", 41,
        "chroot", 51, "swapon", 224, "swapoff", 225, "reboot", 142, "open_by_handle_at", 265,
        "name_to_handle_at", 264, "process_vm_readv", 270, "process_vm_writev", 271, "io_uring_setup", 425,
        "io_uring_enter", 426, "io_uring_register", 427, "acct", 89, "settimeofday", 170, "clock_settime", 112,
        "clock_adjtime", 266, "adjtimex", 171, "quotactl", 60, "lookup_dcookie", 18, "open_tree", 428,
        "move_mount", 429, "fsopen", 430, "fsconfig", 431, "fsmount", 432, "fspick", 433, "mount_setattr", 442,
        "vhangup", 58, "syslog", 116, "kcmp", 272, "fanotify_init", 262, "nfsservctl", 42, "inotify_init1", 26,
        "mq_open", 180, "io_setup", 0, "memfd_secret", 447, "open_tree_attr", 467, "quotactl_fd", 443,
        "pidfd_getfd", 438, "sync", 81, "syncfs", 267, "clone", 220, "clone3", 435, "socket", 198, "mmap", 222,
        "shmget", 194,
        "memfd_create", 279, "fcntl", 25));

    final int audit;
    /** Whether the x32 ABI shares the architecture token and must be refused by number. */
    final boolean x32;
    final Map<String, Integer> numbers;

    Arch(int audit, boolean x32, Map<String, Integer> numbers) {
      this.audit = audit;
      this.x32 = x32;
      this.numbers = numbers;
    }

    /** The architecture of this JVM, if the filter knows it. */
    static Optional<Arch> ofThisJvm() {
      return switch (System.getProperty("os.arch", "")) {
        case "amd64", "x86_64" -> Optional.of(X86_64);
        case "aarch64", "arm64" -> Optional.of(AARCH64);
        default -> Optional.empty();
      };
    }

    private static Map<String, Integer> table(Object... pairs) {
      Map<String, Integer> map = new HashMap<>();
      for (int i = 0; i < pairs.length; i += 2) {
        map.put((String) pairs[i], (Integer) pairs[i + 1]);
      }
      return Map.copyOf(map);
    }
  }

  private SeccompFilter() {
  }

  /** The program for {@code arch}, as the bytes of its {@code struct sock_filter} array in host byte order. */
  static byte[] program(Arch arch) {
    Assembler a = new Assembler();
    a.load(ARCH);
    a.jumpIf(JEQ_K, arch.audit, null, "kill");
    a.load(NR);
    if (arch.x32) {
      a.jumpIf(JGE_K, X32_SYSCALL_BIT, "kill", null);
    }
    for (String name : RefusedSyscalls.DENIED) {
      Integer nr = arch.numbers.get(name);
      if (nr != null) {
        a.jumpIf(JEQ_K, nr, "deny", null);
      }
    }
    a.jumpIf(JEQ_K, arch.numbers.get("clone3"), "enosys", null);
    a.jumpIf(JEQ_K, arch.numbers.get("socket"), "socket", null);
    a.jumpIf(JEQ_K, arch.numbers.get("fcntl"), "fcntl", null);
    for (RefusedSyscalls.FlaggedCall call : RefusedSyscalls.FLAGGED) {
      a.jumpIf(JEQ_K, arch.numbers.get(call.name()), call.name(), null);
    }
    a.jump("allow");
    for (RefusedSyscalls.FlaggedCall call : RefusedSyscalls.FLAGGED) {
      a.label(call.name());
      a.load(ARG0_LOW + 8 * call.argument());
      a.jumpIf(JSET_K, call.flags(), "deny", "allow");
    }
    // A lease on a file (see RefusedSyscalls for why); the command is an unsigned int, its upper half dropped.
    a.label("fcntl");
    a.load(ARG1_LOW);
    a.jumpIf(JEQ_K, RefusedSyscalls.F_SETLEASE, "deny", "allow");
    // A vsock socket, or an IP datagram socket (see RefusedSyscalls for why).
    a.label("socket");
    a.load(ARG0_LOW);
    a.jumpIf(JEQ_K, RefusedSyscalls.AF_VSOCK, "deny", null);
    a.jumpIf(JEQ_K, RefusedSyscalls.AF_INET, "inet", null);
    a.jumpIf(JEQ_K, RefusedSyscalls.AF_INET6, null, "allow");
    a.label("inet");
    a.load(ARG1_LOW);
    a.and(RefusedSyscalls.SOCK_TYPE_MASK);
    a.jumpIf(JEQ_K, RefusedSyscalls.SOCK_DGRAM, "deny", null);
    a.label("allow");
    a.ret(RET_ALLOW);
    a.label("deny");
    a.ret(RET_ERRNO | RefusedSyscalls.EPERM);
    a.label("enosys");
    a.ret(RET_ERRNO | RefusedSyscalls.ENOSYS);
    a.label("kill");
    a.ret(RET_KILL_PROCESS);
    return a.assemble();
  }

  /** Classic BPF with named jump targets; a null target falls through to the next instruction. */
  private static final class Assembler {
    private record Insn(int code, String jt, String jf, int k) {
    }

    private final List<Insn> code = new ArrayList<>();
    private final Map<String, Integer> labels = new HashMap<>();

    void load(int offset) {
      code.add(new Insn(LD_W_ABS, null, null, offset));
    }

    void jumpIf(int op, int k, String ifTrue, String ifFalse) {
      code.add(new Insn(op, ifTrue, ifFalse, k));
    }

    void jump(String target) {
      code.add(new Insn(JA, target, null, 0));
    }

    void and(int k) {
      code.add(new Insn(ALU_AND_K, null, null, k));
    }

    void ret(int value) {
      code.add(new Insn(RET_K, null, null, value));
    }

    void label(String name) {
      labels.put(name, code.size());
    }

    byte[] assemble() {
      ByteBuffer out = ByteBuffer.allocate(code.size() * 8).order(ByteOrder.nativeOrder());
      for (int pc = 0; pc < code.size(); pc++) {
        Insn insn = code.get(pc);
        out.putShort((short) insn.code());
        // An unconditional jump takes its distance in k; the conditional ones in jt and jf.
        boolean always = insn.code() == JA;
        out.put(always ? 0 : offset(pc, insn.jt()));
        out.put(offset(pc, insn.jf()));
        out.putInt(always ? offset(pc, insn.jt()) & 0xff : insn.k());
      }
      return out.array();
    }

    // Jumps are relative to the next instruction and go forward only, at most 255 instructions.
    private byte offset(int pc, String target) {
      if (target == null) {
        return 0;
      }
      int distance = labels.get(target) - pc - 1;
      if (distance < 0 || distance > 255) {
        throw new IllegalStateException("seccomp jump from " + pc + " to " + target + " out of range");
      }
      return (byte) distance;
    }
  }
}
