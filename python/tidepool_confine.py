"""The last step before a pool session's kernel runs user code: drop every capability and load
a seccomp filter.

Why both, although the session is already in its own namespaces: the kernel is root inside its
user namespace, and those capabilities (over its own namespaces only) still open large parts of
the Linux kernel to it — nf_tables, raw and packet sockets, mounts, new namespaces. Dropping them
removes that surface; the filter then closes system calls that need no capability at all but
have a long record of kernel bugs or reach shared kernel state (io_uring, userfaultfd, keyrings,
BPF, perf, new namespaces, which are counted per host uid).

The deny list follows the shape of well-known container default profiles (Docker's, Podman's):
allow by default, refuse a list of calls with EPERM, and a few (UNSUPPORTED_CALLS) with ENOSYS.
"""

import ctypes
import errno
import os

import seccomp

PR_SET_NO_NEW_PRIVS = 38
PR_CAPBSET_DROP = 24
PR_SET_SECUREBITS = 28
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
# Root inside the namespace gets no capabilities back from execve or setuid, and none of this can be undone.
SECBIT_NOROOT, SECBIT_NOROOT_LOCKED = 1 << 0, 1 << 1
SECBIT_NO_SETUID_FIXUP, SECBIT_NO_SETUID_FIXUP_LOCKED = 1 << 2, 1 << 3
SECBIT_KEEP_CAPS_LOCKED = 1 << 5
SECBIT_NO_CAP_AMBIENT_RAISE, SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED = 1 << 6, 1 << 7
LOCKED_SECUREBITS = (SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP | SECBIT_NO_SETUID_FIXUP_LOCKED
                     | SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED)
LINUX_CAPABILITY_VERSION_3 = 0x20080522
SYS_CAPSET = 126  # x86_64; aarch64 is 91
# Known when the zygote imports this module: an import in each session (platform) would dirty pages of its own.
CAPSET_NUMBER = 91 if os.uname().machine in ("aarch64", "arm64") else SYS_CAPSET
NAMESPACE_FLAGS = (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000, 0x00000080)
AF_NETLINK, NETLINK_ROUTE = 16, 0
DENIED_SOCKET_FAMILIES = (17, 40)  # AF_PACKET, AF_VSOCK

DENIED_CALLS = (
    # New namespaces and mounts: counted per host uid and the way into most container escapes.
    "unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "fsopen",
    "fsconfig", "fsmount", "fspick", "mount_setattr",
    # Kernel surfaces with no place in a notebook cell.
    "io_uring_setup", "io_uring_enter", "io_uring_register", "userfaultfd", "keyctl", "add_key", "request_key",
    "bpf", "perf_event_open", "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "open_by_handle_at", "name_to_handle_at",
    "acct", "swapon", "swapoff", "reboot", "syslog", "quotactl", "quotactl_fd", "lookup_dcookie", "vhangup",
    "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "iopl", "ioperm", "fanotify_init",
    "nfsservctl", "uselib", "personality",
)

# Refused with ENOSYS, as if this kernel lacked them, so that libraries take their fallback:
# - clone3, whose flags a filter cannot read: the C library falls back to clone, whose flags it can;
# - inotify: the files every session shares with the host (the read-only /usr, /etc and the rest)
#   would report the host's and other sessions' opens, reads and execs to a watch on them, a side
#   channel across tenants. File watchers (libuv's fs.watch, watchdog) fail clearly or poll instead.
UNSUPPORTED_CALLS = ("clone3", "inotify_init", "inotify_init1", "inotify_add_watch")

libc = ctypes.CDLL(None, use_errno=True)


def _check(result, what):
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"{what}: {errno.errorcode.get(code, code)}")


def _last_capability():
    with open("/proc/sys/kernel/cap_last_cap") as f:
        return int(f.read())


def drop_capabilities(last_capability=None):
    """Empties the bounding, ambient, inheritable, permitted and effective sets, for good."""
    _check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(NO_NEW_PRIVS)")
    for cap in range((_last_capability() if last_capability is None else last_capability) + 1):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:  # the message is made only for a failure
            _check(-1, f"prctl(CAPBSET_DROP {cap})")
    _check(libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "prctl(CAP_AMBIENT_CLEAR_ALL)")
    _check(libc.prctl(PR_SET_SECUREBITS, LOCKED_SECUREBITS, 0, 0, 0), "prctl(SET_SECUREBITS)")
    header = (ctypes.c_uint32 * 2)(LINUX_CAPABILITY_VERSION_3, 0)
    data = (ctypes.c_uint32 * 6)()
    _check(libc.syscall(CAPSET_NUMBER, header, data), "capset")


def build_filter():
    deny = seccomp.ERRNO(errno.EPERM)
    rules = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
    for name in DENIED_CALLS:
        try:
            rules.add_rule(deny, name)
        except (RuntimeError, ValueError, OSError):
            pass  # a call this kernel or libseccomp does not know cannot be made either
    for flag in NAMESPACE_FLAGS:
        rules.add_rule(deny, "clone", seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
    for name in UNSUPPORTED_CALLS:
        try:
            rules.add_rule(seccomp.ERRNO(errno.ENOSYS), name)
        except (RuntimeError, ValueError, OSError):
            pass
    for family in DENIED_SOCKET_FAMILIES:
        rules.add_rule(deny, "socket", seccomp.Arg(0, seccomp.EQ, family))
        rules.add_rule(deny, "socketpair", seccomp.Arg(0, seccomp.EQ, family))
    # Netlink stays for routing queries (getaddrinfo, getifaddrs); never netfilter, audit or the rest.
    rules.add_rule(deny, "socket", seccomp.Arg(0, seccomp.EQ, AF_NETLINK), seccomp.Arg(2, seccomp.NE, NETLINK_ROUTE))
    return rules


PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 22, 2
BPF_INSTRUCTION_BYTES = 8


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


# The filter as the BPF program libseccomp generates for it, made once by prepare(). libseccomp
# builds its rule tree and the program in C memory: done in every session, that dirties ~3 MB of
# the zygote's heap per session (copy-on-write); done once in the zygote, all sessions share it.
_prepared = None


class _Prepared:
    """The filter's BPF program in a buffer, the struct that points at it (as libseccomp's load()
    would pass them), and the host's last capability number: made once in the zygote, so a
    kernel's confinement neither allocates them nor reads /proc."""

    def __init__(self, program, last_capability):
        self.buffer = ctypes.create_string_buffer(program, len(program))
        self.fprog = _SockFprog(len(program) // BPF_INSTRUCTION_BYTES, ctypes.cast(self.buffer, ctypes.c_void_p))
        self.fprog_ref = ctypes.byref(self.fprog)
        self.last_capability = last_capability


def prepare():
    """Generates the filter's BPF program now (in the zygote, before it forks)."""
    global _prepared
    read_fd, write_fd = os.pipe()
    try:
        with os.fdopen(write_fd, "wb") as out:
            build_filter().export_bpf(out)
        with os.fdopen(read_fd, "rb") as source:
            read_fd = None
            program = source.read()
    finally:
        if read_fd is not None:
            os.close(read_fd)
    if not program or len(program) % BPF_INSTRUCTION_BYTES:
        raise OSError(errno.EINVAL, f"libseccomp exported a filter of {len(program)} bytes")
    _prepared = _Prepared(program, _last_capability())


def confine():
    """Drops capabilities, then loads the filter. Raises if either step fails: never run unconfined."""
    if _prepared is None:
        rules = build_filter()
        drop_capabilities()
        rules.load()
        return
    drop_capabilities(_prepared.last_capability)
    # no_new_privs is set, as loading a filter without CAP_SYS_ADMIN requires.
    _check(libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, _prepared.fprog_ref, 0, 0), "prctl(SET_SECCOMP)")
