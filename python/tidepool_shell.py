"""Shell executions for Shell session pools, run by the session's kernel (tidepool_kernel.py).

A session's shell state is its working directory and its exported environment, kept here in the
kernel between executions. Each `shellCommand` runs as a fresh `bash -c` started in that
directory with that environment; a script bash sources through BASH_ENV from a pipe
(tidepool_shell_init.bash) writes the final directory and environment to a pipe only this runner reads, so `cd` and
`export` in one execution are seen by the next. Nothing is learnt from stdout, which the command
controls, and no long-lived shell exists whose state a command could corrupt for the next one.
A command that replaces the EXIT trap, or a state answer that is malformed or too large, leaves
the previous state in place (with a note in stderr for the latter).

`execCommandAndArgs` runs an argument vector directly (no shell) in the same directory and
environment, and changes neither.

Each execution runs in its own process group: an interrupt (the host's timeout) kills the whole
group, so the kernel answers at once and the next execution works.
"""

import codecs
import os
import select
import signal
import subprocess
import threading
import time

# Read once at import: the pool's zygote imports the kernel before a session hides the directory
# these files live in. Bash gets the script through a pipe (BASH_ENV=/dev/fd/N), never a path.
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "tidepool_shell_init.bash"), "rb") as _init:
    INIT_SCRIPT = _init.read()
BASH = "/bin/bash"
STATE_FD_ENV = "TIDEPOOL_SHELL_STATE_FD"
INIT_FD_ENV = "TIDEPOOL_SHELL_INIT_FD"
# An environment larger than this is not a shell's: the state answer is ignored.
STATE_LIMIT_BYTES = 1024 * 1024
# Variables bash sets for itself on every start; keeping them would only echo the last run.
TRANSIENT_VARIABLES = frozenset({"_", "SHLVL", "BASH_ENV", STATE_FD_ENV, INIT_FD_ENV, "OLDPWD"})
# Once the command's main process has exited, how long its pipes may stay silent before the
# runner stops reading them (a background process can hold them open for ever).
LINGER_SECONDS = 0.2
POLL_SECONDS = 0.05
EXIT_COMMAND_NOT_FOUND = 127
EXIT_NOT_EXECUTABLE = 126


class ShellState:
    """A session's shell state: the working directory and the environment of the next command."""

    def __init__(self, cwd, env):
        self.cwd = cwd
        self.env = dict(env)
        self.home = cwd

    def start_directory(self, notes):
        if os.path.isdir(self.cwd):
            return self.cwd
        notes.append(f"the working directory {self.cwd} no longer exists; the command ran in {self.home}")
        self.cwd = self.home
        return self.cwd

    def update(self, data, notes):
        """Takes the directory and environment a command ended with, if `data` is a whole, valid answer."""
        if len(data) > STATE_LIMIT_BYTES:
            notes.append(f"the shell's environment is over {STATE_LIMIT_BYTES} bytes, so this command's cd/export changes were not kept")
            return
        if not data.endswith(b"\0\0"):
            return  # the command replaced the EXIT trap, or was killed before it ran
        entries = data[:-2].split(b"\0")
        cwd = os.fsdecode(entries[0])
        env = {}
        for entry in entries[1:]:
            name, sep, value = entry.partition(b"=")
            if not sep or not name:
                return
            env[os.fsdecode(name)] = os.fsdecode(value)
        if not cwd.startswith("/"):
            return
        for name in TRANSIENT_VARIABLES:
            env.pop(name, None)
        env.pop("PWD", None)
        self.cwd = cwd
        self.env = env


class _Capture:
    """One output pipe, kept up to `limit` bytes; the rest is counted and dropped."""

    def __init__(self, fd, limit):
        self.fd = fd
        self.limit = limit
        self.data = bytearray()
        self.dropped = 0

    def add(self, chunk):
        room = self.limit - len(self.data)
        if room > 0:
            self.data += chunk[:room]
        self.dropped += max(0, len(chunk) - max(room, 0))

    def text(self):
        text = codecs.getincrementaldecoder("utf-8")("replace").decode(bytes(self.data), final=self.dropped == 0)
        if self.dropped:
            text += f"\n[output truncated: {self.dropped} more bytes]\n"
        return text


def _feed(fd, data):
    """Writes stdin from a thread, so a command that never reads it cannot stall the runner."""
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
    except OSError:
        pass
    finally:
        try:
            os.close(fd)
        except OSError:
            pass


def _exit_code(returncode):
    # As bash reports it: a process killed by signal N ends with 128 + N.
    return 128 - returncode if returncode < 0 else returncode


def run(state, request, output_limit, notes):
    """Runs one shell execution; returns (exit code, stdout, stderr, interrupted).

    `request` holds "command" (a bash script) or "argv" (a list of strings), and optionally
    "stdin" (text). KeyboardInterrupt (the host's interrupt) kills the command's process group
    and is reported as interrupted=True, never raised."""
    command, argv = request.get("command"), request.get("argv")
    stdin = request.get("stdin")
    cwd = state.start_directory(notes)
    env = dict(state.env)
    env["PWD"] = cwd
    state_read, state_write, init_read = (None, None, None)
    if command is not None:
        state_read, state_write = os.pipe()
        init_read, init_write = os.pipe()
        # The script is far smaller than a pipe's buffer, so this write cannot block.
        os.write(init_write, INIT_SCRIPT)
        os.close(init_write)
        env["BASH_ENV"] = f"/dev/fd/{init_read}"
        env[INIT_FD_ENV] = str(init_read)
        env[STATE_FD_ENV] = str(state_write)
        args = [BASH, "-c", command]
    else:
        args = list(argv)
    out_read, out_write = os.pipe()
    err_read, err_write = os.pipe()
    in_read, in_write = os.pipe() if stdin is not None else (None, None)
    process = None
    interrupted = False
    captures = [_Capture(out_read, output_limit), _Capture(err_read, output_limit)]
    state_capture = _Capture(state_read, STATE_LIMIT_BYTES + 1) if state_read is not None else None
    try:
        try:
            process = subprocess.Popen(
                args, cwd=cwd, env=env, stdin=in_read if in_read is not None else subprocess.DEVNULL,
                stdout=out_write, stderr=err_write, pass_fds=(state_write, init_read) if state_write is not None else (),
                start_new_session=True, close_fds=True,
            )
        except FileNotFoundError:
            return EXIT_COMMAND_NOT_FOUND, "", f"{args[0]}: command not found\n", False
        except PermissionError:
            return EXIT_NOT_EXECUTABLE, "", f"{args[0]}: permission denied\n", False
        except (OSError, ValueError) as exc:
            return EXIT_NOT_EXECUTABLE, "", f"{args[0]}: cannot run: {exc}\n", False
        finally:
            for fd in (out_write, err_write, in_read, state_write, init_read):
                if fd is not None:
                    os.close(fd)
            out_write = err_write = in_read = state_write = init_read = None
        if in_write is not None:
            threading.Thread(target=_feed, args=(in_write, stdin.encode("utf-8", "surrogateescape")), daemon=True).start()
            in_write = None
        readers = captures + ([state_capture] if state_capture else [])
        try:
            _pump(process, readers)
        except KeyboardInterrupt:
            interrupted = True
            _kill_group(process)
            try:
                _pump(process, readers)
            except KeyboardInterrupt:
                pass
        if state_capture is not None and not interrupted:
            state.update(bytes(state_capture.data), notes)
        return _exit_code(process.returncode if process.returncode is not None else -signal.SIGKILL), captures[0].text(), captures[1].text(), interrupted
    finally:
        if process is not None and process.returncode is None:
            _kill_group(process)
        for fd in (out_read, err_read, state_read, out_write, err_write, in_read, in_write, state_write, init_read):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass


def _pump(process, readers):
    """Reads every pipe until each is closed, or until the main process has exited and the pipes
    stayed silent for LINGER_SECONDS (a background process may keep them open)."""
    open_fds = {reader.fd: reader for reader in readers}
    quiet_since = None
    while open_fds:
        readable, _, _ = select.select(list(open_fds), [], [], POLL_SECONDS)
        for fd in readable:
            chunk = os.read(fd, 65536)
            if chunk:
                open_fds[fd].add(chunk)
            else:
                del open_fds[fd]
        if process.poll() is None:
            continue
        if readable:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= LINGER_SECONDS:
            break
    process.wait()


def _kill_group(process):
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except OSError:
        pass
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass
