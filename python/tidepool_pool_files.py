"""The file API of one pool session, served by the session's PID 1 (init) process.

Why here and not in the host: the session's /mnt/data is a tmpfs inside the session's mount
namespace, and user code can plant symlinks in it. Every path is walked one segment at a time
with O_NOFOLLOW from a directory descriptor, so no symlink is ever followed, and PID 1
answers while the kernel is busy with a long cell.

Frames: 4-byte big-endian length + UTF-8 JSON header; a header with "bytes": N is followed by
N raw bytes. Requests carry an "id" that the reply repeats.
  {"op": "write", "id", "path"} then {"op": "chunk", "id", "bytes": N}+data ... {"op": "end", "id"} | {"op": "abort", "id"}
  {"op": "read", "id", "path", "offset", "length", "maxBytes"?}
      -> {"id", "ok": true, "info", "identity": {dev, ino, size, mtimeNs, ctimeNs}, "offset", "bytes": N}+data
      (N <= length, fewer only at the end of the file, 0 past it)
  {"op": "stat" | "delete", "id", "path"}
  {"op": "list", "id", "directory", "recursive"} -> {"id", "ok": true, "entries": [info...], "truncated": bool}
Errors: {"id", "ok": false, "code": "not_found" | "too_large" | "invalid_input" | "internal", "message"}

User code owns /mnt/data and may fill it with traps; none of them may stop this server:
- Nothing is opened that could block: files are opened O_NONBLOCK|O_NOFOLLOW and must be
  regular (a FIFO, socket or device is refused with an error naming its type), so a FIFO
  never hangs a read.
- A listing is bounded: at most MAX_LIST_ENTRIES entries and about MAX_LIST_BYTES of JSON
  (names counted with their escapes), from at most MAX_LIST_SCANNED directory entries read and
  MAX_LIST_DEPTH levels; past any of them the answer holds what fit, in name order, with
  "truncated": true.
- File names that are not valid UTF-8 (say b"\xff\xfe") have no JSON form and are left out of
  listings; code in the session can still see, rename or delete them.
- Every request gets an answer: an unexpected exception becomes an "internal" error frame,
  and the server goes on with the next request.
"""

import errno
import json
import os
import secrets
import stat

from tidepool_framing import FrameError, check_size, encode_frame, read_exact, read_frame

O_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
O_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
UPLOAD_PREFIX = ".tidepool-upload-"
MAX_LIST_ENTRIES = 10_000
# JSON of the entries, estimated as the name plus ENTRY_OVERHEAD_BYTES each; the host accepts
# file channel headers of twice this (src/pool/runtime/file-channel.ts).
MAX_LIST_BYTES = 4 * 1024 * 1024
ENTRY_OVERHEAD_BYTES = 100
MAX_LIST_SCANNED = 100_000
MAX_LIST_DEPTH = 64
# Largest range one read may ask for (MAX_RANGE_BYTES in the host); downloads ask for 1 MiB at a time.
MAX_READ_LENGTH = 8 * 1024 * 1024


class FileError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def kind_of(mode):
    """What a non-regular file is, for error messages."""
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISLNK(mode):
        return "a symbolic link, which the file API does not follow"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    return "not a regular file"


def not_regular(path, mode):
    return FileError("invalid_input", f'"{path}" is {kind_of(mode)}; the file API reads and describes only regular files and directories.')


def is_utf8(name):
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # surrogate-escaped bytes: not valid UTF-8 on disk
        return False
    return True


class Listing:
    """Entries gathered so far and what is left of the listing's budgets."""

    def __init__(self, max_entries, max_bytes, max_scanned):
        self.entries = []
        self.bytes = 0
        self.scanned = 0
        self.truncated = False
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.max_scanned = max_scanned

    @property
    def full(self):
        return len(self.entries) >= self.max_entries or self.bytes >= self.max_bytes

    def add(self, info):
        self.entries.append(info)
        self.bytes += json_bytes(info["name"]) + ENTRY_OVERHEAD_BYTES


def json_bytes(text):
    """What `text` takes in a reply's JSON, not on disk: a control character in a file name is one
    byte there and six here (\\u0001), so a listing estimated from names on disk could pass the
    host's cap on a reply, and the host would end the session."""
    return len(json.dumps(text, ensure_ascii=False).encode("utf-8", "backslashreplace"))


def split_path(path):
    if not isinstance(path, str) or not path:
        raise FileError("invalid_input", "File name is empty.")
    parts = path.split("/")
    if any(part in ("", ".", "..") or "\0" in part for part in parts):
        raise FileError("invalid_input", f'File name "{path}" is not a plain relative path.')
    return parts


def describe_os_error(exc, path):
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        return FileError("not_found", f'File "{path}" does not exist in /mnt/data.')
    if exc.errno == errno.ELOOP:
        return FileError("not_found", f'"{path}" goes through a symbolic link, which the file API does not follow.')
    if exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
        return FileError("too_large", "The session's /mnt/data is full; delete files or raise the pool's disk limit (--disk-mb).")
    if exc.errno == errno.EISDIR:
        return FileError("invalid_input", f'"{path}" is a directory.')
    return FileError("internal", f'{path}: {os.strerror(exc.errno or 0)}')


class FileServer:
    def __init__(self, sock, root, max_list_entries=MAX_LIST_ENTRIES, max_list_bytes=MAX_LIST_BYTES):
        self.sock = sock
        self.fd = sock.fileno()
        self.root = root
        self.max_list_entries = max_list_entries
        self.max_list_bytes = max_list_bytes
        self.upload = None  # the upload in progress: ids, descriptors, first error
        self.handlers = {
            "write": self.op_write,
            "chunk": self.op_chunk,
            "end": self.op_end,
            "abort": self.op_abort,
            "read": self.op_read,
            "stat": self.op_stat,
            "delete": self.op_delete,
            "list": self.op_list,
        }

    # --- framing ---

    def read_request(self):
        """(request, payload); (None, None) once the channel is closed or its framing is lost.
        A body that is not a JSON object raises FileError: the frame was whole, so the next
        one can still be read."""
        try:
            body = read_frame(self.sock.recv)
        except FrameError:
            return None, None
        if body is None:
            return None, None
        try:
            message = json.loads(body.decode("utf-8"))
        except ValueError:
            message = None
        size = message.get("bytes", 0) if isinstance(message, dict) else 0
        if not isinstance(size, int) or size < 0:
            return None, None  # where the next frame starts is unknown
        try:
            check_size(size, "payload")
        except FrameError:
            return None, None
        payload = read_exact(self.sock.recv, size) if size else b""
        if size and payload is None:
            return None, None
        if not isinstance(message, dict):
            raise FileError("invalid_input", "the request is not a JSON object")
        return message, payload

    # --- paths ---

    def open_dir(self, parts, create=False):
        """A descriptor of the directory named by `parts`, walked without following links."""
        fd = os.open(self.root, O_DIR)
        try:
            for part in parts:
                try:
                    child = os.open(part, O_DIR, dir_fd=fd)
                except FileNotFoundError:
                    if not create:
                        raise
                    os.mkdir(part, 0o755, dir_fd=fd)
                    child = os.open(part, O_DIR, dir_fd=fd)
                os.close(fd)
                fd = child
            return fd
        except BaseException:
            os.close(fd)
            raise

    @staticmethod
    def info(name, st):
        return {
            "name": name,
            "type": "directory" if stat.S_ISDIR(st.st_mode) else "file",
            "sizeBytes": 0 if stat.S_ISDIR(st.st_mode) else st.st_size,
            "lastModifiedMs": st.st_mtime_ns / 1e6,
        }

    def stat_path(self, path):
        parts = split_path(path)
        dir_fd = self.open_dir(parts[:-1])
        try:
            st = os.stat(parts[-1], dir_fd=dir_fd, follow_symlinks=False)
        finally:
            os.close(dir_fd)
        if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
            raise not_regular(path, st.st_mode)
        return self.info(path, st)

    # --- operations ---

    def op_stat(self, request, _payload):
        return {"info": self.stat_path(request["path"])}, b""

    def open_regular(self, path):
        """A read-only descriptor of regular file `path` and its fstat."""
        parts = split_path(path)
        dir_fd = self.open_dir(parts[:-1])
        try:
            # The type first, for a clear error; O_NONBLOCK keeps a FIFO swapped in meanwhile
            # from blocking the open, and fstat below decides.
            st = os.stat(parts[-1], dir_fd=dir_fd, follow_symlinks=False)
            if not stat.S_ISREG(st.st_mode):
                raise not_regular(path, st.st_mode)
            fd = os.open(parts[-1], O_FILE, dir_fd=dir_fd)
        finally:
            os.close(dir_fd)
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise not_regular(path, st.st_mode)
        except BaseException:
            os.close(fd)
            raise
        return fd, st

    def op_read(self, request, _payload):
        """The `length` bytes of a file from `offset` (fewer at its end, none past it) and the
        file's identity, so the host can tell when the file changed between two ranges of one
        download. The host asks for one range at a time, so no reply holds a whole file."""
        path = request["path"]
        max_bytes = request.get("maxBytes")
        offset, length = read_range_of(request)
        fd, st = self.open_regular(path)
        try:
            if is_count(max_bytes) and st.st_size > max_bytes:
                raise FileError("too_large", f'"{path}" is {st.st_size} bytes, over the {max_bytes} byte limit for a download.')
            data = read_range(fd, offset, length)
            if identity(os.fstat(fd)) != identity(st):
                raise FileError("internal", f'"{path}" changed while it was read; download it again once it stops changing.')
        finally:
            os.close(fd)
        return {"info": self.info(path, st), "identity": identity(st), "offset": offset, "bytes": len(data)}, data

    def op_delete(self, request, _payload):
        path = request["path"]
        parts = split_path(path)
        dir_fd = self.open_dir(parts[:-1])
        try:
            st = os.stat(parts[-1], dir_fd=dir_fd, follow_symlinks=False)
            if stat.S_ISDIR(st.st_mode):
                self.remove_tree(dir_fd, parts[-1])
            else:
                os.unlink(parts[-1], dir_fd=dir_fd)
        finally:
            os.close(dir_fd)
        return {}, b""

    def remove_tree(self, parent_fd, name):
        fd = os.open(name, O_DIR, dir_fd=parent_fd)
        try:
            for entry in os.scandir(fd):
                if entry.is_dir(follow_symlinks=False):
                    self.remove_tree(fd, entry.name)
                else:
                    os.unlink(entry.name, dir_fd=fd)
        finally:
            os.close(fd)
        os.rmdir(name, dir_fd=parent_fd)

    def op_list(self, request, _payload):
        directory = request.get("directory") or ""
        parts = split_path(directory) if directory else []
        listing = Listing(self.max_list_entries, self.max_list_bytes, MAX_LIST_SCANNED)
        fd = self.open_dir(parts)
        try:
            self.collect(fd, directory, bool(request.get("recursive")), listing, 0)
        finally:
            os.close(fd)
        return {"entries": listing.entries, "truncated": listing.truncated}, b""

    def collect(self, fd, prefix, recursive, listing, depth):
        """Adds the entries of directory `fd` (and, if `recursive`, below it) in name order."""
        for name in self.scan(fd, listing):
            if listing.full:
                listing.truncated = True
                return
            try:
                st = os.stat(name, dir_fd=fd, follow_symlinks=False)
            except FileNotFoundError:
                continue  # removed since the scan
            if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
                continue
            path = f"{prefix}/{name}" if prefix else name
            listing.add(self.info(path, st))
            if not (recursive and stat.S_ISDIR(st.st_mode)):
                continue
            if depth + 1 >= MAX_LIST_DEPTH:
                listing.truncated = True
                continue
            try:
                child = os.open(name, O_DIR, dir_fd=fd)
            except OSError:
                continue  # replaced by something else since the scan
            try:
                self.collect(child, path, True, listing, depth + 1)
            finally:
                os.close(child)

    @staticmethod
    def scan(fd, listing):
        """Names of the regular files and directories in `fd`, sorted, reading no more than what
        is left of the listing's scan budget (so a directory of up to MAX_LIST_SCANNED entries
        is listed from its first name on). Types come from the directory itself, without a
        stat per entry, and are checked again when an entry is added."""
        names = []
        with os.scandir(fd) as entries:
            for entry in entries:
                if listing.scanned >= listing.max_scanned:
                    listing.truncated = True
                    break
                listing.scanned += 1
                name = entry.name
                if name.startswith(UPLOAD_PREFIX) or not is_utf8(name):
                    continue
                if entry.is_file(follow_symlinks=False) or entry.is_dir(follow_symlinks=False):
                    names.append(name)
        names.sort()
        return names

    def op_write(self, request, _payload):
        """Opens a hidden temporary file; it replaces the target only once every chunk is in.
        A failure here is kept and reported once, in the reply to "end"."""
        if self.upload is not None:
            self.discard_upload()
        path = request["path"]
        upload = {"id": request["id"], "dir_fd": None, "temp": UPLOAD_PREFIX + secrets.token_hex(8), "path": path, "fd": None, "error": None}
        self.upload = upload
        try:
            parts = split_path(path)
            upload["name"] = parts[-1]
            upload["dir_fd"] = self.open_dir(parts[:-1], create=True)
            upload["fd"] = os.open(upload["temp"], os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644, dir_fd=upload["dir_fd"])
        except FileError as exc:
            upload["error"] = exc
        except OSError as exc:
            upload["error"] = describe_os_error(exc, path)
        return None, b""

    def op_chunk(self, request, payload):
        upload = self.upload
        if upload is None or upload["id"] != request["id"] or upload["error"]:
            return None, b""
        try:
            view = memoryview(payload)
            while view:
                view = view[os.write(upload["fd"], view):]
        except OSError as exc:
            upload["error"] = describe_os_error(exc, upload["path"])
        return None, b""

    def discard_upload(self):
        """Drops an upload the host never ended (a new one started, so the host gave up on it)."""
        upload, self.upload = self.upload, None
        if upload["fd"] is not None:
            os.close(upload["fd"])
            try:
                os.unlink(upload["temp"], dir_fd=upload["dir_fd"])
            except OSError:
                pass
        if upload["dir_fd"] is not None:
            os.close(upload["dir_fd"])

    def finish_upload(self, keep):
        upload, self.upload = self.upload, None
        if upload["fd"] is not None:
            os.close(upload["fd"])
        if upload["dir_fd"] is None:
            raise upload["error"]
        try:
            if keep and not upload["error"]:
                try:
                    os.rename(upload["temp"], upload["name"], src_dir_fd=upload["dir_fd"], dst_dir_fd=upload["dir_fd"])
                except OSError:
                    os.unlink(upload["temp"], dir_fd=upload["dir_fd"])
                    raise
                st = os.stat(upload["name"], dir_fd=upload["dir_fd"], follow_symlinks=False)
                return self.info(upload["path"], st)
            if upload["fd"] is not None:
                os.unlink(upload["temp"], dir_fd=upload["dir_fd"])
            if upload["error"]:
                raise upload["error"]
            raise FileError("too_large", "The upload was aborted by the host.")
        finally:
            os.close(upload["dir_fd"])

    def op_end(self, request, _payload):
        if self.upload is None or self.upload["id"] != request["id"]:
            raise FileError("internal", "no upload in progress")
        return {"info": self.finish_upload(True)}, b""

    def op_abort(self, request, _payload):
        if self.upload is None or self.upload["id"] != request["id"]:
            raise FileError("internal", "no upload in progress")
        self.upload["error"] = self.upload["error"] or FileError("too_large", request.get("message") or "The upload is too large.")
        return {"info": self.finish_upload(False)}, b""

    def handle_one(self):
        """Reads and answers one request; False once the host has closed the channel."""
        try:
            request, payload = self.read_request()
        except FileError as exc:
            return self.reply(None, {"ok": False, "code": exc.code, "message": str(exc)})
        except OSError:
            return False
        if request is None:
            return False
        request_id = request.get("id")
        try:
            handler = self.handlers.get(request.get("op"))
            if handler is None:
                raise FileError("invalid_input", f"unknown op {request.get('op')!r}")
            reply, data = handler(request, payload)
        except FileError as exc:
            reply, data = {"ok": False, "code": exc.code, "message": str(exc)}, b""
        except OSError as exc:
            error = describe_os_error(exc, request.get("path") or request.get("directory") or "")
            reply, data = {"ok": False, "code": error.code, "message": str(error)}, b""
        except KeyError as exc:
            reply, data = {"ok": False, "code": "invalid_input", "message": f"the request has no {exc} field"}, b""
        except Exception as exc:  # noqa: BLE001 - one bad request must not end the file server
            reply, data = {"ok": False, "code": "internal", "message": f"the file server failed: {type(exc).__name__}: {exc}"}, b""
        if reply is None:
            return True
        return self.reply(request_id, reply, data)

    def reply(self, request_id, reply, data=b""):
        """Sends one answer; False when the host is gone."""
        reply.setdefault("ok", True)
        reply["id"] = request_id
        try:
            frame = encode_frame(reply)
        except Exception as exc:  # noqa: BLE001 - e.g. a value JSON cannot carry
            frame = encode_frame({"id": request_id, "ok": False, "code": "internal", "message": f"the answer could not be encoded: {type(exc).__name__}"})
            data = b""
        try:
            self.sock.sendall(frame)
            if data:
                self.sock.sendall(data)
        except OSError:
            return False
        return True


def is_count(value):
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def read_range_of(request):
    """The (offset, length) of a ranged read, checked."""
    offset, length = request.get("offset"), request.get("length")
    if not is_count(offset):
        raise FileError("invalid_input", f"offset must be a non-negative integer, got {offset!r}")
    if not is_count(length) or not 1 <= length <= MAX_READ_LENGTH:
        raise FileError("invalid_input", f"length must be an integer from 1 to {MAX_READ_LENGTH}, got {length!r}")
    return offset, length


def identity(st):
    """What changes when a file is replaced or written: device, inode, size, and the modification
    and change times in ns (as strings: JSON numbers lose precision past 2**53, and user code may
    set a modification time far in the future)."""
    return {"dev": st.st_dev, "ino": st.st_ino, "size": st.st_size, "mtimeNs": str(st.st_mtime_ns), "ctimeNs": str(st.st_ctime_ns)}


def read_range(fd, offset, length):
    """Up to `length` bytes of `fd` from `offset`; fewer only at the end of the file."""
    chunks = []
    total = 0
    while total < length:
        chunk = os.pread(fd, length - total, offset + total)
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)
