"""Tidepool's session-pool fork server (zygote).

Why a zygote: importing numpy, pandas and matplotlib costs about a second and ~90 MB per
interpreter. The zygote pays that once, freezes the heap (gc.freeze keeps the collector from
touching, and so copying, the shared pages) and forks a session in a few milliseconds that
shares all of it copy-on-write.

One Python process per session, the kernel, which runs all user code. With namespaces:

    zygote ─┬─ PID 1 of the session's PID namespace: `sleep infinity`, so the namespace lives
            ├─ kernel (PID 2; tidepool_kernel.serve, in one more user+mount namespace)
            └─ file server, only while file requests come (outside the PID namespace)

A short-lived setup process enters the namespaces (user, mount, PID, IPC, UTS, network), makes
the mounts, forks PID 1 and the kernel, and exits; the zygote is a child subreaper, so both
become its children. When the server runs as root, the setup process stops right after
unsharing and reports "unshared": the server puts it in the session's own cgroup and, with
egress on, attaches its user-mode network, and only then tells the zygote to let it go on.

PID 1 gives itself up to user code's limits (no capabilities, the seccomp filter) and execs an
idle program: a forked Python PID 1 held ~1.2 MiB of pages of its own. What it used to do is
done on demand by processes the zygote forks into the running session through a pidfd of PID 1:
a file server when a request waits on the session's file channel (which the zygote holds
between file servers), and a fresh kernel when the server asks for one. The zygote reaps the
kernel itself and signals it directly. Under isolation "none" there are no namespaces and no
PID 1: the zygote forks the kernel and file servers itself.

Nothing of the zygote's stays open in a session: its standard streams become /dev/null, the
control channel and the pool directory are closed, and each forked process reports on a pipe of
its own (a "report" pipe: b"U" waiting for the server, b"I" + pid PID 1 runs, b"K" + pid a
kernel runs, b"E" + text failed), which PID 1 and the kernel close before any user code runs.

Control channel with the Node host: frames (4-byte big-endian length + UTF-8 JSON) on fd 3
(requests) and fd 4 (events). Every session connects two Unix-socket streams to the host
(`kernel` and `files`), each opened by a hello frame carrying the session's token.
"""

import ctypes
import errno
import gc
import json
import os

# Every at-fork callback registered from here on (the imports below register those of threading,
# random, logging and matplotlib), for fork_child() to choose from.
AFTER_FORK_IN_CHILD = []
_register_at_fork = os.register_at_fork


def _recording_register_at_fork(**callbacks):
    if callbacks.get("after_in_child") is not None:
        AFTER_FORK_IN_CHILD.append(callbacks["after_in_child"])
    _register_at_fork(**callbacks)


os.register_at_fork = _recording_register_at_fork

# Imported here, not in the kernel: an import after the fork dirties ~0.5 MB of shared pages per session.
import _signal  # noqa: E402
import resource  # noqa: E402
import select  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import struct  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402

# The kernel and file server live beside this file (python -I leaves the script's folder off sys.path).
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tidepool_framing import encode_frame, read_message, write_all  # noqa: E402

CONTROL_IN, CONTROL_OUT, POOL_DIR_FD = 3, 4, 5

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_MOVE, MS_REC, MS_PRIVATE = 32, 4096, 8192, 16384, 1 << 18
SIOCSIFFLAGS, IFF_UP, IFF_LOOPBACK, IFF_RUNNING = 0x8914, 0x1, 0x8, 0x40

# Device nodes a session's own /dev offers (bound read-only from the zygote's minimal /dev).
DEVICES = ("null", "zero", "full", "random", "urandom", "tty")
DEV_LINKS = {"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1",
             "stderr": "/proc/self/fd/2", "ptmx": "pts/ptmx"}
REPORT_LIMIT = 4000  # below PIPE_BUF, so a failure report arrives in one piece
# What a session's PID 1 runs (found when the zygote starts), and the pipe whose only writer is
# the zygote: a PID 1 that finds it closed knows the zygote has ended (set in main()).
IDLE_PROGRAM = None
LIFELINE_R = LIFELINE_W = None

libc = ctypes.CDLL(None, use_errno=True)
# close_other_fds closes every descriptor below this: the hard limit on open files, which the zygote
# may reach (Node.js raises its soft limit to the hard one, and the zygote inherits it; with hundreds
# of sessions it holds descriptors far above 1024). os.closerange uses close_range(2), so the size of
# the range costs nothing.
MAX_FD = resource.getrlimit(resource.RLIMIT_NOFILE)[1]


def fork_child(runs_user_code):
    """os.fork() for the zygote and a session's setup process and PID 1, which fork while they
    run a single thread, without the interpreter's callbacks that only repair another thread's
    state (threading's and logging's).

    Those callbacks run Python over the shared heap in every child: ~0.5 ms of CPU and ~0.9 MB of
    pages copied from the zygote per fork, three forks per session. With one thread no lock can be
    held and no other thread's state is left behind, so they have nothing to repair. Every other
    callback registered (random's and numpy's reseed, matplotlib's font cache) runs in a child
    that `runs_user_code` (a kernel) and in no other: a setup process or PID 1 never draws a
    random number nor renders text, and the callbacks copied ~0.06 MB of pages in each. A
    kernel forked from PID 1 starts from the zygote's state all the same, so the callbacks it
    runs leave it as fresh as if every fork had run them. A process with more threads forks with
    os.fork(). Unlike os.fork(), this does not clear signals
    the parent received but had not yet handled: the child may run the parent's handler for one
    once, before it resets them; those of the zygote and PID 1 only wake their loops or signal a
    kernel that, in the child, is not set."""
    if threading.active_count() != 1:
        return os.fork()
    pid = libc.fork()
    if pid < 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"fork: {os.strerror(errno)}")
    if pid == 0 and runs_user_code:
        # logging registers its callback when it is first imported (by the preload), hence looked up here.
        thread_repair = (threading._after_fork, getattr(sys.modules.get("logging"), "_after_at_fork_child_reinit_locks", None))
        for callback in AFTER_FORK_IN_CHILD:
            if callback not in thread_repair:
                callback()
    return pid


def send_frame(fd, message):
    write_all(fd, encode_frame(message))


def read_frame(fd):
    return read_message(lambda n: os.read(fd, n))


def check(result, what):
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def mount(source, target, fstype, flags=0, data=None):
    check(libc.mount(source.encode() if source else None, target.encode(), fstype.encode() if fstype else None,
                     ctypes.c_ulong(flags), data.encode() if data else None), f"mount {target}")


def unshare(flags):
    check(libc.unshare(flags), "unshare")


def write_file(path, data, flags=os.O_WRONLY, dir_fd=None):
    """Writes `data` (bytes) to `path` with one write(2). os.open, not open(): Python's text and
    buffered file objects run enough of the io stack to copy pages of the zygote's in each session."""
    fd = os.open(path, flags | os.O_CLOEXEC, 0o644, dir_fd=dir_fd)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def write_id_maps(uid, gid, own_proc=None):
    """Maps root of a user namespace this process just created to its own uid outside.
    `own_proc`: this process's /proc directory, opened while /proc still showed it (see own_proc_dir)."""
    prefix = "" if own_proc is not None else "/proc/self/"
    write_file(prefix + "setgroups", b"deny", dir_fd=own_proc)
    write_file(prefix + "uid_map", b"0 %d 1" % uid, dir_fd=own_proc)
    write_file(prefix + "gid_map", b"0 %d 1" % gid, dir_fd=own_proc)


def own_proc_dir():
    """This process's /proc directory, for lock_mounts(): a process that forks a session's kernel
    is outside the session's PID namespace, so the session's /proc (mounted over /proc in its
    mount namespace) does not show it."""
    return os.open("/proc/self", os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)


def die_with_parent():
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def exited_children():
    """Reaps, without blocking, every child that has ended: yields (pid, wait status)."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        yield pid, status


def signal_name(number):
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"SIG{number}"


def report_failure(report_fd, what):
    """Tells the zygote (and so the server's log) why a session could not start."""
    if report_fd is None:
        return
    text = f"{what}:\n{traceback.format_exc()}".encode("utf-8", "replace")[:REPORT_LIMIT]
    try:
        os.write(report_fd, b"E" + text)
    except OSError:
        pass


# Exit statuses of the zygote's forked children. They matter only for the pool's log: a child that
# could say why it failed has already said so on its report pipe.
EXIT_SESSION_PROCESS = 71  # a session's setup, restart or file-server process, or its PID 1 before it execs
EXIT_KERNEL = 70  # a session's kernel


class child_exits:  # noqa: N801 - used as a with-statement, like a function
    """For code running in a forked child, which must never return into the zygote's own code:
    a failure is reported on report_fd, and the child always ends with os._exit(status). A class
    rather than a contextlib generator, whose machinery would run in every forked process."""

    def __init__(self, report_fd, what, status):
        self.report_fd = report_fd
        self.what = what
        self.status = status

    def __enter__(self):
        return self

    def __exit__(self, kind, _value, _traceback):
        if kind is not None:  # any exception, even SystemExit: report why the session could not start
            report_failure(self.report_fd, self.what)
        os._exit(self.status)


# --- the session: a short-lived setup process, then PID 1 (an idle program) and the kernel ------------


def drop_signal_handling():
    """Drops the signal handling of the zygote this process was forked from: no wakeup
    descriptor, and the default handling of the signals it handles. Through _signal, the C module
    under signal: signal.signal() turns its arguments and its answer into enums, which runs enum's
    Python over the shared heap in every session (the C function takes the same numbers, and its
    own SIG_DFL)."""
    signal.set_wakeup_fd(-1)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD):
        _signal.signal(sig, _signal.SIG_DFL)


def leave_zygote():
    """What every process forked from the zygote does once its other descriptors are closed
    (Zygote.spawn): drop the zygote's signal handling and put /dev/null where its standard
    streams, control channel and pool directory were."""
    drop_signal_handling()
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2, CONTROL_IN, CONTROL_OUT, POOL_DIR_FD):
        if fd != devnull:
            os.dup2(devnull, fd)
    if devnull > POOL_DIR_FD:
        os.close(devnull)


def set_up_session(request, kernel_sock, report_fd, go_fd):
    """The short-lived setup process of a session with namespaces. Never returns.

    unshare(CLONE_NEWPID) leaves its caller outside the new PID namespace (its next child is the
    namespace's PID 1), so this process enters the namespaces and forks PID 1, which makes the
    mounts; then it forks the kernel (PID 2), reports both pids and exits. Both are reparented to
    the zygote, a child subreaper, which tracks them. The report order is the one the zygote
    relies on: b"I" (PID 1 runs), b"K" (the kernel runs). PID 1 goes on to exec only once the
    zygote, having reaped this process, has written b"R" on the go pipe.

    The mounts are PID 1's work and not this process's because what a process forked from the
    zygote runs copies pages of the zygote's into it: the kernel, forked from this process,
    keeps what this process copied, and PID 1's copies go when it execs."""
    with child_exits(report_fd, f"session {request['id']} setup failed", EXIT_SESSION_PROCESS):
        leave_zygote()
        die_with_parent()
        enter_namespaces(request, report_fd, go_fd)
        own_proc = own_proc_dir()
        mounted_r, mounted_w = os.pipe()
        init_pid = fork_child(runs_user_code=False)
        if init_pid == 0:
            os.close(mounted_r)
            run_init(request, report_fd, mounted_w, go_fd)
        os.close(mounted_w)
        os.close(go_fd)
        if os.read(mounted_r, 1) != b"M":
            raise RuntimeError("the session's PID 1 ended before it made the session's mounts")
        os.close(mounted_r)
        os.write(report_fd, b"I" + struct.pack(">I", init_pid))
        fork_kernel(request, kernel_sock, report_fd, own_proc)


def enter_namespaces(request, report_fd, go_fd):
    """User, mount, PID, IPC, UTS and network namespaces (set up inside by PID 1: set_up_inside).

    With a `uid` (server running as root), this process first becomes that host uid — the
    session's own — and creates the user namespace as it, so the namespace and every per-uid
    kernel count (processes, namespaces, inotify, keyrings) belong to the session alone. The
    server then sets up its cgroup and network while this process waits on `go_fd`. Without one,
    the namespace maps root to the zygote's own uid, as any unprivileged process may."""
    if request.get("uid") is not None:
        become(int(request["uid"]))
    uid, gid = os.getuid(), os.getgid()
    # The PID namespace comes apart, last: the first child forked after it is that namespace's PID 1.
    unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET)
    write_id_maps(uid, gid)
    wait_for_server(request, report_fd, go_fd)  # the go pipe stays open: PID 1 waits on it too
    unshare(CLONE_NEWPID)


def set_up_inside(request):
    """What PID 1 makes of the session's new namespaces before the kernel is forked: host name,
    loopback, egress rules, private mounts, a size-limited /mnt/data, /tmp and /root, its own
    /dev, the package's files hidden, and a /proc that shows only the session's processes."""
    libc.sethostname(b"session", 7)
    bring_up_loopback()
    if request["egress"]:
        restrict_egress(request["blockedAddresses"], request.get("allowedDestinations", []))
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    disk_mb = int(request["diskMb"])
    scratch_mb = max(16, min(disk_mb, 256))
    secure = MS_NOSUID | MS_NODEV
    mount("tmpfs", "/mnt/data", "tmpfs", secure, f"size={disk_mb}m,mode=0755")
    mount("tmpfs", "/tmp", "tmpfs", secure, f"size={scratch_mb}m,mode=1777")
    mount("tmpfs", "/root", "tmpfs", secure, f"size={scratch_mb}m,mode=0700")
    make_dev(scratch_mb)
    # Hide the package's Python files (bound read-only for the zygote) from the session.
    for hidden in request.get("hide", []):
        if os.path.isdir(hidden):
            mount("tmpfs", hidden, "tmpfs", secure | MS_NOEXEC, "size=1m,mode=0755")
    program = init_program(request)
    if program != IDLE_PROGRAM:
        os.symlink(IDLE_PROGRAM, program)
        # Read-only (a flag the kernel's locked mount namespace cannot lift): PID 1 execs the link
        # only after the zygote has reaped the setup process, possibly after the first cell has
        # run, and user code must not point it at a program of its own.
        mount(None, os.path.dirname(program), None, MS_REMOUNT | MS_BIND | MS_RDONLY | secure | MS_NOEXEC)
    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)


def wait_for_server(request, report_fd, go_fd):
    """As root, reports b"U" and waits for the server to put this process in the session's cgroup
    (and, for a new session, attach its network) before going on."""
    if request["hostIds"]:
        os.write(report_fd, b"U")
        if os.read(go_fd, 1) != b"G":
            raise RuntimeError("the server did not finish setting up the session")


def bring_up_loopback():
    """A new network namespace starts with `lo` down; code that serves and calls itself needs it."""
    import fcntl

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sH", b"lo", IFF_UP | IFF_LOOPBACK | IFF_RUNNING))


def restrict_egress(blocked, allowed):
    """Egress on: the session reaches the internet through slirp4netns (attached by the server),
    but never the host (its loopback is already cut off by slirp4netns; its own addresses and the
    private, link-local and reserved ranges are refused here), nor DNS other than slirp4netns's
    forwarder. The rules live in the session's own network namespace, and the kernel that runs
    user code can change neither them nor the namespace (no capabilities, no netfilter sockets)."""
    addresses = ", ".join(blocked)
    # Operator-chosen exceptions (a mirror or proxy on the local network), exact address and port only.
    exceptions = "".join(f"    ip daddr {entry['address']} tcp dport {int(entry['port'])} accept\n" for entry in allowed)
    rules = f"""
table inet tidepool {{
  set blocked {{ type ipv4_addr; flags interval; auto-merge; elements = {{ {addresses} }} }}
  chain output {{
    type filter hook output priority 0; policy accept;
    oifname "lo" accept
    ip daddr 10.0.2.3 udp dport 53 accept
    ip daddr 10.0.2.3 tcp dport 53 accept
{exceptions}    meta nfproto ipv6 meta l4proto tcp reject with tcp reset
    meta nfproto ipv6 reject with icmpx type admin-prohibited
    ip daddr @blocked meta l4proto tcp reject with tcp reset
    ip daddr @blocked reject with icmpx type admin-prohibited
  }}
}}
"""
    done = subprocess.run(["nft", "-f", "-"], input=rules.encode(), stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}, timeout=10)
    if done.returncode != 0:
        raise RuntimeError(f"nft could not restrict the session's egress: {done.stderr.decode(errors='replace').strip()}")


def make_dev(scratch_mb):
    """A /dev of the session's own: a few device nodes, read-only, a private devpts and /dev/shm.

    Built on a staging tmpfs inside the session's fresh /tmp and moved over /dev, because the
    zygote's device nodes have to be bound before its /dev is covered."""
    staging = "/tmp/.dev"
    os.mkdir(staging)
    mount("tmpfs", staging, "tmpfs", MS_NOSUID | MS_NOEXEC, "size=64k,mode=0755")
    for name in DEVICES:
        if os.path.exists(f"/dev/{name}"):
            write_file(f"{staging}/{name}", b"", os.O_WRONLY | os.O_CREAT | os.O_EXCL)
            mount(f"/dev/{name}", f"{staging}/{name}", None, MS_BIND)
    os.mkdir(f"{staging}/pts")
    os.mkdir(f"{staging}/shm")
    for name, target in DEV_LINKS.items():
        os.symlink(target, f"{staging}/{name}")
    mount(staging, "/dev", None, MS_MOVE)
    os.rmdir(staging)
    mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620")
    mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, f"size={scratch_mb}m,mode=1777")
    mount(None, "/dev", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NOEXEC)


def run_init(request, report_fd, mounted_w, go_fd):
    """The session's PID 1. Never returns: it becomes an idle program (`sleep infinity`, named
    tidepool-init: init_program).

    Why a program of its own and not Python: PID 1 only has to exist (the PID namespace, and
    with it the session, lives as long as it does) and reap orphans. A Python process forked
    from the zygote holds ~1.2 MiB of pages of its own even doing nothing; `sleep` holds ~0.1.
    The file server and kernel restarts, which PID 1 used to run, are processes the zygote
    forks into the session's namespaces when they are needed (serve_files, restart_kernel).

    Before it execs, it sets the session up (set_up_inside), and gives itself up to what user code has:
    the session's rlimits, no capabilities (for good: locked securebits), no_new_privs and the
    kernel's seccomp filter. It stays in the session's user and mount namespaces, above the
    kernel's: though it runs as the same host uid, user code (without CAP_SYS_PTRACE there) may
    not ptrace it nor open its memory, descriptors, environment or root through /proc; it would
    gain nothing if it could, and `sleep` never returns. It ignores SIGCHLD, so the kernel reaps the orphans
    reparented to it; it handles no other signal, so signals from inside its namespace, even
    SIGKILL, cannot end it. Its parent-death signal ends it (and so the session) with the
    zygote."""
    with child_exits(report_fd, f"session {request['id']} init failed", EXIT_SESSION_PROCESS):
        libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
        set_up_inside(request)
        os.write(mounted_w, b"M")
        os.close(mounted_w)
        # The parent-death signal is to tie this process to the zygote, so it is set only once the
        # setup process (the parent until it has exited) is gone: the zygote writes b"R" once it
        # has reaped it, if the session's kernel runs.
        if os.read(go_fd, 1) != b"R":
            raise RuntimeError("the session's setup did not go through")
        os.close(go_fd)
        die_with_parent()
        if zygote_gone():
            raise RuntimeError("the zygote ended while the session started")
        apply_limits(request)
        import tidepool_confine

        tidepool_confine.confine()
        _signal.signal(signal.SIGCHLD, _signal.SIG_IGN)
        close_other_fds({report_fd})  # the report pipe closes on exec, or says why exec failed
        program = init_program(request)
        os.execve(program, [INIT_NAME, "infinity"], {})


INIT_NAME = "tidepool-init"


def init_program(request):
    """What PID 1 execs: a link named tidepool-init to `sleep`, in the first folder hidden from
    the session (set_up_inside makes it on that folder's empty tmpfs), so that `ps` and `pgrep` in
    the session name PID 1 for what it is (a process takes the name of the file it execs);
    `sleep` itself if no folder is hidden."""
    hidden = [path for path in request.get("hide", []) if os.path.isdir(path)]
    return os.path.join(hidden[0], INIT_NAME) if hidden else IDLE_PROGRAM


def zygote_gone():
    """True once the zygote has ended: the lifeline's only writer was the zygote."""
    waiting = select.poll()
    waiting.register(LIFELINE_R, select.POLLIN)
    return bool(waiting.poll(0))


def lock_mounts(own_proc):
    """One more user+mount namespace for the kernel about to be forked: every mount made so far
    becomes locked, so user code cannot unmount /proc or /mnt/data to peek underneath.

    Made here, in the process that forks the kernel, and not in the kernel: writing a uid map
    needs a dumpable process, and the kernel stays undumpable (out of reach of ptrace and
    /proc/<pid>/mem for every other process of the session, PID 1 included) until it has dropped
    its capabilities and loaded its seccomp filter."""
    uid, gid = os.getuid(), os.getgid()
    unshare(CLONE_NEWUSER | CLONE_NEWNS)
    write_id_maps(uid, gid, own_proc)
    os.close(own_proc)
    libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)


def fork_kernel(request, kernel_sock, report_fd, own_proc, inherited=()):
    """Forks the session's kernel into this process's namespaces (its PID namespace for children)
    and reports its pid (b"K"). `inherited`: descriptors of this process the kernel must close."""
    if request["namespaces"]:
        lock_mounts(own_proc)
    pid = fork_child(runs_user_code=True)
    if pid == 0:
        for fd in inherited:
            os.close(fd)
        run_kernel(request, kernel_sock, request["dataDir"], report_fd)
    kernel_sock.close()
    os.write(report_fd, b"K" + struct.pack(">I", pid))


def join_session(request, init_pidfd, report_fd, go_fd, flags):
    """For a process the zygote forks into a running session (a kernel restart, a file server):
    the session's uid, then its cgroup (the server's turn, as root), then its namespaces, entered
    through a pidfd of its PID 1 (so never another session's, even if that pid were reused)."""
    if request.get("uid") is not None:
        become(int(request["uid"]))
    wait_for_server(request, report_fd, go_fd)
    os.close(go_fd)
    if init_pidfd is not None:
        check(libc.setns(init_pidfd, flags), "setns")
        os.close(init_pidfd)


SESSION_NAMESPACES = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET


def restart_kernel(request, kernel_sock, init_pidfd, report_fd, go_fd):
    """A fresh kernel in a running session: joins the session (its PID namespace too, for the
    kernel it forks), ends every process the old kernel left, and forks the new kernel. Never
    returns."""
    with child_exits(report_fd, f"session {request['id']} kernel restart failed", EXIT_SESSION_PROCESS):
        leave_zygote()
        die_with_parent()
        own_proc = own_proc_dir()
        join_session(request, init_pidfd, report_fd, go_fd, SESSION_NAMESPACES | CLONE_NEWPID)
        end_session_processes()
        fork_kernel(request, kernel_sock, report_fd, own_proc)


# How long a restart may take to end what the old kernel left before it gives up.
SWEEP_DEADLINE_SECONDS = 2.0


def end_session_processes():
    """Kills every process of the session but PID 1, from outside its PID namespace, until none
    is left; raises if some remain after SWEEP_DEADLINE_SECONDS.

    Done by the restart process, not by the new kernel: the old kernel's processes run as the
    same uid and could signal a new kernel before it ended them (a SIGSTOP at the next pids, and
    the restart hangs), but this process is in none of their PID namespaces, so they can neither
    see nor signal it. It finds them in the session's /proc (its mount namespace is the session's
    now) and signals each through its /proc directory, a pidfd (a pid number would name a process
    of the zygote's namespace). Orphans are reaped by PID 1 (which ignores SIGCHLD) and the old
    kernel by the zygote, so the listing empties."""
    deadline = time.monotonic() + SWEEP_DEADLINE_SECONDS
    delay = 0.0005
    while True:
        left = [name for name in os.listdir("/proc") if name.isdigit() and name != "1"]
        if not left:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{len(left)} processes the old kernel left did not end within {SWEEP_DEADLINE_SECONDS:g} s")
        for name in left:
            try:
                fd = os.open(f"/proc/{name}", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            except OSError:
                continue  # gone already
            try:
                signal.pidfd_send_signal(fd, signal.SIGKILL)
            except OSError:
                pass
            finally:
                os.close(fd)
        time.sleep(delay)
        delay = min(delay * 2, 0.02)


# A file server that has answered nothing for this long ends; the zygote keeps the channel and
# starts another when the next request arrives. A session at rest so costs no file server.
FILE_SERVER_IDLE_MS = 30_000


def serve_files(request, files_sock, init_pidfd, report_fd, go_fd):
    """The session's file server, forked by the zygote when a request waits on the file channel.
    Never returns.

    It joins the session's uid, cgroup (what it writes to /mnt/data is the session's memory) and
    namespaces, but not its PID namespace: user code can neither see nor signal it. Undumpable,
    it serves from the session's /mnt/data without following a symlink planted by user code,
    until the channel closes (the session is over) or it has been idle for FILE_SERVER_IDLE_MS
    with no upload in progress. It reads whole requests only, so a request that arrives as it
    ends stays in the channel for the next file server."""
    with child_exits(report_fd, f"session {request['id']} file server failed", EXIT_SESSION_PROCESS):
        leave_zygote()
        die_with_parent()
        join_session(request, init_pidfd, report_fd, go_fd, SESSION_NAMESPACES)
        libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
        close_other_fds({files_sock.fileno()})
        import tidepool_pool_files

        server = tidepool_pool_files.FileServer(files_sock, request["dataDir"])
        waiting = select.poll()
        waiting.register(server.fd, select.POLLIN)
        while True:
            if not waiting.poll(FILE_SERVER_IDLE_MS if server.upload is None else None):
                return
            if not server.handle_one():
                return


def run_kernel(request, kernel_sock, data_dir, report_fd):
    """Becomes the session's kernel. Never returns.

    With namespaces it is a process of the session's PID namespace, already in its own locked
    user+mount namespace (lock_mounts) and undumpable, and with no other process of the session
    beside PID 1 (a restart ended them first: end_session_processes); it becomes dumpable again
    (so user code has its own /proc/self) only once confined. Under isolation "none" the zygote
    is its parent."""
    with child_exits(report_fd, f"session {request['id']} kernel failed", EXIT_KERNEL):
        namespaces = bool(request["namespaces"])
        if not namespaces:
            die_with_parent()
        run_as_batch_work()
        apply_limits(request)
        if namespaces:
            import tidepool_confine

            tidepool_confine.confine()
        else:
            libc.prctl(38, 1, 0, 0, 0)  # PR_SET_NO_NEW_PRIVS
        libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)
        # The environment is the session's already: the zygote adopted it before it forked.
        if NODE_KERNEL:
            exec_node_kernel(kernel_sock.detach(), data_dir, namespaces, report_fd)
        in_fd = kernel_sock.detach()
        out_fd = os.dup(in_fd)
        # The report pipe goes last: from here on, only user code could write to it.
        close_other_fds({in_fd, out_fd})
        import tidepool_kernel

        # In a session's own PID namespace every other process but PID 1 is the session's: the kernel
        # ends what a cell left running (unless the cell opted out), so it burns no CPU afterwards.
        tidepool_kernel.serve(in_fd, out_fd, data_dir, reap_session_processes=namespaces)



# --- JavaScript sessions (NodeLTS pools) ----------------------------------------------------------

# For a NodeLTS pool: the Node.js binary as sessions see it, and the sources of the JavaScript kernel
# and of its parser (acorn), read when the zygote starts (sessions cannot see the pool directory).
NODE_KERNEL = None

# What `node -e` runs (in a block, so that its names never become globals of user code): loads
# acorn and the kernel from the in-memory files on the descriptors it is given (CommonJS-style,
# nothing on disk), then serves. Arguments: socket fd, acorn fd, kernel fd, the in-memory files
# behind stdout and stderr, data directory, "1" to end leftover processes after each cell.
NODE_BOOTSTRAP = (
    "{const fs=require('fs'),vm=require('vm');const a=process.argv.slice(1);"
    "const load=(fd,name)=>{const m={exports:{}};const s=fs.readFileSync(+fd,'utf8');fs.closeSync(+fd);"
    "vm.runInThisContext('(function (module, exports, require, __filename) {'+s+'\\n})',{filename:name})"
    "(m,m.exports,require,name);return m.exports};"
    "load(a[2],'tidepool-kernel.cjs').main({acorn:load(a[1],'acorn.js'),socketFd:+a[0],"
    "childOutputFds:[+a[3],+a[4]],dataDir:a[5],reapSessionProcesses:a[6]==='1'})}"
)
NODE_ADDRESS_SPACE_BYTES = 2 * 1024 ** 3
# What a JavaScript kernel uses besides V8's old generation: Node.js itself and the young generation.
NODE_BESIDES_HEAP_MB = 96
NODE_MIN_HEAP_MB = 16


def load_node_kernel(config, config_path):
    """Reads the JavaScript kernel's files from the pool directory, once, before any session exists."""
    global NODE_KERNEL
    spec = config.get("nodeKernel")
    if not spec:
        return
    folder = os.path.dirname(config_path)
    sources = {}
    for name in ("acorn", "kernel"):
        with open(os.path.join(folder, spec[name]), "rb") as f:
            sources[name] = f.read()
    NODE_KERNEL = {"node": spec["node"], "heap_mb": int(spec["heapMb"]), **sources}


def in_memory_file(name, data):
    """A descriptor (inherited across exec) of an anonymous in-memory file holding `data`."""
    fd = os.memfd_create(name, 0)
    write_all(fd, data)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def child_output_file(target_fd, name):
    """Makes `target_fd` (1 or 2) an in-memory file opened for appending; returns another
    descriptor of it, which the kernel reads and empties (see ChildOutput in the kernel). Child
    processes of user code that inherit the descriptor write there and never block."""
    import fcntl

    fd = os.memfd_create(name, 0)
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_APPEND)
    os.dup2(fd, target_fd)
    return fd


def exec_node_kernel(sock_fd, data_dir, reap, report_fd):
    """Replaces this confined kernel process with Node.js running the JavaScript kernel. The
    namespaces, limits, dropped capabilities and seccomp filter are inherited across exec (with
    no_new_privs set, exec can gain nothing). Never returns. The report pipe stays open (not
    inherited) so a failed exec can still be reported; a successful one closes it."""
    acorn_fd = in_memory_file("acorn.js", NODE_KERNEL["acorn"])
    kernel_fd = in_memory_file("tidepool-kernel.cjs", NODE_KERNEL["kernel"])
    stdout_fd = child_output_file(1, "stdout")
    stderr_fd = child_output_file(2, "stderr")
    keep = [sock_fd, acorn_fd, kernel_fd, stdout_fd, stderr_fd]
    close_other_fds({*keep, report_fd} if report_fd is not None else set(keep))
    for fd in keep:
        os.set_inheritable(fd, True)
    node = NODE_KERNEL["node"]
    # The heap is held within the session's memory whether a cgroup or RLIMIT_AS enforces it: V8
    # then collects garbage before the limit instead of growing into it (and fails with an error of
    # its own when live data does not fit).
    heap = f"--max-old-space-size={max(NODE_MIN_HEAP_MB, NODE_KERNEL['heap_mb'] - NODE_BESIDES_HEAP_MB)}"
    args = [node, heap, "-e", NODE_BOOTSTRAP, *map(str, keep), data_dir, "1" if reap else "0"]
    os.execve(node, args, dict(os.environ))


def adopt_environment(env):
    """Makes os.environ exactly `env`, setting and removing only the variables that differ."""
    for name in [name for name in os.environ if name not in env]:
        del os.environ[name]
    for name, value in env.items():
        if os.environ.get(name) != value:
            os.environ[name] = value


def run_as_batch_work():
    """Schedules the kernel, and every process user code starts, as SCHED_BATCH.

    Under the default policy a woken task may preempt the one that woke it: each time the server
    writes a cell to a sleeping kernel, the kernel takes the server's CPU, and with more sessions
    than cores the server spends its time descheduled mid-request (on two cores, a third of the
    throughput over 32 sessions). A batch task never preempts on wakeup; it still gets its fair
    share of CPU, and a lone cell still runs at once on an idle core. Not a limit: user code may
    switch back to the default policy; what bounds a session's CPU is its cgroup's share and
    RLIMIT_CPU. Where the host refuses the call (a container runtime's own seccomp profile), the
    session runs under the default policy, only slower under load."""
    try:
        os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))
    except OSError:
        pass


def apply_limits(request):
    def limit(kind, value):
        if value is None:
            return
        _soft, hard = resource.getrlimit(kind)
        value = int(value) if hard == resource.RLIM_INFINITY else min(int(value), hard)
        resource.setrlimit(kind, (value, value))

    limits = request["limits"]
    if limits.get("memoryBytes"):
        # Without a memory cgroup: the shared, preloaded interpreter image already occupies
        # address space; the session gets memoryBytes on top of it. Node.js reserves (without
        # using) about 1.2 GB of address space at start: a JavaScript kernel gets a fixed
        # allowance for it, and its heap is held to memoryBytes by V8 itself.
        base = NODE_ADDRESS_SPACE_BYTES if NODE_KERNEL else address_space_bytes()
        limit(resource.RLIMIT_AS, base + int(limits["memoryBytes"]))
    limit(resource.RLIMIT_NPROC, limits.get("maxProcesses"))
    limit(resource.RLIMIT_FSIZE, limits.get("fileSizeBytes"))
    limit(resource.RLIMIT_CPU, limits.get("cpuSeconds"))
    limit(resource.RLIMIT_CORE, 0)


def address_space_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def close_other_fds(keep):
    """Closes every descriptor from 3 up except those in `keep`."""
    low = 3
    for fd in sorted(fd for fd in keep if fd >= 3) + [MAX_FD]:
        os.closerange(low, fd)
        low = fd + 1


# --- the zygote ---------------------------------------------------------------------------------


class Session:
    """What the zygote knows of one session: its request (for restarts and file servers), the
    file channel it holds between file servers, and the pids of its processes."""

    def __init__(self, request, files_sock):
        self.id = request["id"]
        # Kept for file servers and restarts, which every later fork (other sessions' kernels
        # among them) has a copy of: without the session's one-time hello token.
        self.request = {name: value for name, value in request.items() if name != "token"}
        self.namespaces = bool(request["namespaces"])
        self.files_sock = files_sock
        self.init_pid = None  # PID 1 (with namespaces)
        self.kernel_pid = None  # the current kernel; an earlier one that still runs is not it
        self.files_pid = None  # the file server, while one runs
        self.pids = set()  # every process of the session the zygote has forked or adopted
        self.announced = False  # the host has been told the session's pid ("forked")
        self.ending = False  # it is over; "exited" is sent once all of its processes are gone
        self.exit = None  # how it ended, for that event


class Report:
    """A forked process's report pipe, and the "go" pipe the zygote writes to it on: b"G" (as
    root) once the server has set it up; to a setup process's PID 1, b"R" once the setup process
    is reaped."""

    def __init__(self, session, pid, go_fd, role):
        self.session = session
        self.pid = pid
        self.go_fd = go_fd
        self.role = role  # SETUP, RESTART, FILES or KERNEL (under isolation "none")
        self.buffer = b""


# Process roles, as the zygote tracks them.
SETUP, INIT, KERNEL, FILES, RESTART = "setup", "init", "kernel", "files", "restart"


class Zygote:
    def __init__(self, config):
        self.config = config
        # epoll, not select(): with hundreds of sessions the zygote's descriptors pass 1024, where
        # select() fails (and the zygote with it). Report pipes and idle file channels are
        # registered while they are open.
        self.poller = select.epoll()
        self.sessions = {}  # session id -> Session
        self.children = {}  # pid -> (Session, role)
        self.reports = {}  # read end of a report pipe -> Report
        self.idle_files = {}  # fd of a file channel with no file server -> Session
        self.parent = None  # a pidfd of the zygote's parent, once run() has opened it

    def connect(self, token, role):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(self.config["socketPath"])
        send_frame(sock.fileno(), {"hello": token, "role": role})
        return sock

    def spawn(self, session, role, run, *args, init_pidfd=None):
        """Forks a process of `session` that reports on a pipe of its own: run(*args, report_w, go_r)."""
        report_r, report_w = os.pipe()
        go_r, go_w = os.pipe()
        try:
            pid = fork_child(runs_user_code=False)
        except OSError:
            for fd in (report_r, report_w, go_r, go_w):
                os.close(fd)
            raise
        if pid == 0:
            with child_exits(report_w, f"session {session.id}: {role} could not start", EXIT_SESSION_PROCESS):
                # First of all, every descriptor of the zygote's but this process's own: other
                # sessions' file channels, report pipes, the control channel, the lifeline's write end.
                own = {report_w, go_r, *(arg.fileno() if isinstance(arg, socket.socket) else arg
                                         for arg in args if isinstance(arg, (socket.socket, int)) and not isinstance(arg, bool))}
                close_other_fds(own | ({LIFELINE_R} if LIFELINE_R is not None else set()))
                run(*args, report_w, go_r)
        os.close(report_w)
        os.close(go_r)
        if init_pidfd is not None:
            os.close(init_pidfd)
        self.adopt(session, pid, role)
        self.reports[report_r] = Report(session, pid, go_w, role)
        self.poller.register(report_r, select.EPOLLIN)
        return pid

    def adopt(self, session, pid, role):
        self.children[pid] = (session, role)
        session.pids.add(pid)

    def fork(self, request):
        # Sessions inherit it: their kernel then changes nothing, where replacing every variable after
        # the fork copied ~0.35 MB of the zygote's pages per session. Nothing the zygote still runs
        # reads it (its imports are done; nft gets an environment of its own).
        adopt_environment(request["env"])
        if request["id"] in self.sessions:
            raise ValueError(f"session {request['id']} exists")
        kernel_sock = self.connect(request["token"], "kernel")
        try:
            session = Session(request, self.connect(request["token"], "files"))
        except OSError:
            kernel_sock.close()
            raise
        self.sessions[session.id] = session
        try:
            if session.namespaces:
                self.spawn(session, SETUP, set_up_session, request, kernel_sock)
            else:
                session.kernel_pid = self.spawn(session, KERNEL, run_plain_kernel, request, kernel_sock)
                self.announce(session, session.kernel_pid)
                self.arm_files(session)
        except Exception:
            self.sessions.pop(session.id, None)
            session.files_sock.close()
            raise
        finally:
            kernel_sock.close()

    def announce(self, session, pid):
        if not session.announced:
            session.announced = True
            send_frame(CONTROL_OUT, {"event": "forked", "id": session.id, "pid": pid})

    def on_report(self, fd):
        """Reads what a forked process says: b"U" (the server's turn), b"I" + pid (PID 1 runs),
        b"K" + pid (a kernel runs), b"E" + text (it failed); end of file once it is done."""
        report = self.reports[fd]
        session = report.session
        try:
            chunk = os.read(fd, 8192)
        except OSError:
            chunk = b""
        if not chunk:
            self.finish_report(fd)
            return
        report.buffer += chunk
        while report.buffer:
            kind = report.buffer[:1]
            if kind == b"U":
                report.buffer = report.buffer[1:]
                event = {"event": "unshared", "id": session.id, "pid": report.pid}
                if report.role != SETUP:
                    event["join"] = True  # a process joining a running session: its cgroup only
                send_frame(CONTROL_OUT, event)
            elif kind in (b"I", b"K"):
                if len(report.buffer) < 5:
                    return
                pid = struct.unpack(">I", report.buffer[1:5])[0]
                report.buffer = report.buffer[5:]
                if kind == b"I":
                    self.adopt(session, pid, INIT)
                    session.init_pid = pid
                    self.announce(session, pid)
                    if session.ending:
                        self.kill(pid)
                    else:
                        self.arm_files(session)
                else:
                    self.adopt(session, pid, KERNEL)
                    if session.ending:
                        self.kill(pid)
                    else:
                        session.kernel_pid = pid
            else:  # b"E": the rest is the failure's text, written in one piece
                message = report.buffer[1:REPORT_LIMIT + 1].decode("utf-8", "replace")
                report.buffer = b""
                send_frame(CONTROL_OUT, {"event": "failed", "id": session.id, "message": message})

    def finish_report(self, fd):
        report = self.reports.pop(fd)
        self.poller.unregister(fd)
        os.close(fd)
        self.close_go(report)
        session = report.session
        if report.role == SETUP and session.init_pid is None and not session.ending:
            # The setup process ended before its PID 1 ran: so has the session.
            self.end(session, {"code": None, "signal": None})
        self.maybe_exited(session)

    def close_go(self, report):
        if report.go_fd is not None:
            os.close(report.go_fd)
            report.go_fd = None

    def proceed(self, request):
        """The server has set up the session (or put a process joining it in its cgroup)."""
        pid = request.get("pid")
        report = next((r for r in self.reports.values()
                       if r.session.id == request["id"] and r.go_fd is not None and (pid is None or r.pid == pid)), None)
        if report is None:
            raise LookupError(f"no process of session {request['id']} is waiting to proceed")
        os.write(report.go_fd, b"G")
        if report.role != SETUP:
            self.close_go(report)

    def init_pidfd(self, session):
        """A pidfd of the session's PID 1, taken while the zygote has not reaped it (its pid cannot
        have been reused), for a process that joins the session's namespaces."""
        if not session.namespaces:
            return None
        if session.init_pid is None:
            raise LookupError(f"session {session.id} has no PID 1")
        return os.pidfd_open(session.init_pid)

    def respawn(self, request):
        """Starts a fresh kernel in a running session, connected with the server's new token."""
        session = self.sessions.get(request["session"])
        if session is None or session.ending:
            raise LookupError(f"no session {request['session']} to restart a kernel in")
        if session.kernel_pid is not None:
            # It is not waited for: the new kernel ends it (and all it left) before it starts.
            self.kill(session.kernel_pid)
            session.kernel_pid = None
        adopt_environment(session.request["env"])  # inherited by the kernel (see fork())
        kernel_sock = self.connect(request["token"], "kernel")
        try:
            if session.namespaces:
                pidfd = self.init_pidfd(session)
                self.spawn(session, RESTART, restart_kernel, session.request, kernel_sock, pidfd, init_pidfd=pidfd)
            else:
                session.kernel_pid = self.spawn(session, KERNEL, run_plain_kernel, session.request, kernel_sock)
        finally:
            kernel_sock.close()
        send_frame(CONTROL_OUT, {"event": "respawned", "id": request["id"]})

    def arm_files(self, session):
        """Watches the session's file channel: the next request there starts a file server."""
        if session.files_sock is not None and session.files_pid is None and not session.ending:
            fd = session.files_sock.fileno()
            if fd not in self.idle_files:
                self.idle_files[fd] = session
                self.poller.register(fd, select.EPOLLIN)

    def disarm_files(self, session):
        if session.files_sock is not None and self.idle_files.pop(session.files_sock.fileno(), None):
            self.poller.unregister(session.files_sock.fileno())

    def on_files(self, fd):
        """A request waits on a file channel with no file server: start one (or, if the server
        closed the channel, let it go)."""
        session = self.idle_files[fd]
        self.disarm_files(session)
        try:
            waiting = session.files_sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
        except BlockingIOError:
            self.arm_files(session)
            return
        except OSError:
            waiting = b""
        if not waiting:
            session.files_sock.close()
            session.files_sock = None
            return
        try:
            pidfd = self.init_pidfd(session)
            session.files_pid = self.spawn(session, FILES, serve_files, session.request, session.files_sock, pidfd,
                                           init_pidfd=pidfd)
        except (OSError, LookupError) as exc:
            # PID 1 is gone (the session is ending) or the fork failed: the server's request times out.
            send_frame(CONTROL_OUT, {"event": "failed", "id": session.id, "message": f"no file server: {exc}"})

    def signal(self, request):
        """INT interrupts the kernel; TERM ends the kernel alone; KILL ends the session."""
        session = self.sessions.get(request["id"])
        if session is None:
            return
        kind = request["signal"]
        if kind == "KILL":
            self.end(session, {"code": None, "signal": "SIGKILL"})
        elif session.kernel_pid is not None:
            self.kill(session.kernel_pid, signal.SIGINT if kind == "INT" else signal.SIGKILL)

    def kill(self, pid, sig=None):
        try:
            os.kill(pid, signal.SIGKILL if sig is None else sig)
        except ProcessLookupError:
            pass

    def end(self, session, exit_status):
        """Ends every process of the session; "exited" follows once all are reaped. Ending PID 1
        ends everything in its PID namespace; the rest (a setup or restart process, a file
        server) is outside it."""
        if not session.ending:
            session.ending = True
            session.exit = exit_status
        self.disarm_files(session)
        if session.files_sock is not None:
            session.files_sock.close()
            session.files_sock = None
        for report in self.reports.values():
            if report.session is session:
                self.close_go(report)
        for pid in session.pids:
            self.kill(pid)
        self.maybe_exited(session)

    def maybe_exited(self, session):
        if not session.ending or session.pids or any(r.session is session for r in self.reports.values()):
            return
        if self.sessions.pop(session.id, None) is None:
            return
        self.announce(session, 0)
        send_frame(CONTROL_OUT, {"event": "exited", "id": session.id, **session.exit})

    def reap(self):
        """Reaps the sessions' processes and, as their subreaper, orphans of user code under
        isolation "none" (ignored)."""
        for pid, status in exited_children():
            session, role = self.children.pop(pid, (None, None))
            if session is None:
                # A PID 1 or kernel becomes our child only once the process that forked it has
                # reported its pid and exited: that report may still wait in its pipe.
                self.settle_ready_reports()
                session, role = self.children.pop(pid, (None, None))
            if session is None:
                continue
            session.pids.discard(pid)
            if role == SETUP:
                self.release_init(session, pid)
            elif role == INIT:
                session.init_pid = None
                self.end(session, describe_status(status))
            elif role == KERNEL and pid == session.kernel_pid:
                session.kernel_pid = None
                if not session.ending:
                    send_frame(CONTROL_OUT, {"event": "kernelExited", "id": session.id, **describe_status(status)})
            elif role == FILES:
                session.files_pid = None
                self.arm_files(session)
            self.maybe_exited(session)

    def release_init(self, session, setup_pid):
        """The setup process is reaped, so PID 1 is our child now: it may tie itself to us (its
        parent-death signal) and exec, if the session started. Otherwise closing the pipe ends it."""
        self.settle_ready_reports()
        report = next((r for r in self.reports.values() if r.pid == setup_pid and r.role == SETUP), None)
        if report is None or report.go_fd is None:
            return
        if session.kernel_pid is not None and not session.ending:
            try:
                os.write(report.go_fd, b"R")
            except OSError:
                pass  # PID 1 is gone: its own end is reaped next
        self.close_go(report)

    def settle_ready_reports(self):
        while self.reports:
            # The poller is level-triggered: what this leaves (file channels, requests) step() still sees.
            readable = [fd for fd, _events in self.poller.poll(0) if fd in self.reports]
            if not readable:
                return
            for fd in readable:
                if fd in self.reports:
                    self.on_report(fd)

    def metadata(self, request):
        import importlib.metadata
        import platform

        packages = {}
        for dist in importlib.metadata.distributions():
            name = dist.metadata["Name"]
            if name:
                packages[name.lower()] = {"name": name, "version": dist.version}
        send_frame(CONTROL_OUT, {
            "event": "metadata",
            "id": request["id"],
            "python": platform.python_version(),
            "packages": sorted(packages.values(), key=lambda p: p["name"].lower()),
        })

    def handle(self, request):
        op = request.get("op") if isinstance(request, dict) else None
        try:
            if op == "fork":
                self.fork(request)
            elif op == "proceed":
                self.proceed(request)
            elif op == "respawn":
                self.respawn(request)
            elif op == "signal":
                self.signal(request)
            elif op == "metadata":
                self.metadata(request)
            else:
                raise ValueError(f"unknown operation {op!r}")
        except Exception as exc:  # noqa: BLE001 - one bad request must not stop the zygote
            request_id = request.get("id") if isinstance(request, dict) else None
            send_frame(CONTROL_OUT, {"event": "error", "id": request_id, "message": f"{type(exc).__name__}: {exc}"})

    def run(self, parent):
        # A session's PID 1 and kernel outlive the setup process that forked them and become our children.
        check(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), "prctl(PR_SET_CHILD_SUBREAPER)")
        # The zygote ends with its parent (bubblewrap, or the server). Not through a parent-death
        # signal: the kernel checks its delivery against the dying parent's privileges, and as root
        # bubblewrap has dropped the capability to signal the zygote's uid. A pidfd of the parent
        # turns readable when it exits.
        try:
            self.parent = os.pidfd_open(parent)
        except ProcessLookupError:
            sys.exit(3)
        if os.getppid() != parent:
            sys.exit(3)  # it ended before the pidfd was opened
        self.poller.register(self.parent, select.EPOLLIN)
        wake_r, wake_w = os.pipe()
        os.set_blocking(wake_w, False)
        signal.set_wakeup_fd(wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        send_frame(CONTROL_OUT, {"event": "ready", "pid": os.getpid()})
        self.poller.register(CONTROL_IN, select.EPOLLIN)
        self.poller.register(wake_r, select.EPOLLIN)
        while self.step(wake_r):
            pass

    def step(self, wake_r, timeout=None):
        """Waits for and handles what is ready: reports, file requests, children that exited, one
        request. False once the host has gone."""
        readable = [fd for fd, _events in self.poller.poll(timeout)]
        for fd in readable:
            if fd in self.reports:
                self.on_report(fd)
        for fd in readable:
            if fd in self.idle_files:
                self.on_files(fd)
        if wake_r in readable:
            os.read(wake_r, 4096)
            self.reap()
        if self.parent is not None and self.parent in readable:
            self.end_all()
            return False
        if CONTROL_IN in readable:
            request = read_frame(CONTROL_IN)
            if request is None:
                self.end_all()
                return False
            self.handle(request)
        return True

    def end_all(self):
        """The host went away: end every session with us."""
        for pid in self.children:
            self.kill(pid)


def run_plain_kernel(request, kernel_sock, report_fd, go_fd):
    """Isolation "none": the zygote forks the kernel itself (no namespaces to enter)."""
    os.close(go_fd)
    leave_zygote()
    os.makedirs(request["dataDir"], exist_ok=True)
    run_kernel(request, kernel_sock, request["dataDir"], report_fd)


def describe_status(status):
    """A wait status as the host reads it."""
    if os.WIFSIGNALED(status):
        return {"code": None, "signal": signal_name(os.WTERMSIG(status))}
    return {"code": os.WEXITSTATUS(status), "signal": None}



# The first word of a Mersenne Twister key as numpy.random.seed() sets it: never an all-zero state.
MT19937_FIRST_WORD = (0x80000000).to_bytes(4, sys.byteorder)


def preload():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401
    import numpy
    import pandas  # noqa: F401

    def reseed_numpy():
        """Gives numpy's global RandomState 623 fresh words of the system's entropy, as
        numpy.random.seed() would through a SeedSequence, whose arrays and ufuncs copied ~0.25 MB
        more of the zygote's pages in every kernel than setting the state does."""
        key = numpy.frombuffer(MT19937_FIRST_WORD + os.urandom(623 * 4), dtype=numpy.uint32)
        numpy.random.set_state(("MT19937", key, 624, 0, 0.0))

    # numpy's global RandomState was seeded once, here: without a fresh seed in every forked process,
    # each session would draw the same numpy.random numbers as every other (random reseeds the same way).
    os.register_at_fork(after_in_child=reseed_numpy)
    # Once here too: what it runs is then specialised in the zygote, not in every kernel.
    reseed_numpy()

    # What the weather programs (and most cells that fetch anything) import first. Importing them
    # in each session costs ~20 ms (urllib.request pulls in http.client, ssl and email) and
    # dirties pages of its own; imported here, every session shares them.
    import base64  # noqa: F401
    import datetime  # noqa: F401
    import math  # noqa: F401
    import unicodedata  # noqa: F401
    import urllib.error  # noqa: F401
    import urllib.parse  # noqa: F401
    import urllib.request  # noqa: F401



# The weather programs as the host sends them: these files joined by blank lines, then a call
# (src/weather/program.ts). A program that is not here (or changed) is simply compiled per cell.
PROGRAMS = (
    ("tidepool_weather_stats.py", "tidepool_weather.py"),
    ("tidepool_weather_stats.py", "tidepool_weather.py", "tidepool_weather_chart.py"),
)


def precompile_programs():
    import tidepool_kernel

    here = os.path.dirname(os.path.abspath(__file__))
    for files in PROGRAMS:
        try:
            texts = []
            for name in files:
                with open(os.path.join(here, name), encoding="utf-8") as f:
                    texts.append(f.read())
            tidepool_kernel.precompile("\n\n".join(texts))
        except (OSError, SyntaxError) as exc:
            sys.stderr.write(f"[zygote] could not precompile {files[-1]}: {exc}; cells that run it compile it themselves\n")


# Capability numbers the zygote keeps: so a session's setup process can become its uid, and so the
# zygote can still signal (interrupt, end) sessions that no longer run as its own uid.
CAP_KILL, CAP_SETGID, CAP_SETUID = 5, 6, 7
ZYGOTE_CAPABILITIES = (CAP_KILL, CAP_SETGID, CAP_SETUID)
PR_SET_KEEPCAPS, PR_CAPBSET_DROP = 8, 24


def set_capabilities(caps):
    """Sets the permitted and effective sets to `caps` (inheritable empty)."""
    mask = sum(1 << cap for cap in caps)
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    data = (ctypes.c_uint32 * 6)(mask, mask, 0, 0, 0, 0)
    check(libc.syscall(91 if os.uname().machine in ("aarch64", "arm64") else 126, header, data), "capset")


def become(uid):
    """A process forked from the zygote (a session's setup process, file server or restart helper)
    takes its session's host uid and gives up the zygote's last capabilities."""
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    set_capabilities(())
    # A change of uid makes a process undumpable, and its /proc/self files (uid_map among them) root's.
    libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)
    # It also clears the parent-death signal: set again, or a file server would outlive the zygote
    # (serving, as the session's uid, until idle). The zygote may have ended before it was set.
    die_with_parent()
    if zygote_gone():
        raise RuntimeError("the zygote ended")


def drop_root(uid):
    """As root the zygote only had to start: it runs as its pool's first uid, keeping only
    CAP_SETUID, CAP_SETGID and CAP_KILL (in its permitted, effective and bounding sets) so that
    each session's setup process can become that session's own uid (become()) and the zygote can
    signal it. It runs no user code and reads only the server's requests and its own children's
    reports."""
    with open("/proc/sys/kernel/cap_last_cap") as f:
        last = int(f.read())
    for cap in range(last + 1):
        if cap not in ZYGOTE_CAPABILITIES:
            check(libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0), "prctl(CAPBSET_DROP)")
    check(libc.prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0), "prctl(KEEPCAPS)")
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    set_capabilities(ZYGOTE_CAPABILITIES)
    check(libc.prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0), "prctl(KEEPCAPS)")
    # A change of uid makes a process undumpable, which would also make /proc/self/fd (where the pool
    # directory is reached) root's. Sessions run as other uids and may not ptrace, so this exposes nothing.
    libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)


def joins_through_pidfds():
    """Whether setns() takes a pidfd here (Linux 5.8+), as file servers and restarted kernels
    need: asked of the zygote's own pidfd, which an older kernel refuses as EINVAL (not a
    namespace file), where a newer one refuses the zygote, which lacks CAP_SYS_ADMIN, with EPERM."""
    try:
        pidfd = os.pidfd_open(os.getpid())
    except OSError:
        return False
    try:
        return libc.setns(pidfd, CLONE_NEWUTS) == 0 or ctypes.get_errno() != errno.EINVAL
    finally:
        os.close(pidfd)


# The zygote's parent (bubblewrap, or the server), as it was when the zygote started.
PARENT = os.getppid()


def main():
    with open(sys.argv[1]) as f:
        config = json.load(f)
    if config.get("runAs") is not None:
        drop_root(int(config["runAs"]))
    load_node_kernel(config, sys.argv[1])
    # Sessions cannot see this folder (it is hidden from them): whatever they run of ours is loaded now.
    import tidepool_kernel  # noqa: F401
    import tidepool_pool_files  # noqa: F401

    if config.get("namespaces", False):
        # Fail now, not at each session: a kernel never runs without its seccomp filter.
        try:
            import tidepool_confine
        except ImportError as exc:
            sys.stderr.write(f"[zygote] cannot confine sessions: {exc}. Install python3-seccomp (tidepool setup).\n")
            sys.exit(3)
        try:
            tidepool_confine.prepare()
        except (OSError, RuntimeError, ValueError) as exc:
            sys.stderr.write(f"[zygote] cannot generate the sessions' seccomp filter: {exc}. Check python3-seccomp (tidepool doctor).\n")
            sys.exit(3)
    if config.get("preload", True):
        try:
            preload()
        except Exception:  # noqa: BLE001 - sessions still work, just slower to import
            sys.stderr.write(f"[zygote] preload failed:\n{traceback.format_exc()}")
    precompile_programs()
    tidepool_kernel.warm_up()
    gc.collect()
    # Last: whatever runs after this allocates from fresh pools, and so will every session.
    import tidepool_pymalloc

    tidepool_pymalloc.fill_partly_used_pools()
    global IDLE_PROGRAM, LIFELINE_R, LIFELINE_W
    if config.get("namespaces", False) and not joins_through_pidfds():
        sys.stderr.write("[zygote] this Linux kernel cannot enter namespaces through a pidfd (setns with a pidfd "
                         "needs Linux 5.8 or newer): run the pool with --isolation none, or on a newer kernel\n")
        sys.exit(3)
    IDLE_PROGRAM = next((path for path in ("/usr/bin/sleep", "/bin/sleep") if os.access(path, os.X_OK)), None)
    if IDLE_PROGRAM is None:
        sys.stderr.write("[zygote] found no sleep program (coreutils) for the sessions' PID 1\n")
        sys.exit(3)
    LIFELINE_R, LIFELINE_W = os.pipe()
    gc.freeze()
    Zygote(config).run(PARENT)


if __name__ == "__main__":
    main()
