package dev.airlock.internal.backend;

import java.util.List;

/**
 * The system calls a worker is refused, whatever runs it: the local backend compiles them to the classic BPF program
 * bwrap loads, the Docker backend to the seccomp profile the engine loads, so that both sandboxes refuse the same
 * calls for the same reasons.
 *
 * <ul>
 *   <li>{@link #DENIED} fail with {@code EPERM}: what Docker's default profile refuses an unprivileged container
 *       (tracing other processes, mounting, new namespaces, kernel keyrings, eBPF, perf events, userfaultfd, kernel
 *       modules and kexec, swap, reboot, file handles, io_uring, clock setting, the new mount API), plus the calls
 *       whose objects the kernel counts per user or for the whole host, which Docker's profile allows: inotify
 *       instances (128 per user by default), POSIX message queues, and AIO contexts ({@code fs.aio-max-nr}, 65,536
 *       events for every process of the host; one Docker worker took them all, attack review 24), and
 *       {@code memfd_secret}, whose pages the kernel takes out of its direct map of all memory, splitting the large
 *       pages of that map for the whole host and for good (a Docker guest's 4 MiB broke 5 GiB of the host's 1 GiB
 *       mappings, 225 MiB of them down to 4 KiB pages; attack review 27). {@code open_tree_attr} is the new mount
 *       API's, as its siblings are, {@code quotactl_fd} is {@code quotactl} on a descriptor, and
 *       {@code pidfd_getfd} takes another process's descriptor, as {@code ptrace} would: Docker's default profile
 *       refuses both without a capability. {@code sync} writes back every filesystem of the host, and {@code syncfs}
 *       every dirty page of a bound host folder's filesystem: in a loop, a guest makes the host's own writers wait on
 *       the disk.</li>
 *   <li>{@link #FLAGGED} fail with {@code EPERM} when an argument carries one of their flags: {@code clone} asking
 *       for a new namespace ({@link #CLONE_NAMESPACE_FLAGS}), and memory from the host's huge page pool
 *       ({@code mmap} with {@code MAP_HUGETLB}, {@code shmget} with {@code SHM_HUGETLB}, {@code memfd_create} with
 *       {@code MFD_HUGETLB}): the pool ({@code vm.nr_hugepages}) is reserved for the whole host, typically for a
 *       database or virtual machines, and no memory limit counts its pages (a Docker guest took all of a host's,
 *       attack review 24). Transparent huge pages come from ordinary memory and stay allowed.
 *       {@code clone3} always fails with {@code ENOSYS}: its flags sit behind a pointer no filter can read, and
 *       {@code ENOSYS} makes the C library fall back to {@code clone}.</li>
 *   <li>{@code socket} fails with {@code EPERM} for an IP datagram socket ({@link #AF_INET} or {@link #AF_INET6} with
 *       a type of {@link #SOCK_DGRAM} once {@link #SOCK_TYPE_MASK} drops its flags): a worker's network is its own
 *       loopback, where a datagram goes only to the guest's own sockets, and the datagrams queued there are the
 *       host's kernel memory, which no memory cgroup of v1 charges (a guest held 526 MiB beyond its container's
 *       limit; attack review 24). Egress is TCP, through the host's proxy. A {@link #AF_VSOCK} socket of any type
 *       fails too: vsock belongs to no network namespace, so it reaches the hypervisor's services and lets the guest
 *       listen where the hypervisor can connect, whatever the worker's network (attack review 27).</li>
 *   <li>{@code fcntl} fails with {@code EPERM} for {@link #F_SETLEASE}: a lease on a file makes every other process's
 *       {@code open} of it (a write lease) or its writers (a read lease) wait until the holder lets go or the kernel's
 *       {@code fs.lease-break-time} (45 s) passes, and the kernel lets a file's owner take one on a file opened read-only.
 *       A bubblewrap guest is the host user in the kernel's books, so it owns what the host user owns, root's files when
 *       the host runs as root: a guest leased the JDK's {@code lib/jvm.cfg}, bound read-only into its sandbox, and every
 *       {@code java} started on the host waited for it (22 s, the rest of its call), as did the host's own read of a
 *       class file of its build output (33 s) (attack review 35). A worker needs no lease.</li>
 *   <li>A call of another architecture, or of the x32 ABI, ends the process.</li>
 * </ul>
 */
public final class RefusedSyscalls {
  /** The calls refused with {@link #EPERM}, by name. */
  public static final List<String> DENIED = List.of("ptrace", "mount", "umount2", "unshare", "setns", "keyctl",
      "add_key", "request_key", "bpf", "perf_event_open", "userfaultfd", "kexec_load", "kexec_file_load",
      "init_module", "finit_module", "delete_module", "pivot_root", "chroot", "swapon", "swapoff", "reboot",
      "open_by_handle_at", "name_to_handle_at", "process_vm_readv", "process_vm_writev", "io_uring_setup",
      "io_uring_enter", "io_uring_register", "acct", "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
      "quotactl", "lookup_dcookie", "open_tree", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick",
      "mount_setattr", "vhangup", "syslog", "kcmp", "fanotify_init", "nfsservctl", "uselib", "ustat", "sysfs",
      "_sysctl", "iopl", "ioperm", "create_module", "get_kernel_syms", "query_module", "inotify_init",
      "inotify_init1", "mq_open", "io_setup", "memfd_secret", "open_tree_attr", "quotactl_fd",
      "pidfd_getfd", "sync", "syncfs");

  public static final int EPERM = 1;
  public static final int ENOSYS = 38;

  /** CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET. */
  public static final int CLONE_NAMESPACE_FLAGS = 0x7E020000;
  public static final int MAP_HUGETLB = 0x40000;
  public static final int SHM_HUGETLB = 0x800;
  public static final int MFD_HUGETLB = 0x4;

  /**
   * A call refused with {@link #EPERM} when its argument {@code argument} (from 0) has any of {@code flags} set in its
   * low 32 bits.
   */
  public record FlaggedCall(String name, int argument, int flags) {
  }

  /** The calls refused for a flag they carry. */
  public static final List<FlaggedCall> FLAGGED = List.of(new FlaggedCall("clone", 0, CLONE_NAMESPACE_FLAGS),
      new FlaggedCall("mmap", 3, MAP_HUGETLB), new FlaggedCall("shmget", 2, SHM_HUGETLB),
      new FlaggedCall("memfd_create", 1, MFD_HUGETLB));
  public static final int AF_INET = 2;
  public static final int AF_INET6 = 10;
  public static final int AF_VSOCK = 40;
  public static final int SOCK_DGRAM = 2;
  /** {@code fcntl}'s command that takes a lease on a file (both kinds: the type is the next argument). */
  public static final int F_SETLEASE = 1024;
  /** The type argument of {@code socket} without its {@code SOCK_NONBLOCK} and {@code SOCK_CLOEXEC} flags. */
  public static final int SOCK_TYPE_MASK = 0xF;

  private RefusedSyscalls() {
  }

  /** One line for a posture: what a worker under these rules is refused. */
  public static String describe() {
    return "refusing " + DENIED.size() + " calls (Docker's default profile's, and inotify, message queues and AIO, "
        + "counted per host user or host-wide, and secret memory, which splits the host's direct map), namespace "
        + "clone flags, huge pages of the host's pool, UDP and vsock sockets, file leases and other architectures";
  }
}
