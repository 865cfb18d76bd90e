"""Tidepool's Python kernel: one long-lived interpreter that runs notebook-style cells.

It speaks a small framed protocol on two file descriptors (requests in, responses out):
every frame is a 4-byte big-endian length followed by that many bytes of UTF-8 JSON.

Request:  {"op": "execute", "id": 1, "code": "...", "outputLimit": 1048576}
          {"op": "ping", "id": 2}
Response: {"id": 1, "status": "success" | "failure", "stdout": "...", "stderr": "...",
           "hasResult": bool, "result": <json>, "repr": str | null, "images": [...],
           "error": {"type", "message", "traceback"} | null, "durationMs": float}

Why file descriptors 1 and 2 are pipes read by a thread: output written below Python
(os.system, C extensions, child processes) must be captured too, and in order with print().
Why a marker token ends each cell's capture: it is the only way to know that everything a
cell wrote has been drained from the pipe before the response is sent.

The same file runs as a plain subprocess (the Local sandbox) and inside the session pool's
isolation, where a zygote imports it once and calls serve() in each forked session.
"""

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
import struct
import sys
import threading
import time
import traceback
import types

MAX_REQUEST_BYTES = 64 * 1024 * 1024
DEFAULT_OUTPUT_LIMIT = 1024 * 1024
MAX_SAFE_INTEGER = 2**53 - 1
DATA_DIR_ENV = "TIDEPOOL_DATA_DIR"
MOUNT_POINT = "/mnt/data"


# --- framing, shared with the pool's zygote and file server (they import this module) ---------


def encode_frame(message):
    """A 4-byte big-endian length, then the message as UTF-8 JSON."""
    body = json.dumps(message, ensure_ascii=False, allow_nan=False).encode("utf-8")
    return struct.pack(">I", len(body)) + body


def write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def read_exact(read, size):
    """Reads exactly `size` bytes with `read(n)`; None when the stream ends first."""
    chunks = []
    while size > 0:
        chunk = read(min(size, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


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
        # Drop a multi-byte character cut in half by the limit instead of emitting garbage.
        text = codecs.getincrementaldecoder("utf-8")("replace").decode(data, final=dropped == 0)
        if dropped:
            text += f"\n[output truncated: {dropped} more bytes]\n"
        return text


class OutputCapture:
    """Owns fds 1 and 2. One thread drains both pipes, so a cell costs one wake-up, not two."""

    def __init__(self, token):
        self.token = token
        self.streams = (_Stream(1), _Stream(2))
        self.markers_sent = 0
        # True from the moment the drain thread may hold bytes it has read but not yet stored.
        self.draining = False
        self.cond = threading.Condition()
        threading.Thread(target=self._drain, name="capture", daemon=True).start()

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


class Kernel:
    def __init__(self, in_fd, out_fd, data_dir):
        # The original stderr, kept for the kernel's own fatal errors once fd 2 is captured.
        self.diagnostics_fd = os.dup(2)
        self.in_file = os.fdopen(in_fd, "rb", buffering=0)
        self.out_fd = out_fd
        self.data_dir = data_dir
        self.in_cell = False
        self.cell_count = 0
        # User code gets a fresh __main__ module, so pickling and `if __name__ == "__main__"` behave.
        main_module = types.ModuleType("__main__")
        main_module.__dict__.update({"__builtins__": builtins, "display": self.display})
        sys.modules["__main__"] = main_module
        self.namespace = main_module.__dict__
        self.displayed = []
        token = ("\x00tidepool-" + secrets.token_hex(16) + "\x00").encode()
        self.capture = OutputCapture(token)
        self.stdout = io.TextIOWrapper(open(1, "wb", closefd=False), encoding="utf-8", errors="backslashreplace", line_buffering=True)
        self.stderr = io.TextIOWrapper(open(2, "wb", closefd=False), encoding="utf-8", errors="backslashreplace", line_buffering=True)
        sys.stdin = open(os.devnull, "r")
        signal.signal(signal.SIGINT, self._on_interrupt)

    def _on_interrupt(self, _signum, _frame):
        # Only a running cell is interrupted; a signal racing with the end of a cell is ignored.
        if self.in_cell:
            raise KeyboardInterrupt

    # --- protocol -------------------------------------------------------------------------

    def read_request(self):
        header = read_exact(self.in_file.read, 4)
        if header is None:
            return None
        (length,) = struct.unpack(">I", header)
        if length > MAX_REQUEST_BYTES:
            raise ValueError(f"request of {length} bytes exceeds {MAX_REQUEST_BYTES}")
        body = read_exact(self.in_file.read, length)
        if body is None:
            return None
        return json.loads(body.decode("utf-8"))

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
                response = self.execute(str(request.get("code", "")), int(request.get("outputLimit") or DEFAULT_OUTPUT_LIMIT))
            elif op == "ping":
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
            images = self.displayed + self._collect_figures()
        except BaseException as exc:  # noqa: BLE001
            images = self.displayed
            error = error or self._describe(exc)
        for stream in (self.stdout, self.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        duration_ms = (time.perf_counter() - started) * 1000
        stdout, stderr = self.capture.collect()
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
        if error is None:
            response.update(self._result_fields(value, has_value, images))
        return response

    def _run(self, code, filename):
        linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
        flags = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
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
        message = str(exc)
        hint = self._data_dir_hint(exc)
        if hint:
            message += hint
        frames = traceback.TracebackException.from_exception(exc)
        # Hide the kernel's own frames: the user only needs their cell's.
        frames.stack = traceback.StackSummary.from_list([f for f in frames.stack if f.filename != __file__])
        text = "".join(frames.format())
        if hint:
            text += hint.strip() + "\n"
        return {"type": type(exc).__name__, "message": message, "traceback": text}

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
                self.displayed.append(image)
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

    def _collect_figures(self):
        # Only look if the cell used pyplot: importing matplotlib here would cost ~0.5 s.
        pyplot = sys.modules.get("matplotlib.pyplot")
        if pyplot is None:
            return []
        images = [self._as_image(pyplot.figure(number)) for number in pyplot.get_fignums()]
        pyplot.close("all")
        return [image for image in images if image]

    @staticmethod
    def _repr(value):
        if isinstance(value, (list, tuple, dict, set, frozenset)):
            return pprint.pformat(value, width=79, sort_dicts=False)
        return repr(value)

    def _result_fields(self, value, has_value, images):
        if not has_value or value is None or _is_plot_artist(value):
            if images:
                return {"hasResult": True, "result": images[-1], "repr": None}
            return {"hasResult": has_value, "result": None, "repr": "None" if has_value and value is None else None}
        text = self._repr(value)
        return {"hasResult": True, "result": _json_native(value, text), "repr": text}


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
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError):
        return text
    if isinstance(parsed, (int, float)) and not isinstance(parsed, bool):
        return parsed if abs(parsed) <= MAX_SAFE_INTEGER else text
    return text


def prepare_data_dir(data_dir):
    os.makedirs(data_dir, exist_ok=True)
    os.chdir(data_dir)
    os.environ[DATA_DIR_ENV] = data_dir


def serve(in_fd, out_fd, data_dir):
    prepare_data_dir(data_dir)
    kernel = Kernel(in_fd, out_fd, data_dir)
    try:
        kernel.serve()
    except BaseException:  # noqa: BLE001 - report why the kernel stopped, then exit
        os.write(kernel.diagnostics_fd, traceback.format_exc().encode("utf-8", "replace"))
        os._exit(70)


def main():
    """Run as `python3 tidepool_kernel.py`: requests on fd 3, responses on fd 4."""
    data_dir = os.environ.get(DATA_DIR_ENV) or MOUNT_POINT
    serve(3, 4, data_dir)


if __name__ == "__main__":
    main()
