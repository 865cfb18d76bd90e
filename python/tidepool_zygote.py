"""Tidepool's session-pool fork server (zygote).

Why a zygote: importing numpy, pandas and matplotlib costs about a second and ~90 MB per
interpreter. The zygote pays that once, freezes the heap (gc.freeze keeps the collector from
touching, and so copying, the shared pages) and forks a session in a few milliseconds that
shares all of it copy-on-write.

Two processes per session, both children of the zygote once set up:

    zygote ── init (PID 1 of the session's PID namespace: file server, reaps orphans)
                 └── kernel (PID 2; runs tidepool_kernel.serve, and so all user code)

A short-lived setup process enters the namespaces, makes the mounts and forks PID 1, then
exits; the zygote is a child subreaper, so PID 1 becomes its child. PID 1 runs no user code.
It owns the session's /mnt/data (a size-limited tmpfs in the session's mount namespace) and
serves the file API over its own socket, so uploads and downloads work while a long cell runs
and never follow a symlink planted by user code. Only the kernel takes the session's rlimits
and the extra user+mount namespace that locks the mounts. Under isolation "none" there are no
namespaces: the zygote's child plays PID 1's part without being PID 1.

Control channel with the Node host: frames (4-byte big-endian length + UTF-8 JSON) on fd 3
(requests) and fd 4 (events). Every session connects two Unix-socket streams to the host
(`kernel` and `files`), each opened by a hello frame carrying the session's token.
"""

import ctypes
import gc
import json
import os
# Imported here, not in the kernel: an import after the fork dirties ~0.5 MB of shared pages per session.
import resource
import select
import shutil
import signal
import socket
import struct
import sys
import traceback

# The kernel and file server live beside this file (python -I leaves the script's folder off sys.path).
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tidepool_kernel import encode_frame, read_exact, write_all  # noqa: E402

# fds 3/4 normally; 0/1 under runsc, which passes only stdio through (set from the config).
CONTROL_IN, CONTROL_OUT = 3, 4

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

libc = ctypes.CDLL(None, use_errno=True)
# close_other_fds closes descriptors below this (the sandbox's soft limit on open files).
MAX_FD = 1024


def send_frame(fd, message):
    write_all(fd, encode_frame(message))


def read_frame(fd):
    header = read_exact(lambda n: os.read(fd, n), 4)
    if header is None:
        return None
    body = read_exact(lambda n: os.read(fd, n), struct.unpack(">I", header)[0])
    return None if body is None else json.loads(body.decode("utf-8"))


def check(result, what):
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def mount(source, target, fstype, flags=0, data=None):
    check(libc.mount(source.encode() if source else None, target.encode(), fstype.encode() if fstype else None,
                     ctypes.c_ulong(flags), data.encode() if data else None), f"mount {target}")


def unshare(flags):
    check(libc.unshare(flags), "unshare")


def write_id_maps(uid, gid):
    with open("/proc/self/setgroups", "w") as f:
        f.write("deny")
    with open("/proc/self/uid_map", "w") as f:
        f.write(f"0 {uid} 1")
    with open("/proc/self/gid_map", "w") as f:
        f.write(f"0 {gid} 1")


PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36
PR_SET_NO_NEW_PRIVS = 38
MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REC, MS_PRIVATE = 2, 4, 8, 16384, 1 << 18


def die_with_parent():
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


# --- the session: a short-lived setup process, then PID 1 (init + file server) and the kernel --


def leave_zygote():
    """What every process forked from the zygote does first: drop the zygote's signal handling
    and its control channel."""
    signal.set_wakeup_fd(-1)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD):
        signal.signal(sig, signal.SIG_DFL)
    # Off the control channel, but keep the fd numbers taken (they may be 0 and 1).
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, CONTROL_IN)
    os.dup2(devnull, CONTROL_OUT)
    os.close(devnull)


def set_up_session(request, kernel_sock, files_sock, report_fd):
    """The short-lived setup process of a session with namespaces (bwrap, gvisor). Never returns.

    unshare(CLONE_NEWPID) leaves its caller outside the new PID namespace (its next child is the
    namespace's PID 1), so this process enters the namespaces, makes the mounts, forks PID 1,
    writes PID 1's pid (as the zygote sees it) to `report_fd` and exits. PID 1 is then
    reparented to the zygote, a child subreaper, which tracks it as the session's process."""
    try:
        leave_zygote()
        die_with_parent()
        enter_namespaces(request)
        init_pid = os.fork()
        if init_pid == 0:
            os.close(report_fd)
            run_init(request, kernel_sock, files_sock)
        os.write(report_fd, struct.pack(">I", init_pid))
        os._exit(0)
    except BaseException:  # noqa: BLE001 - report why the session could not start
        sys.stderr.write(f"[session {request['id']}] setup failed:\n{traceback.format_exc()}")
        sys.stderr.flush()
        os._exit(71)


def start_plain_session(request, kernel_sock, files_sock):
    """Isolation "none": no namespaces to enter, so the zygote's own child plays PID 1's part."""
    leave_zygote()
    die_with_parent()
    run_init(request, kernel_sock, files_sock)


def enter_namespaces(request):
    """bwrap mode: user, mount, PID, IPC, UTS (and network) namespaces with private tmpfs mounts.
    gvisor mode: PID, IPC, UTS (and network) only; this gVisor's mount namespaces do not
    isolate mounts, so the session's data directory is a plain directory instead."""
    uid, gid = os.getuid(), os.getgid()
    full = request["mountNamespace"]
    flags = CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS
    if full:
        flags |= CLONE_NEWUSER | CLONE_NEWNS
    if not request["egress"]:
        flags |= CLONE_NEWNET
    unshare(flags)
    libc.sethostname(b"session", 7)
    if not full:
        return
    write_id_maps(uid, gid)
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    disk_mb = int(request["diskMb"])
    scratch_mb = max(16, min(disk_mb, 256))
    secure = MS_NOSUID | MS_NODEV
    mount("tmpfs", "/mnt/data", "tmpfs", secure, f"size={disk_mb}m,mode=0755")
    mount("tmpfs", "/tmp", "tmpfs", secure, f"size={scratch_mb}m,mode=1777")
    mount("tmpfs", "/root", "tmpfs", secure, f"size={scratch_mb}m,mode=0700")
    if os.path.isdir("/dev/shm"):
        mount("tmpfs", "/dev/shm", "tmpfs", secure, f"size={scratch_mb}m,mode=1777")
    # Hide the host's socket directory (and the shared font cache) from the session.
    for hidden in request.get("hide", []):
        if os.path.isdir(hidden):
            mount("tmpfs", hidden, "tmpfs", secure | MS_NOEXEC, "size=1m,mode=0755")


def run_init(request, kernel_sock, files_sock):
    """The session's PID 1 (its first process under isolation "none"). Never returns.

    Runs no user code. Forks the kernel, then serves the file API (uploads and downloads work
    while a long cell runs, and never follow a symlink planted by user code), reaps every
    process orphaned into the namespace and exits with the kernel's status, which ends the
    namespace. It keeps no rlimits and stays in the session's unlocked mount namespace.

    Why the kernel is not PID 1 itself: PID 1 ignores signals it has no handler for, even
    SIGKILL sent from inside its namespace (os.kill(os.getpid(), 9) in a cell would do
    nothing), and it has to reap orphans."""
    try:
        import tidepool_pool_files

        data_dir = request["dataDir"]
        remove_at_exit = None
        if request["mountNamespace"]:
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
        kernel_pid = os.fork()
        if kernel_pid == 0:
            files_sock.close()
            run_kernel(request, kernel_sock, data_dir)
        kernel_sock.close()
        close_other_fds({files_sock.fileno()})
        server = tidepool_pool_files.FileServer(files_sock, data_dir)
        supervise(kernel_pid, server, remove_at_exit)
    except BaseException:  # noqa: BLE001 - report why the session could not start
        sys.stderr.write(f"[session {request['id']}] setup failed:\n{traceback.format_exc()}")
        sys.stderr.flush()
        os._exit(71)


def run_kernel(request, kernel_sock, data_dir):
    """Becomes the session's kernel (PID 2 of its PID namespace). Never returns."""
    try:
        libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)
        die_with_parent()
        apply_limits(request)
        if request["mountNamespace"]:
            # One more user+mount namespace: every mount above becomes locked, so user code
            # (root in here) cannot unmount /proc or /mnt/data to peek underneath.
            uid, gid = os.getuid(), os.getgid()
            unshare(CLONE_NEWUSER | CLONE_NEWNS)
            write_id_maps(uid, gid)
        libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
        os.environ.clear()
        os.environ.update(request["env"])
        in_fd = kernel_sock.detach()
        out_fd = os.dup(in_fd)
        close_other_fds({in_fd, out_fd})
        import tidepool_kernel

        tidepool_kernel.serve(in_fd, out_fd, data_dir)
        os._exit(0)
    except BaseException:  # noqa: BLE001
        sys.stderr.write(f"[session {request['id']}] kernel failed:\n{traceback.format_exc()}")
        sys.stderr.flush()
        os._exit(70)


def apply_limits(request):
    def limit(kind, value):
        if value is None:
            return
        _soft, hard = resource.getrlimit(kind)
        value = int(value) if hard == resource.RLIM_INFINITY else min(int(value), hard)
        resource.setrlimit(kind, (value, value))

    limits = request["limits"]
    if limits.get("memoryBytes"):
        # The shared, preloaded interpreter image already occupies address space; the
        # session gets memoryBytes on top of it (documented in the runtime's README section).
        limit(resource.RLIMIT_AS, address_space_bytes() + int(limits["memoryBytes"]))
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


def supervise(kernel_pid, server, remove_at_exit):
    """PID 1's loop: serves files and reaps orphans until the kernel ends, then exits with the
    kernel's status (128 + signal when it was killed). Forwards SIGINT to the kernel; SIGTERM
    kills it.

    Not blocked in wait(): the kernel's exit and orphans are noticed through SIGCHLD on a
    wakeup pipe, between file requests."""

    def forward(signum, _frame):
        try:
            os.kill(kernel_pid, signal.SIGINT if signum == signal.SIGINT else signal.SIGKILL)
        except ProcessLookupError:
            pass

    def reap():
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                os._exit(70)  # the kernel is gone and was never seen to end
            if pid == 0:
                return
            if pid != kernel_pid:
                continue  # an orphan of user code
            if remove_at_exit:
                shutil.rmtree(remove_at_exit, ignore_errors=True)
            os._exit(128 + os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status))

    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    reap()
    while True:
        readable, _, _ = select.select([server.fd, wake_r], [], [])
        if wake_r in readable:
            os.read(wake_r, 4096)
            reap()
        if server.fd in readable and not server.handle_one():
            # The host closed the file channel: the session is over.
            forward(signal.SIGTERM, None)
            while True:
                os.read(wake_r, 4096)  # blocks until the next signal, the kernel's SIGCHLD among them
                reap()


# --- the zygote ---------------------------------------------------------------------------------


class Zygote:
    def __init__(self, config):
        self.config = config
        self.children = {}  # pid of a session's PID 1 (its first process under "none") -> session id
        self.by_id = {}
        self.setups = {}  # read end of a setup process's report pipe -> (session id, setup pid)

    def connect(self, token, role):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(self.config["socketPath"])
        send_frame(sock.fileno(), {"hello": token, "role": role})
        return sock

    def fork(self, request):
        kernel_sock = self.connect(request["token"], "kernel")
        files_sock = self.connect(request["token"], "files")
        if not request["namespaces"]:
            pid = os.fork()
            if pid == 0:
                start_plain_session(request, kernel_sock, files_sock)
            kernel_sock.close()
            files_sock.close()
            self.track(pid, request["id"])
            return
        report_r, report_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(report_r)
            set_up_session(request, kernel_sock, files_sock, report_w)
        os.close(report_w)
        kernel_sock.close()
        files_sock.close()
        # The session's pid arrives on the pipe once its namespaces exist (settle_setup).
        self.setups[report_r] = (request["id"], pid)

    def track(self, pid, session_id):
        self.children[pid] = session_id
        self.by_id[session_id] = pid
        send_frame(CONTROL_OUT, {"event": "forked", "id": session_id, "pid": pid})

    def settle_setup(self, fd):
        session_id, setup_pid = self.setups.pop(fd)
        report = os.read(fd, 4)
        os.close(fd)
        # No pid: the setup failed (its stderr says why) and its own exit status is the session's.
        self.track(struct.unpack(">I", report)[0] if len(report) == 4 else setup_pid, session_id)

    def settle_ready_setups(self):
        if self.setups:
            readable, _, _ = select.select(list(self.setups), [], [], 0)
            for fd in readable:
                self.settle_setup(fd)

    def signal(self, request):
        pid = self.by_id.get(request["id"])
        if pid is None:
            return
        sig = {"INT": signal.SIGINT, "TERM": signal.SIGTERM, "KILL": signal.SIGKILL}[request["signal"]]
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass

    def reap(self):
        """Reaps sessions (reported to the host), finished setup processes and, under "none",
        orphans of user code (both ignored): the zygote is their subreaper."""
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid not in self.children:
                # A setup process wrote its report (or failed) before it ended, and a PID 1 can end
                # only after its setup process did: either one may be a session not yet settled.
                self.settle_ready_setups()
            session_id = self.children.pop(pid, None)
            if session_id is None:
                continue
            self.by_id.pop(session_id, None)
            if os.WIFSIGNALED(status):
                event = {"code": None, "signal": signal.Signals(os.WTERMSIG(status)).name, "initKilled": True}
            else:
                code = os.WEXITSTATUS(status)
                if code > 128:
                    event = {"code": None, "signal": signal.Signals(code - 128).name}
                else:
                    event = {"code": code, "signal": None}
            send_frame(CONTROL_OUT, {"event": "exited", "id": session_id, **event})

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
        op = request.get("op")
        try:
            if op == "fork":
                self.fork(request)
            elif op == "signal":
                self.signal(request)
            elif op == "metadata":
                self.metadata(request)
        except Exception as exc:  # noqa: BLE001 - one bad request must not stop the zygote
            send_frame(CONTROL_OUT, {"event": "error", "id": request.get("id"), "message": f"{type(exc).__name__}: {exc}"})

    def run(self):
        # Each session's PID 1 outlives the setup process that forked it and becomes our child.
        check(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), "prctl(PR_SET_CHILD_SUBREAPER)")
        wake_r, wake_w = os.pipe()
        os.set_blocking(wake_w, False)
        signal.set_wakeup_fd(wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        send_frame(CONTROL_OUT, {"event": "ready", "pid": os.getpid()})
        while True:
            readable, _, _ = select.select([CONTROL_IN, wake_r, *self.setups], [], [])
            for fd in readable:
                if fd in self.setups:
                    self.settle_setup(fd)
            if wake_r in readable:
                os.read(wake_r, 4096)
                self.reap()
            if CONTROL_IN in readable:
                request = read_frame(CONTROL_IN)
                if request is None:
                    # The host went away: end every session with us.
                    self.settle_ready_setups()
                    for pid in [*self.children, *(setup_pid for _, setup_pid in self.setups.values())]:
                        try:
                            os.kill(pid, signal.SIGKILL)
                        except ProcessLookupError:
                            pass
                    return
                self.handle(request)


def preload():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401
    import numpy  # noqa: F401
    import pandas  # noqa: F401

    import tidepool_kernel  # noqa: F401
    import tidepool_pool_files  # noqa: F401


def main():
    global CONTROL_IN, CONTROL_OUT
    config = json.loads(sys.argv[1])
    if config.get("controlOnStdio"):
        CONTROL_IN, CONTROL_OUT = 0, 1
    for directory in config.get("makeDirs", []):
        os.makedirs(directory, exist_ok=True)
    if config.get("preload", True):
        try:
            preload()
        except Exception:  # noqa: BLE001 - sessions still work, just slower to import
            sys.stderr.write(f"[zygote] preload failed:\n{traceback.format_exc()}")
    gc.collect()
    gc.freeze()
    Zygote(config).run()


if __name__ == "__main__":
    main()
