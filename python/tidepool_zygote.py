"""Tidepool's session-pool fork server (zygote).

Why a zygote: importing numpy, pandas and matplotlib costs about a second and ~90 MB per
interpreter. The zygote pays that once, freezes the heap (gc.freeze keeps the collector from
touching, and so copying, the shared pages) and forks a session in a few milliseconds that
shares all of it copy-on-write.

Two processes per session, both children of the zygote once set up:

    zygote ── init (PID 1 of the session's PID namespace: file server, reaps orphans)
                 └── kernel (PID 2; runs tidepool_kernel.serve, and so all user code)

A short-lived setup process enters the namespaces (user, mount, PID, IPC, UTS, network), makes
the mounts and forks PID 1, then exits; the zygote is a child subreaper, so PID 1 becomes its
child. When the server runs as root, the setup process stops right after unsharing and reports
"unshared": the server then maps the session's own host uid into its user namespace, puts it in
its own cgroup and, with egress on, attaches its user-mode network, and only then tells the
zygote to let it go on. PID 1 runs no user code. It owns the session's /mnt/data (a size-limited
tmpfs in the session's mount namespace) and serves the file API over its own socket. Only the
kernel takes the session's rlimits, the extra user+mount namespace that locks the mounts, the
capability drop and the seccomp filter (tidepool_confine). Under isolation "none" there are no
namespaces: the zygote's child plays PID 1's part without being PID 1.

Nothing of the zygote's stays open in a session: its standard streams become /dev/null, the
control channel and the pool directory are closed, and each session reports how its start went
on a pipe of its own (a "report" pipe: b"U" unshared, b"P" + pid started, b"E" + text failed),
which init and the kernel close before any user code runs.

Control channel with the Node host: frames (4-byte big-endian length + UTF-8 JSON) on fd 3
(requests) and fd 4 (events). Every session connects two Unix-socket streams to the host
(`kernel` and `files`), each opened by a hello frame carrying the session's token.
"""

import ctypes
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
import shutil  # noqa: E402
import socket  # noqa: E402
import struct  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
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


def write_file(path, data, flags=os.O_WRONLY):
    """Writes `data` (bytes) to `path` with one write(2). os.open, not open(): Python's text and
    buffered file objects run enough of the io stack to copy pages of the zygote's in each session."""
    fd = os.open(path, flags | os.O_CLOEXEC, 0o644)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def write_id_maps(uid, gid):
    """Maps root of a user namespace this process just created to its own uid outside."""
    write_file("/proc/self/setgroups", b"deny")
    write_file("/proc/self/uid_map", b"0 %d 1" % uid)
    write_file("/proc/self/gid_map", b"0 %d 1" % gid)


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
EXIT_SESSION_PROCESS = 71  # a session's setup process or PID 1
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


# --- the session: a short-lived setup process, then PID 1 (init + file server) and the kernel --


def drop_signal_handling():
    """Drops the signal handling of the zygote or PID 1 this process was forked from: no wakeup
    descriptor, and the default handling of the signals they handle. Through _signal, the C module
    under signal: signal.signal() turns its arguments and its answer into enums, which runs enum's
    Python over the shared heap in every session (the C function takes the same numbers, and its
    own SIG_DFL)."""
    signal.set_wakeup_fd(-1)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD):
        _signal.signal(sig, _signal.SIG_DFL)


def leave_zygote():
    """What every process forked from the zygote does first: drop the zygote's signal handling,
    its control channel, its pool directory and its standard streams (shared with every other
    session otherwise)."""
    drop_signal_handling()
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2, CONTROL_IN, CONTROL_OUT, POOL_DIR_FD):
        os.dup2(devnull, fd)
    os.close(devnull)


def set_up_session(request, kernel_sock, files_sock, control, report_fd, go_fd):
    """The short-lived setup process of a session with namespaces. Never returns.

    unshare(CLONE_NEWPID) leaves its caller outside the new PID namespace (its next child is the
    namespace's PID 1), so this process enters the namespaces, makes the mounts, forks PID 1,
    reports PID 1's pid (as the zygote sees it) and exits. PID 1 is then reparented to the
    zygote, a child subreaper, which tracks it as the session's process."""
    with child_exits(report_fd, f"session {request['id']} setup failed", EXIT_SESSION_PROCESS):
        leave_zygote()
        die_with_parent()
        enter_namespaces(request, report_fd, go_fd)
        init_pid = fork_child(runs_user_code=False)
        if init_pid == 0:
            run_init(request, kernel_sock, files_sock, control, report_fd)
        os.write(report_fd, b"P" + struct.pack(">I", init_pid))


def start_plain_session(request, kernel_sock, files_sock, control, report_fd):
    """Isolation "none": no namespaces to enter, so the zygote's own child plays PID 1's part."""
    with child_exits(None, "", EXIT_SESSION_PROCESS):
        leave_zygote()
        die_with_parent()
        run_init(request, kernel_sock, files_sock, control, report_fd)


def enter_namespaces(request, report_fd, go_fd):
    """User, mount, PID, IPC, UTS and network namespaces with private mounts.

    With a `uid` (server running as root), this process first becomes that host uid — the
    session's own — and creates the user namespace as it, so the namespace and every per-uid
    kernel count (processes, namespaces, inotify, keyrings) belong to the session alone. The
    server then sets up its cgroup and network while this process waits on `go_fd`. Without one,
    the namespace maps root to the zygote's own uid, as any unprivileged process may."""
    if request.get("uid") is not None:
        become(int(request["uid"]))
    uid, gid = os.getuid(), os.getgid()
    # The PID namespace comes last (below): the first child forked after it is that namespace's
    # PID 1, and the nft helper must not be it.
    unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET)
    write_id_maps(uid, gid)
    if request["hostIds"]:
        os.write(report_fd, b"U")
        if os.read(go_fd, 1) != b"G":
            raise RuntimeError("the server did not finish setting up the session")
    os.close(go_fd)
    libc.sethostname(b"session", 7)
    bring_up_loopback()
    if request["egress"]:
        restrict_egress(request["blockedAddresses"], request.get("allowedDestinations", []))
    unshare(CLONE_NEWPID)
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


def run_init(request, kernel_sock, files_sock, control, report_fd):
    """The session's PID 1 (its first process under isolation "none"). Never returns.

    Runs no user code. Forks the kernel, then serves the file API (uploads and downloads work
    while a long cell runs, and never follow a symlink planted by user code) and reaps every
    process orphaned into the namespace. When the kernel ends — killed after ignoring an
    interrupt, out of memory, or by its own code — PID 1 stays, and with it the session's
    namespaces and /mnt/data: it reports the kernel's end to the zygote on `control`, and starts
    a fresh kernel on the socket the zygote sends there when the server asks. It exits when the
    server closes the file channel (or the zygote goes away), which ends the namespace. It keeps
    no rlimits and stays in the session's unlocked mount namespace.

    Why the kernel is not PID 1 itself: PID 1 ignores signals it has no handler for, even
    SIGKILL sent from inside its namespace (os.kill(os.getpid(), 9) in a cell would do
    nothing), and it has to reap orphans."""
    with child_exits(report_fd, f"session {request['id']} init failed", EXIT_SESSION_PROCESS):
        import tidepool_pool_files

        data_dir = request["dataDir"]
        remove_at_exit = None
        if request["namespaces"]:
            # A /proc that shows only this session's processes.
            mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        else:
            # No tmpfs to vanish with the namespace: remove the data directory when the session ends.
            os.makedirs(data_dir, exist_ok=True)
            remove_at_exit = data_dir
        # User code runs as the same uid and sees this process as PID 1. Not dumpable, it cannot
        # ptrace it or open its /proc/1/{mem,fd,root} (that needs a capability in the namespace
        # this process was created in, which user code never has); the kernel undoes it for itself.
        libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
        init = Init(request, files_sock, control, remove_at_exit)
        init.start_kernel(kernel_sock, report_fd)
        close_other_fds({files_sock.fileno(), control.fileno()})
        init.server = tidepool_pool_files.FileServer(files_sock, data_dir)
        init.supervise()


class Init:
    """PID 1's state: the current kernel (if any) and the loop that serves, reaps and restarts."""

    def __init__(self, request, files_sock, control, remove_at_exit):
        self.request = request
        self.files_sock = files_sock
        self.control = control
        self.remove_at_exit = remove_at_exit
        self.kernel_pid = None
        self.server = None

    def start_kernel(self, kernel_sock, report_fd=None):
        pid = fork_child(runs_user_code=True)
        if pid == 0:
            # A restarted kernel is forked from the running loop: leave its signal handling behind.
            drop_signal_handling()
            run_kernel(self.request, kernel_sock, self.request["dataDir"], report_fd)
        kernel_sock.close()
        self.kernel_pid = pid

    def kill_kernel(self):
        if self.kernel_pid is not None:
            try:
                os.kill(self.kernel_pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def end_leftovers(self):
        """Every process of the session but this one, reaped before this returns (for at most the
        kernel's reap deadline), so a kernel started next never sees them, not even as zombies in
        /proc. Only PID 1 may safely do this: under isolation "none" kill(-1) would reach the
        host's processes."""
        if self.request["namespaces"]:
            import tidepool_kernel

            tidepool_kernel.kill_session_processes()

    def reap(self):
        for pid, status in exited_children():
            if pid == self.kernel_pid:
                self.kernel_pid = None
                try:
                    self.control.sendall(b"X" + struct.pack(">i", status))
                except OSError:
                    pass

    def restart(self):
        """The zygote sent a socket for a fresh kernel: end the old one and what it left, start anew."""
        try:
            message, fds, _flags, _addr = socket.recv_fds(self.control, 16, 1)
        except OSError:
            message, fds = b"", []
        if not message:
            self.exit()  # the zygote is gone: so is the session
        if not fds:
            return
        kernel_sock = socket.socket(fileno=fds[0])
        if self.kernel_pid is not None:
            self.kill_kernel()
            os.waitpid(self.kernel_pid, 0)
            self.kernel_pid = None
        self.end_leftovers()
        self.start_kernel(kernel_sock)

    def exit(self):
        self.kill_kernel()
        self.end_leftovers()
        if self.remove_at_exit:
            shutil.rmtree(self.remove_at_exit, ignore_errors=True)
        os._exit(0)

    def supervise(self):
        """Serves files, reaps orphans and restarts kernels until the server closes the file
        channel. Forwards SIGINT to the kernel; SIGTERM ends the kernel only (the server's way to
        end a cell that ignored its interrupt).

        Not blocked in wait(): the kernel's end and orphans are noticed through SIGCHLD on a
        wakeup pipe, between file requests."""

        def forward(signum, _frame):
            if self.kernel_pid is not None:
                try:
                    os.kill(self.kernel_pid, signal.SIGINT if signum == signal.SIGINT else signal.SIGKILL)
                except ProcessLookupError:
                    pass

        wake_r, wake_w = os.pipe()
        os.set_blocking(wake_w, False)
        signal.set_wakeup_fd(wake_w)
        _signal.signal(signal.SIGCHLD, lambda *_: None)
        _signal.signal(signal.SIGINT, forward)
        _signal.signal(signal.SIGTERM, forward)
        self.reap()
        control_fd = self.control.fileno()
        # poll, not select(): the channels were opened by the zygote, whose descriptor numbers pass
        # 1024 when it serves hundreds of sessions.
        waiting = select.poll()
        for fd in (self.server.fd, wake_r, control_fd):
            waiting.register(fd, select.POLLIN)
        while True:
            readable = [fd for fd, _events in waiting.poll()]
            if wake_r in readable:
                os.read(wake_r, 4096)
                self.reap()
            if control_fd in readable:
                self.restart()
            if self.server.fd in readable and not self.server.handle_one():
                # The host closed the file channel: the session is over.
                self.exit()


def run_kernel(request, kernel_sock, data_dir, report_fd):
    """Becomes the session's kernel (PID 2 of its PID namespace). Never returns."""
    with child_exits(report_fd, f"session {request['id']} kernel failed", EXIT_KERNEL):
        libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)
        die_with_parent()
        run_as_batch_work()
        apply_limits(request)
        if request["namespaces"]:
            # One more user+mount namespace: every mount above becomes locked, so user code
            # cannot unmount /proc or /mnt/data to peek underneath.
            uid, gid = os.getuid(), os.getgid()
            unshare(CLONE_NEWUSER | CLONE_NEWNS)
            write_id_maps(uid, gid)
            import tidepool_confine

            tidepool_confine.confine()
        else:
            libc.prctl(38, 1, 0, 0, 0)  # PR_SET_NO_NEW_PRIVS
        adopt_environment(request["env"])
        if NODE_KERNEL:
            exec_node_kernel(kernel_sock.detach(), data_dir, bool(request["namespaces"]), report_fd)
        in_fd = kernel_sock.detach()
        out_fd = os.dup(in_fd)
        # The report pipe goes last: from here on, only user code could write to it.
        close_other_fds({in_fd, out_fd})
        import tidepool_kernel

        # In a session's own PID namespace every other process but PID 1 is the session's: the kernel
        # ends what a cell left running (unless the cell opted out), so it burns no CPU afterwards.
        tidepool_kernel.serve(in_fd, out_fd, data_dir, reap_session_processes=bool(request["namespaces"]))


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


class Starting:
    """A session between fork and its report: the setup process and the pipes it reports on."""

    def __init__(self, session_id, pid, go_fd):
        self.id = session_id
        self.pid = pid
        self.go_fd = go_fd
        self.buffer = b""
        self.started = False


class Zygote:
    def __init__(self, config):
        self.config = config
        # epoll, not select(): with hundreds of sessions the zygote's descriptors pass 1024, where
        # select() fails (and the zygote with it). Report pipes and control lines are registered
        # while they are open.
        self.poller = select.epoll()
        self.children = {}  # pid of a session's PID 1 (its first process under "none") -> session id
        self.by_id = {}
        self.starting = {}  # read end of a report pipe -> Starting
        self.controls = {}  # fd of the zygote's end of a session's control line -> (session id, socket)

    def connect(self, token, role):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(self.config["socketPath"])
        send_frame(sock.fileno(), {"hello": token, "role": role})
        return sock

    def fork(self, request):
        # Sessions inherit it: their kernel then changes nothing, where replacing every variable after
        # the fork copied ~0.35 MB of the zygote's pages per session. Nothing the zygote still runs
        # reads it (its imports are done; nft gets an environment of its own).
        adopt_environment(request["env"])
        kernel_sock = self.connect(request["token"], "kernel")
        files_sock = self.connect(request["token"], "files")
        report_r, report_w = os.pipe()
        go_r, go_w = os.pipe()
        # The zygote's line to the session's PID 1: kernel ends reported up, fresh kernel sockets sent down.
        control_zygote, control_init = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        pid = fork_child(runs_user_code=False)
        if pid == 0:
            with child_exits(report_w, f"session {request['id']} could not start", EXIT_SESSION_PROCESS):
                os.close(report_r)
                os.close(go_w)
                control_zygote.close()
                if request["namespaces"]:
                    set_up_session(request, kernel_sock, files_sock, control_init, report_w, go_r)
                else:
                    start_plain_session(request, kernel_sock, files_sock, control_init, report_w)
        os.close(report_w)
        os.close(go_r)
        control_init.close()
        kernel_sock.close()
        files_sock.close()
        self.controls[control_zygote.fileno()] = (request["id"], control_zygote)
        self.poller.register(control_zygote.fileno(), select.EPOLLIN)
        self.starting[report_r] = Starting(request["id"], pid, go_w)
        self.poller.register(report_r, select.EPOLLIN)
        if not request["namespaces"]:
            self.track(pid, request["id"])
            self.starting[report_r].started = True

    def track(self, pid, session_id):
        self.children[pid] = session_id
        self.by_id[session_id] = pid
        send_frame(CONTROL_OUT, {"event": "forked", "id": session_id, "pid": pid})

    def on_report(self, fd):
        """Reads what a starting session says about itself: b"U" (the server's turn), b"P" + pid
        (its PID 1 runs), b"E" + text (it failed); end of file once it runs user code or died."""
        entry = self.starting[fd]
        try:
            chunk = os.read(fd, 8192)
        except OSError:
            chunk = b""
        if not chunk:
            self.finish_report(fd)
            return
        entry.buffer += chunk
        while entry.buffer:
            kind = entry.buffer[:1]
            if kind == b"U":
                entry.buffer = entry.buffer[1:]
                send_frame(CONTROL_OUT, {"event": "unshared", "id": entry.id, "pid": entry.pid})
            elif kind == b"P":
                if len(entry.buffer) < 5:
                    return
                init_pid = struct.unpack(">I", entry.buffer[1:5])[0]
                entry.buffer = entry.buffer[5:]
                entry.started = True
                self.track(init_pid, entry.id)
            else:  # b"E": the rest is the failure's text, written in one piece
                message = entry.buffer[1:REPORT_LIMIT + 1].decode("utf-8", "replace")
                entry.buffer = b""
                send_frame(CONTROL_OUT, {"event": "failed", "id": entry.id, "message": message})

    def finish_report(self, fd):
        entry = self.starting.pop(fd)
        self.poller.unregister(fd)
        os.close(fd)
        self.close_go(entry)
        if not entry.started:
            # The setup process died before its PID 1 ran: its own exit is the session's.
            entry.started = True
            self.track(entry.pid, entry.id)

    def close_go(self, entry):
        if entry.go_fd is not None:
            os.close(entry.go_fd)
            entry.go_fd = None

    def entry_for(self, session_id):
        return next((entry for entry in self.starting.values() if entry.id == session_id), None)

    def proceed(self, request):
        """The server has mapped the session's uid and set up its cgroup and network."""
        entry = self.entry_for(request["id"])
        if entry is None or entry.go_fd is None:
            raise LookupError(f"no session {request['id']} is waiting to proceed")
        os.write(entry.go_fd, b"G")
        self.close_go(entry)

    def respawn(self, request):
        """Sends a fresh kernel socket (connected with the server's new token) to a session's PID 1."""
        session_id = request["session"]
        control = next((sock for sid, sock in self.controls.values() if sid == session_id), None)
        if control is None:
            raise LookupError(f"no session {session_id} to restart a kernel in")
        kernel_sock = self.connect(request["token"], "kernel")
        try:
            socket.send_fds(control, [b"K"], [kernel_sock.fileno()])
        finally:
            kernel_sock.close()
        send_frame(CONTROL_OUT, {"event": "respawned", "id": request["id"]})

    def on_control(self, fd):
        """PID 1 reports its kernel's end: b"X" + the wait status, 5 bytes a report."""
        session_id, sock = self.controls[fd]
        try:
            data = sock.recv(4096)
        except OSError:
            data = b""
        if not data:
            self.drop_control(fd)
            return
        for at in range(0, len(data) - 4, 5):
            if data[at:at + 1] == b"X":
                status = struct.unpack(">i", data[at + 1:at + 5])[0]
                send_frame(CONTROL_OUT, {"event": "kernelExited", "id": session_id, **describe_status(status)})

    def signal(self, request):
        sig = {"INT": signal.SIGINT, "TERM": signal.SIGTERM, "KILL": signal.SIGKILL}[request["signal"]]
        pid = self.by_id.get(request["id"])
        if pid is None:
            # A session still being set up is ended through its setup process.
            entry = self.entry_for(request["id"])
            if entry is None or sig == signal.SIGINT:
                return
            pid = entry.pid
            self.close_go(entry)
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass

    def reap(self):
        """Reaps sessions (reported to the host), finished setup processes and, under "none",
        orphans of user code (both ignored): the zygote is their subreaper."""
        for pid, status in exited_children():
            if pid not in self.children:
                # A setup process wrote its report (or failed) before it ended, and a PID 1 can end
                # only after its setup process did: either one may be a session not yet settled.
                self.settle_ready_reports()
            session_id = self.children.pop(pid, None)
            if session_id is None:
                continue
            self.by_id.pop(session_id, None)
            for fd, (owner, _sock) in list(self.controls.items()):
                if owner == session_id:
                    self.drop_control(fd)
            send_frame(CONTROL_OUT, {"event": "exited", "id": session_id, **describe_status(status)})

    def drop_control(self, fd):
        _session_id, sock = self.controls.pop(fd)
        self.poller.unregister(fd)
        sock.close()

    def settle_ready_reports(self):
        while self.starting:
            # The poller is level-triggered: what this leaves (control lines, requests) step() still sees.
            readable = [fd for fd, _events in self.poller.poll(0) if fd in self.starting]
            if not readable:
                return
            for fd in readable:
                if fd in self.starting:
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

    def run(self):
        # Each session's PID 1 outlives the setup process that forked it and becomes our child.
        check(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), "prctl(PR_SET_CHILD_SUBREAPER)")
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
        """Waits for and handles what is ready: reports, kernel ends, children that exited, one
        request. False once the host has gone."""
        readable = [fd for fd, _events in self.poller.poll(timeout)]
        for fd in readable:
            if fd in self.starting:
                self.on_report(fd)
            elif fd in self.controls:
                self.on_control(fd)
        if wake_r in readable:
            os.read(wake_r, 4096)
            self.reap()
        if CONTROL_IN in readable:
            request = read_frame(CONTROL_IN)
            if request is None:
                self.end_all()
                return False
            self.handle(request)
        return True

    def end_all(self):
        """The host went away: end every session with us."""
        pids = [*self.children, *(entry.pid for entry in self.starting.values())]
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def describe_status(status):
    """A wait status as the host reads it; any status at all, a session decides how it exits."""
    if os.WIFSIGNALED(status):
        return {"code": None, "signal": signal_name(os.WTERMSIG(status)), "initKilled": True}
    code = os.WEXITSTATUS(status)
    if code > 128:
        # PID 1 exits with 128 + the signal that killed the kernel.
        return {"code": None, "signal": signal_name(code - 128)}
    return {"code": code, "signal": None}


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
    """A setup process takes its session's host uid and gives up the zygote's last capabilities."""
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    set_capabilities(())
    # A change of uid makes a process undumpable, and its /proc/self files (uid_map among them) root's.
    libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)


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
    gc.collect()
    # Last: whatever runs after this allocates from fresh pools, and so will every session.
    import tidepool_pymalloc

    tidepool_pymalloc.fill_partly_used_pools()
    gc.freeze()
    Zygote(config).run()


if __name__ == "__main__":
    main()
