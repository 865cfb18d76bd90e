"""Tidepool's Python kernel: one long-lived interpreter that runs notebook-style cells.

It speaks a small framed protocol on two file descriptors (requests in, responses out):
every frame is a 4-byte big-endian length followed by that many bytes of UTF-8 JSON.

Request:  {"op": "execute", "id": 1, "code": "...", "outputLimit": 1048576, "responseLimit": 22020096}
          {"op": "ping", "id": 2}
          {"op": "shell", "id": 3, "command": "cd /tmp" | null, "argv": ["ls", "-l"] | null,
           "stdin": "..." | null, "outputLimit": 1048576, "responseLimit": 22020096}
Response: {"id": 1, "status": "success" | "failure", "stdout": "...", "stderr": "...",
           "hasResult": bool, "result": <json>, "repr": str | null, "images": [...],
           "error": {"type", "message", "traceback"} | null, "durationMs": float}
          (shell) {"id": 3, "exitCode": int, "stdout": "...", "stderr": "...",
           "error": {"type": "KeyboardInterrupt", ...} | null, "durationMs": float}

The shell op (Shell session pools) runs a bash command or an argument vector in the session's
shell state (working directory and environment, kept across calls); see tidepool_shell.py.

Every part of a response is capped, so a cell that returns a 150 MB string costs the host a
megabyte, not 150 (the host ends a kernel whose frame exceeds what it accepts):
- stdout and stderr: `outputLimit` bytes each (per request; the rest is dropped with a note);
- the result, its repr, an error's message and its traceback: `result_limit_bytes` each
  (1 MiB by default; `--result-limit-bytes N` on the command line, or serve()'s argument), cut
  with a note that tells how large the whole was and to write it to /mnt/data and download it;
- images: `image_limit_bytes` (4 MiB of base64) each and `cell_image_limit_bytes` (8 MiB) per
  cell; an image over either is left out, with a note in stderr;
- the whole response: `responseLimit` bytes (per request; the host's frame cap). An answer
  still over it loses its images, then has every text cut to a share of it.

Processes left behind: when serve() is told the kernel runs inside a session's own PID
namespace (reap_session_processes=True; the pool's zygote does so, never the Local backend
or isolation "none", where the other processes belong to the host), every process of the
namespace except its PID 1 and the kernel is killed after each cell, so nothing a cell started
keeps burning CPU. A cell that wants a background process to outlive it (a server, a worker)
sets the environment variable TIDEPOOL_KEEP_PROCESSES=1, e.g.
    os.environ["TIDEPOOL_KEEP_PROCESSES"] = "1"
and deletes it (or sets "0") to go back to the default.

Why file descriptors 1 and 2 are pipes read by a thread: output written below Python
(os.system, C extensions, child processes) must be captured too, and in order with print().
Why a marker token ends each cell's capture: it is the only way to know that everything a
cell wrote has been drained from the pipe before the response is sent.

The same file runs as a plain subprocess (the Local sandbox) and inside the session pool's
isolation, where a zygote imports it once and calls serve() in each forked session.
"""

import _signal
import _thread
import ast
import base64
import builtins
import codecs
import io
import json
import linecache
import os
import pprint
import secrets
import select
import signal
import sys
import threading
import time
import traceback
import types

# The kernel runs with `python -I`, which leaves its own directory off sys.path; the framing module
# beside it is imported from there, and the path is put back so user code sees the usual sys.path.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
try:
    from tidepool_framing import encode_body, encode_frame, frame_body, read_message, write_all
    import tidepool_shell
finally:
    del sys.path[0]

DEFAULT_OUTPUT_LIMIT = 1024 * 1024
DEFAULT_RESULT_LIMIT = 1024 * 1024
DEFAULT_IMAGE_LIMIT = 4 * 1024 * 1024
DEFAULT_CELL_IMAGE_LIMIT = 8 * 1024 * 1024
# The host's frame cap for the default caps (src/kernel/protocol.ts, maxResponseBytes), used
# when a request does not name one; a response is never fitted into less than the floor.
RESPONSE_OVERHEAD = 1024 * 1024
MIN_RESPONSE_LIMIT = 64 * 1024
KEEP_PROCESSES_ENV = "TIDEPOOL_KEEP_PROCESSES"
PRETTY_PRINT_MAX_ITEMS = 10_000
# Notes the kernel adds to a cell's stderr (an image left out, ...), at most.
MAX_NOTES = 10
# Killing a session's leftover processes: passes until none is left, and how long at most.
REAP_DEADLINE_SECONDS = 2.0
MAX_SAFE_INTEGER = 2**53 - 1
DATA_DIR_ENV = "TIDEPOOL_DATA_DIR"
MOUNT_POINT = "/mnt/data"


class _Stream:
    """One of fds 1/2, turned into a pipe whose bytes go into the current cell's buffer."""

    def __init__(self, target_fd):
        read_fd, write_fd = os.pipe()
        os.dup2(write_fd, target_fd)
        # A private copy of the write end: markers still arrive if user code closes fd 1/2.
        self.marker_fd = write_fd
        self.read_fd = read_fd
        self.buffer = bytearray()
        self.dropped = 0
        self.limit = DEFAULT_OUTPUT_LIMIT
        self.pending = b""
        self.markers_seen = 0

    def append(self, data):
        room = self.limit - len(self.buffer)
        if room >= len(data):
            self.buffer += data
        else:
            if room > 0:
                self.buffer += data[:room]
            self.dropped += len(data) - max(room, 0)

    def take_text(self):
        data, dropped = bytes(self.buffer), self.dropped
        self.buffer.clear()
        self.dropped = 0
        # Drop a multi-byte character cut in half by the limit instead of emitting garbage. Whole
        # output (the usual case) decodes as the incremental decoder would, without making one.
        if not dropped:
            return data.decode("utf-8", "replace")
        text = codecs.getincrementaldecoder("utf-8")("replace").decode(data, final=False)
        return text + f"\n[output truncated: {dropped} more bytes]\n"


class OutputCapture:
    """Owns fds 1 and 2. One thread drains both pipes, so a cell costs one wake-up, not two."""

    def __init__(self, token):
        self.token = token
        self.streams = (_Stream(1), _Stream(2))
        self.markers_sent = 0
        # True from the moment the drain thread may hold bytes it has read but not yet stored.
        self.draining = False
        self.cond = threading.Condition()
        # A bare thread, not a threading.Thread: starting one of those runs enough of threading's
        # Python (an Event, a Condition, its registries) to copy ~0.3 MB of the zygote's pages in
        # every pooled session. The drain loop needs none of it, and like a daemon thread it does
        # not hold the process open.
        _thread.start_new_thread(self._drain, ())

    def _drain(self):
        by_fd = {stream.read_fd: stream for stream in self.streams}
        while by_fd:
            try:
                readable, _, _ = select.select(list(by_fd), [], [])
            except (OSError, ValueError):
                return
            self.draining = True
            for fd in readable:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    chunk = b""
                if not chunk:
                    del by_fd[fd]
                    continue
                self._consume(by_fd[fd], chunk)
            self.draining = False

    def _consume(self, stream, chunk):
        keep = len(self.token) - 1
        data = stream.pending + chunk
        with self.cond:
            seen = False
            while True:
                index = data.find(self.token)
                if index < 0:
                    break
                stream.append(data[:index])
                data = data[index + len(self.token):]
                stream.markers_seen += 1
                seen = True
            # Hold back a tail that could be the start of a marker split across reads.
            if len(data) > keep:
                stream.append(data[:-keep])
                data = data[-keep:]
            stream.pending = data
            if seen:
                self.cond.notify_all()

    def _drained(self):
        """True when nothing written so far is still on its way: both pipes are empty, the drain
        thread holds nothing it has read, and no tail is held back. Most cells print nothing,
        and this spares them the marker round trip through the drain thread. The order of the
        checks matters: the thread sets `draining` before it reads a pipe and clears it only
        once what it read is stored, so an empty pipe followed by `draining` False means stored."""
        try:
            readable, _, _ = select.select([stream.read_fd for stream in self.streams], [], [], 0)
        except (OSError, ValueError):  # user code closed a pipe: let the marker path time out
            return False
        return not readable and not self.draining and not any(stream.pending for stream in self.streams)

    def begin(self, limit):
        with self.cond:
            for stream in self.streams:
                stream.buffer.clear()
                stream.dropped = 0
                stream.limit = limit

    def collect(self):
        """Waits until everything written before now has been read; returns (stdout, stderr)."""
        if self._drained():
            with self.cond:
                return tuple(stream.take_text() for stream in self.streams)
        self.markers_sent += 1
        target = self.markers_sent
        for stream in self.streams:
            try:
                os.write(stream.marker_fd, self.token)
            except OSError:
                pass
        with self.cond:
            self.cond.wait_for(lambda: all(stream.markers_seen >= target for stream in self.streams), timeout=5)
            return tuple(stream.take_text() for stream in self.streams)


class Limits:
    """What one response may hold (see the module docstring)."""

    def __init__(self, result_bytes=DEFAULT_RESULT_LIMIT, image_bytes=DEFAULT_IMAGE_LIMIT, cell_image_bytes=DEFAULT_CELL_IMAGE_LIMIT):
        for name, value in (("result_limit_bytes", result_bytes), ("image_limit_bytes", image_bytes), ("cell_image_limit_bytes", cell_image_bytes)):
            if not isinstance(value, int) or value < 1024:
                raise ValueError(f"{name} must be an integer of at least 1024, got {value!r}")
        self.result_bytes = result_bytes
        self.image_bytes = image_bytes
        self.cell_image_bytes = cell_image_bytes

    def response_bytes(self, output_limit):
        """The host's frame cap for these caps (src/kernel/protocol.ts, maxResponseBytes)."""
        return 4 * output_limit + 4 * self.result_bytes + self.cell_image_bytes + self.image_bytes + RESPONSE_OVERHEAD


class Kernel:
    def __init__(self, in_fd, out_fd, data_dir, limits=None, reap_session_processes=False):
        # The original stderr, kept for the kernel's own fatal errors once fd 2 is captured.
        self.diagnostics_fd = os.dup(2)
        self.in_file = os.fdopen(in_fd, "rb", buffering=0)
        self.out_fd = out_fd
        self.data_dir = data_dir
        self.limits = limits or Limits()
        self.reap = reap_session_processes
        self.in_cell = False
        self.cell_count = 0
        self.shell_state = tidepool_shell.ShellState(os.getcwd(), os.environ)
        # User code gets a fresh __main__ module, so pickling and `if __name__ == "__main__"` behave.
        main_module = types.ModuleType("__main__")
        main_module.__dict__.update({"__builtins__": builtins, "display": self.display})
        sys.modules["__main__"] = main_module
        self.namespace = main_module.__dict__
        self.displayed = []
        # Figures display() already showed this cell: not shown again when the cell ends.
        self.displayed_figures = []
        self.image_bytes = 0
        self.notes = []
        token = ("\x00tidepool-" + secrets.token_hex(16) + "\x00").encode()
        self.capture = OutputCapture(token)
        self.stdout = io.TextIOWrapper(open(1, "wb", closefd=False), encoding="utf-8", errors="backslashreplace", line_buffering=True)
        self.stderr = io.TextIOWrapper(open(2, "wb", closefd=False), encoding="utf-8", errors="backslashreplace", line_buffering=True)
        sys.stdin = open(os.devnull, "r")
        # _signal, the C module under signal: signal.signal() would run enum's Python (see the zygote).
        _signal.signal(signal.SIGINT, self._on_interrupt)

    def _on_interrupt(self, _signum, _frame):
        # Only a running cell is interrupted; a signal racing with the end of a cell is ignored.
        if self.in_cell:
            raise KeyboardInterrupt

    # --- protocol -------------------------------------------------------------------------

    def read_request(self):
        return read_message(self.in_file.read)

    def send(self, message):
        write_all(self.out_fd, encode_frame(message))

    def serve(self):
        while True:
            try:
                request = self.read_request()
            except KeyboardInterrupt:
                continue
            if request is None:
                return
            op = request.get("op")
            if op == "execute":
                output_limit = int(request.get("outputLimit") or DEFAULT_OUTPUT_LIMIT)
                response_limit = int(request.get("responseLimit") or self.limits.response_bytes(output_limit))
                response = self.execute(str(request.get("code", "")), output_limit)
                response["id"] = request.get("id")
                write_all(self.out_fd, frame_body(fit_response(response, max(response_limit, MIN_RESPONSE_LIMIT))))
                continue
            if op == "shell":
                output_limit = int(request.get("outputLimit") or DEFAULT_OUTPUT_LIMIT)
                response_limit = int(request.get("responseLimit") or self.limits.response_bytes(output_limit))
                response = self.shell(request, output_limit)
                response["id"] = request.get("id")
                write_all(self.out_fd, fit_shell_response(response, max(response_limit, MIN_RESPONSE_LIMIT)))
                continue
            if op == "ping":
                response = {"pong": True, "pid": os.getpid()}
            else:
                response = {"status": "failure", "error": {"type": "ProtocolError", "message": f"unknown op {op!r}", "traceback": ""}}
            response["id"] = request.get("id")
            self.send(response)

    # --- execution ------------------------------------------------------------------------

    def execute(self, code, output_limit):
        self.cell_count += 1
        filename = f"<cell-{self.cell_count}>"
        self.displayed = []
        self.displayed_figures = []
        self.image_bytes = 0
        self.notes = []
        self.capture.begin(output_limit)
        sys.stdout, sys.stderr = self.stdout, self.stderr
        started = time.perf_counter()
        value, has_value, error = None, False, None
        self.in_cell = True
        try:
            value, has_value = self._run(code, filename)
        except BaseException as exc:  # noqa: BLE001 - user code may raise anything, even SystemExit
            error = self._describe(exc)
        finally:
            self.in_cell = False
        try:
            images = self.displayed + self._collect_figures(value if has_value else None)
        except BaseException as exc:  # noqa: BLE001
            images = self.displayed
            error = error or self._describe(exc)
        self.displayed_figures = []
        fields = None
        if error is None:
            try:
                fields = self._result_fields(value, has_value, images)
            except BaseException as exc:  # noqa: BLE001 - a __repr__ is user code too
                error = self._describe(exc)
        value = None  # the cell's value may be huge; hold it no longer than needed
        for stream in (self.stdout, self.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        if self.reap and os.environ.get(KEEP_PROCESSES_ENV, "").strip().lower() not in ("1", "true", "yes"):
            self._reap_session_processes()
        duration_ms = (time.perf_counter() - started) * 1000
        stdout, stderr = self.capture.collect()
        if self.notes:
            notes = self.notes[:MAX_NOTES] + ([f"{len(self.notes) - MAX_NOTES} more like these"] if len(self.notes) > MAX_NOTES else [])
            stderr += "".join(f"[tidepool] {note}\n" for note in notes)
        response = {
            "status": "failure" if error else "success",
            "stdout": stdout,
            "stderr": stderr,
            "hasResult": False,
            "result": None,
            "repr": None,
            "images": images,
            "error": error,
            "durationMs": round(duration_ms, 3),
        }
        if fields is not None:
            response.update(fields)
        return response

    def shell(self, request, output_limit):
        """Runs a shell command or argument vector (tidepool_shell.run) and answers with its exit code."""
        command, argv, stdin = request.get("command"), request.get("argv"), request.get("stdin")
        valid = (isinstance(command, str) and argv is None) or (
            command is None and isinstance(argv, list) and argv and all(isinstance(arg, str) for arg in argv))
        if not valid or not (stdin is None or isinstance(stdin, str)):
            message = "a shell request needs a string command or a non-empty list of string argv, and stdin as a string"
            return {"exitCode": 2, "stdout": "", "stderr": "", "durationMs": 0,
                    "error": {"type": "ProtocolError", "message": message, "traceback": ""}}
        started = time.perf_counter()
        notes = []
        self.in_cell = True
        try:
            exit_code, stdout, stderr, interrupted = tidepool_shell.run(self.shell_state, request, output_limit, notes)
        except KeyboardInterrupt:
            exit_code, stdout, stderr, interrupted = 130, "", "", True
        finally:
            self.in_cell = False
        keep = self.shell_state.env.get(KEEP_PROCESSES_ENV, "").strip().lower() in ("1", "true", "yes")
        if self.reap and not keep and not kill_session_processes():
            notes.append(f"processes started by this command could not all be ended within {REAP_DEADLINE_SECONDS:g} s")
        stderr += "".join(f"[tidepool] {note}\n" for note in notes[:MAX_NOTES])
        error = {"type": "KeyboardInterrupt", "message": "execution interrupted", "traceback": ""} if interrupted else None
        return {"exitCode": exit_code, "stdout": stdout, "stderr": stderr, "error": error,
                "durationMs": round((time.perf_counter() - started) * 1000, 3)}

    def _reap_session_processes(self):
        if not kill_session_processes():
            self.notes.append(
                f"processes started by this cell could not all be ended within {REAP_DEADLINE_SECONDS:g} s; "
                "they are ended after the next cell"
            )

    def _run(self, code, filename):
        linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
        flags = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
        known = precompiled_prefix(code, filename)
        if known is not None:
            prefix, prefix_code, tree = known
            self._eval(with_filename(prefix_code, filename))
            # Line numbers (tracebacks, linecache) count from the start of the whole cell.
            ast.increment_lineno(tree, prefix.count("\n"))
        else:
            tree = compile(code, filename, "exec", ast.PyCF_ONLY_AST | flags)
        last = None
        if tree.body and isinstance(tree.body[-1], ast.Expr):
            last = tree.body.pop().value
        self._eval(compile(tree, filename, "exec", flags))
        if last is None:
            return None, False
        value = self._eval(compile(ast.Expression(last), filename, "eval", flags))
        # A call made for its side effect (print(...)) shows nothing, as in a notebook;
        # a name or literal that is None (`a = None; a`) is still a None result.
        if value is None and isinstance(last, (ast.Call, ast.Await)):
            return None, False
        return value, True

    def _eval(self, code_object):
        result = eval(code_object, self.namespace)  # noqa: S307 - running user code is the point
        if code_object.co_flags & 0x80 and isinstance(result, types.CoroutineType):  # CO_COROUTINE
            import asyncio

            result = asyncio.run(result)
        return result

    def _describe(self, exc):
        if isinstance(exc, KeyboardInterrupt):
            return {"type": "KeyboardInterrupt", "message": "execution interrupted", "traceback": ""}
        try:
            message = str(exc)
        except BaseException:  # noqa: BLE001 - a __str__ is user code too
            message = f"<{type(exc).__name__} whose str() failed>"
        hint = self._data_dir_hint(exc)
        if hint:
            message += hint
        frames = traceback.TracebackException.from_exception(exc)
        # Hide the kernel's own frames: the user only needs their cell's.
        frames.stack = traceback.StackSummary.from_list([f for f in frames.stack if f.filename != __file__])
        text = "".join(frames.format())
        if hint:
            text += hint.strip() + "\n"
        return {"type": type(exc).__name__, "message": self._cut(message, "error message"), "traceback": self._cut(text, "traceback")}

    def _data_dir_hint(self, exc):
        filename = getattr(exc, "filename", None)
        if self.data_dir == MOUNT_POINT or not isinstance(filename, str) or not filename.startswith(MOUNT_POINT):
            return ""
        return f" (in this sandbox /mnt/data is {self.data_dir}, also in the {DATA_DIR_ENV} environment variable; use relative paths)"

    # --- results --------------------------------------------------------------------------

    def display(self, *objects):
        """Shows images inline (figures, objects with _repr_png_); prints anything else."""
        for obj in objects:
            image = self._as_image(obj)
            if image:
                self._keep_image(image, self.displayed)
                if _is_figure(obj):
                    self.displayed_figures.append(obj)
            else:
                print(self._repr(obj))

    def _as_image(self, obj):
        png = getattr(obj, "_repr_png_", None)
        if callable(png):
            data = png()
            if isinstance(data, bytes):
                return {"type": "image", "format": "png", "base64_data": base64.b64encode(data).decode("ascii")}
        savefig = getattr(obj, "savefig", None)
        if callable(savefig) and type(obj).__module__.startswith("matplotlib"):
            buffer = io.BytesIO()
            savefig(buffer, format="png", bbox_inches="tight")
            return {"type": "image", "format": "png", "base64_data": base64.b64encode(buffer.getvalue()).decode("ascii")}
        return None

    def _keep_image(self, image, images):
        """Adds `image` to `images` unless it is over the per-image cap or the cell's budget."""
        size = len(image["base64_data"])
        limits = self.limits
        if size > limits.image_bytes:
            why = f"is {size} bytes of base64, over the {limits.image_bytes} byte limit per image"
        elif self.image_bytes + size > limits.cell_image_bytes:
            why = f"({size} bytes of base64) would take this cell's images over their {limits.cell_image_bytes} byte limit"
        else:
            self.image_bytes += size
            images.append(image)
            return
        self.notes.append(
            f"an image was left out: it {why}. Save it to a file instead, e.g. "
            f"fig.savefig('{MOUNT_POINT}/plot.png'), and download the file."
        )

    def _collect_figures(self, value=None):
        """Every figure the cell leaves open in pyplot, in figure-number order, then closes them all;
        then `value` (the last expression) when it is a figure pyplot did not hold (made without
        pyplot, or closed already), as a notebook shows it. A figure display() already showed in
        this cell is not shown again."""
        shown = list(self.displayed_figures)
        images = []
        # Only look if the cell used pyplot: importing matplotlib here would cost ~0.5 s.
        pyplot = sys.modules.get("matplotlib.pyplot")
        numbers = pyplot.get_fignums() if pyplot is not None else []
        # With no figure open there is nothing to close: most cells skip pyplot.close() altogether.
        if numbers:
            try:
                for number in numbers:
                    figure = pyplot.figure(number)
                    if any(figure is seen for seen in shown):
                        continue
                    shown.append(figure)
                    self._render_figure(figure, f"figure {number}", images)
            finally:
                pyplot.close("all")
        if _is_figure(value) and not any(value is seen for seen in shown):
            self._render_figure(value, "the figure the cell ended with", images)
        return images

    def _render_figure(self, figure, what, images):
        if self.image_bytes >= self.limits.cell_image_bytes:
            self.notes.append(f"{what} was not rendered: this cell's images reached their {self.limits.cell_image_bytes} byte limit")
            return
        image = self._as_image(figure)
        if image:
            self._keep_image(image, images)

    @staticmethod
    def _repr(value):
        # pprint is pure Python, seconds for a million items; past a few thousand the plain repr
        # is as readable and is cut at the result limit anyway.
        if isinstance(value, (list, tuple, dict, set, frozenset)) and len(value) <= PRETTY_PRINT_MAX_ITEMS:
            return pprint.pformat(value, width=79, sort_dicts=False)
        return repr(value)

    def _cut(self, text, what, whole_chars=None):
        """`text` within the result limit; when cut (or when it shows only the start of a larger
        whole of `whole_chars` characters), followed by a note on how to get all of it."""
        limit = self.limits.result_bytes
        shown, cut = cut_text(text, limit)
        if not cut and whole_chars is None:
            return text
        total = len(text) if whole_chars is None else whole_chars
        return shown + (
            f"\n[tidepool: {what} truncated to its first {limit} bytes; the whole is {total} characters. "
            f"To get all of it, write it to a file in {MOUNT_POINT} (e.g. open('{MOUNT_POINT}/result.txt', 'w').write(str(value))) "
            "and download that file.]"
        )

    def _result_fields(self, value, has_value, images):
        if not has_value or value is None or _is_plot_artist(value):
            if images:
                return {"hasResult": True, "result": images[-1], "repr": None}
            return {"hasResult": has_value, "result": None, "repr": "None" if has_value and value is None else None}
        if isinstance(value, str):
            # Never repr (or copy) all of a huge string: only what can be shown.
            limit = self.limits.result_bytes
            whole = len(value) if len(value) > limit else None
            return {"hasResult": True, "result": self._cut(value, "result"), "repr": self._cut(repr(value[:limit]), "repr", whole)}
        text = self._repr(value)
        result = _json_native(value, text)
        if isinstance(result, str):
            text = self._cut(text, "repr")
            result = text
        return {"hasResult": True, "result": result, "repr": text}


def cut_text(text, limit):
    """(text cut to at most `limit` bytes of UTF-8, whether it was cut). Copies at most `limit`
    characters, whatever the length of `text`."""
    if len(text) * 4 <= limit:
        return text, False
    data = text[:limit + 1].encode("utf-8", "surrogatepass")
    if len(data) <= limit:  # then the slice was all of `text`
        return text, False
    # A character cut in half (or a lone surrogate) is dropped rather than shown as garbage.
    return data[:limit].decode("utf-8", "ignore"), True


def fit_response(response, limit):
    """The encoded response, at most `limit` bytes. The caps above keep ordinary answers well
    inside it; only text that JSON escaping inflates (control characters become six bytes each)
    can go over. Then the images go, then every text is cut to an equal share."""
    body = encode_body(response)
    if len(body) <= limit:
        return body
    notes = ""
    if response["images"] or isinstance(response["result"], dict):
        notes = f"[tidepool] {len(response['images'])} image(s) were left out: the response was over its {limit} byte limit.\n"
        response["images"] = []
        if isinstance(response["result"], dict):
            response["result"] = None
        body = encode_body({**response, "stderr": response["stderr"] + notes})
        if len(body) <= limit:
            return body
    # Six texts at most, each escaped to at most six bytes per byte, plus room for the rest.
    share = max(256, (limit - 16 * 1024) // 36)
    note = f"\n[tidepool: cut to fit the response's {limit} byte limit]\n"

    def cut(text):
        if text is None:
            return None
        shown, was_cut = cut_text(text, share)
        return shown + note if was_cut else text

    for field in ("stdout", "stderr", "repr") + (("result",) if isinstance(response["result"], str) else ()):
        response[field] = cut(response[field])
    response["stderr"] += notes
    if response["error"]:
        response["error"] = {**response["error"], "message": cut(response["error"]["message"]), "traceback": cut(response["error"]["traceback"])}
    body = encode_body(response)
    if len(body) <= limit:
        return body
    return encode_body({
        "id": response["id"], "status": "failure", "stdout": "", "stderr": "", "hasResult": False, "result": None, "repr": None,
        "images": [], "durationMs": response["durationMs"],
        "error": {"type": "ResponseTooLarge", "message": f"The cell's response did not fit in {limit} bytes; write large output to a file in {MOUNT_POINT} instead.", "traceback": ""},
    })


def fit_shell_response(response, limit):
    """The encoded shell response, at most `limit` bytes: only escape-heavy output can pass it,
    and then both streams are cut to an equal share."""
    body = encode_body(response)
    if len(body) <= limit:
        return frame_body(body)
    share = max(256, (limit - 16 * 1024) // 12)
    note = f"\n[tidepool: cut to fit the response's {limit} byte limit]\n"
    for field in ("stdout", "stderr"):
        shown, was_cut = cut_text(response[field], share)
        response[field] = shown + note if was_cut else shown
    return frame_body(encode_body(response))


# --- sources compiled ahead of time ---------------------------------------------------------
# Programs the host sends as the start of a cell, again and again (the weather programs: ~500
# lines, ~12 ms to compile). The pool's zygote compiles them once before it forks, so every
# session shares the code objects and a cell that starts with one runs it without compiling.
_PRECOMPILED = []


def precompile(source):
    """Registers `source` (a whole module's text) as a known cell prefix."""
    code = compile(source, "<precompiled>", "exec", ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    _PRECOMPILED.append((source, code))
    _PRECOMPILED.sort(key=lambda entry: len(entry[0]), reverse=True)


def precompiled_prefix(code, filename):
    """(prefix, its code object, the rest of the cell parsed) for the longest registered source
    the cell starts with, when running it ahead of the rest means the same as compiling the cell
    whole: the rest parses on its own, holds at least one statement, begins on a new line at
    column 0 (so it cannot continue a statement or an indented block of the prefix) and has no
    __future__ import (legal alone, not after the prefix). Otherwise None."""
    for source, compiled in _PRECOMPILED:
        if not code.startswith(source):
            continue
        rest = code[len(source):]
        first = rest.lstrip("\n")
        if not rest.startswith("\n") or not first or first[0] in " \t\\#" or "__future__" in rest:
            return None
        try:
            tree = compile(rest, filename, "exec", ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        except SyntaxError:
            return None
        return (source, compiled, tree) if tree.body else None
    return None


def with_filename(code, filename):
    """`code` and every code object nested in it, renamed to the cell's file name (tracebacks)."""
    consts = tuple(with_filename(const, filename) if isinstance(const, types.CodeType) else const for const in code.co_consts)
    return code.replace(co_filename=filename, co_consts=consts)


def kill_session_processes():
    """Kills every process of the caller's PID namespace except PID 1 and the caller (the kernel,
    after a cell); True once none is left. Only for a process
    in a session's own PID namespace: kill(-1) reaches
    every process the caller may signal in its namespace (and those below it), which outside
    a session would be the host's.

    One kill(-1, SIGKILL) already stops a fork loop (a process with SIGKILL pending cannot
    fork), but a pass repeats until kill(-1, 0) finds nobody, for processes that were mid-fork.
    Killed children of the kernel are reaped here; orphans are reaped as PID 1's children (it
    ignores SIGCHLD), and a zombie still counts, so the loop waits for that too, up to a deadline."""
    deadline = time.monotonic() + REAP_DEADLINE_SECONDS
    delay = 0.0005
    while True:
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            return True
        except OSError:  # nobody it may signal is left
            return True
        while True:
            try:
                pid, _status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
        if time.monotonic() > deadline:
            return False
        time.sleep(delay)
        delay = min(delay * 2, 0.02)


def _is_figure(value):
    """A matplotlib Figure (pyplot's or not): anything from matplotlib that can save itself."""
    return value is not None and type(value).__module__.startswith("matplotlib") and callable(getattr(value, "savefig", None))


def _is_plot_artist(value):
    items = value if isinstance(value, (list, tuple)) and value else [value]
    return all(type(item).__module__.startswith("matplotlib") for item in items)


def _json_native(value, text):
    """Plain scalars travel typed; everything else as its repr text, as a notebook shows it."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if abs(value) <= MAX_SAFE_INTEGER else text
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else text
    if isinstance(value, str):
        return value
    # numpy scalars and similar: typed when their repr is a plain JSON number.
    if len(text) > 64:
        return text
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError):
        return text
    if isinstance(parsed, (int, float)) and not isinstance(parsed, bool):
        return parsed if abs(parsed) <= MAX_SAFE_INTEGER else text
    return text


def warm_up(rounds=16):
    """Runs what every trivial cell runs (compile, eval, the result, the response's framing) on a
    scratch kernel object, `rounds` times: for a zygote that forks kernels, before it freezes its
    heap. CPython specialises a function's bytecode in place over its first runs; done here, the
    specialised code is shared by every kernel forked afterwards, instead of being rewritten (and
    its pages copied) in each one's first cell. Touches no descriptor and no global state."""
    kernel = Kernel.__new__(Kernel)
    kernel.namespace = {"__builtins__": builtins}
    kernel.limits = Limits()
    kernel.data_dir = MOUNT_POINT
    kernel.notes, kernel.displayed, kernel.displayed_figures, kernel.image_bytes = [], [], [], 0
    filename = "<warm-up>"
    request = encode_frame({"op": "execute", "code": "1", "id": 1, "outputLimit": DEFAULT_OUTPUT_LIMIT})
    try:
        for _ in range(rounds):
            message = read_message(io.BytesIO(request).read)
            value, has_value = kernel._run(str(message.get("code", "")), filename)
            response = {"status": "success", "stdout": "", "stderr": "", "hasResult": False, "result": None,
                        "repr": None, "images": [], "error": None, "durationMs": 0.0}
            response.update(kernel._result_fields(value, has_value, []))
            response["id"] = message.get("id")
            frame_body(fit_response(response, max(kernel.limits.response_bytes(DEFAULT_OUTPUT_LIMIT), MIN_RESPONSE_LIMIT)))
    finally:
        linecache.cache.pop(filename, None)


def prepare_data_dir(data_dir):
    os.makedirs(data_dir, exist_ok=True)
    os.chdir(data_dir)
    os.environ[DATA_DIR_ENV] = data_dir


def serve(in_fd, out_fd, data_dir, *, result_limit_bytes=DEFAULT_RESULT_LIMIT, image_limit_bytes=DEFAULT_IMAGE_LIMIT,
          cell_image_limit_bytes=DEFAULT_CELL_IMAGE_LIMIT, reap_session_processes=False):
    """Runs the kernel until the host closes `in_fd`.

    reap_session_processes: True only when the kernel runs in a session's own PID namespace (the
    pool's zygote with namespaces, which is the kernel's parent, outside that namespace); then
    every other process of the namespace but PID 1 is killed after each cell (see the module
    docstring). Refused, with a line on stderr, unless the kernel's parent is outside its PID
    namespace (getppid() is 0) or is its PID 1: killing "every other process" is only safe in a
    namespace of the session's own, and in the host's first PID namespace getppid() is never 0."""
    prepare_data_dir(data_dir)
    if reap_session_processes and os.getppid() not in (0, 1):
        sys.stderr.write("[kernel] not reaping leftover processes: the kernel's parent is in its own PID namespace\n")
        sys.stderr.flush()
        reap_session_processes = False
    limits = Limits(result_limit_bytes, image_limit_bytes, cell_image_limit_bytes)
    kernel = Kernel(in_fd, out_fd, data_dir, limits, reap_session_processes)
    try:
        kernel.serve()
    except BaseException:  # noqa: BLE001 - report why the kernel stopped, then exit
        os.write(kernel.diagnostics_fd, traceback.format_exc().encode("utf-8", "replace"))
        os._exit(70)


def main(argv=None):
    """Run as `python3 tidepool_kernel.py [--result-limit-bytes N]`: requests on fd 3,
    responses on fd 4. Never reaps other processes: run this way, they are the host's."""
    import argparse

    parser = argparse.ArgumentParser(description="Tidepool's Python kernel (framed JSON on fds 3 and 4).")
    parser.add_argument("--result-limit-bytes", type=int, default=DEFAULT_RESULT_LIMIT,
                        help="cap on a result's text, its repr, an error message and a traceback (default 1 MiB)")
    args = parser.parse_args(argv)
    data_dir = os.environ.get(DATA_DIR_ENV) or MOUNT_POINT
    serve(3, 4, data_dir, result_limit_bytes=args.result_limit_bytes)


if __name__ == "__main__":
    main()
