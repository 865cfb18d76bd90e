"""The file API of one pool session, served by the session's PID 1 (init) process.

Why here and not in the host: the session's /mnt/data is a tmpfs inside the session's mount
namespace, and user code can plant symlinks in it. Every path is walked one segment at a time
with O_NOFOLLOW from a directory descriptor, so no symlink is ever followed, and PID 1
answers while the kernel is busy with a long cell.

Frames: 4-byte big-endian length + UTF-8 JSON header; a header with "bytes": N is followed by
N raw bytes. Requests carry an "id" that the reply repeats.
  {"op": "write", "id", "path"} then {"op": "chunk", "id", "bytes": N}+data ... {"op": "end", "id"} | {"op": "abort", "id"}
  {"op": "read", "id", "path"}          -> {"id", "ok": true, "info", "bytes": N}+data
  {"op": "stat" | "delete", "id", "path"}
  {"op": "list", "id", "directory", "recursive"}
Errors: {"id", "ok": false, "code": "not_found" | "too_large" | "invalid_input" | "internal", "message"}
"""

import errno
import json
import os
import secrets
import stat
import struct

from tidepool_kernel import encode_frame, read_exact

O_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
UPLOAD_PREFIX = ".tidepool-upload-"


class FileError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


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
    def __init__(self, sock, root):
        self.sock = sock
        self.fd = sock.fileno()
        self.root = root
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

    def read_exact(self, size):
        return read_exact(self.sock.recv, size)

    def read_frame(self):
        header = self.read_exact(4)
        if header is None:
            return None, None
        body = self.read_exact(struct.unpack(">I", header)[0])
        if body is None:
            return None, None
        message = json.loads(body.decode("utf-8"))
        size = int(message.get("bytes") or 0)
        payload = self.read_exact(size) if size else b""
        return message, payload

    def send(self, message, payload=b""):
        self.sock.sendall(encode_frame(message))
        if payload:
            self.sock.sendall(payload)

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
            raise FileError("not_found", f'"{path}" is not a regular file.')
        return self.info(path, st)

    # --- operations ---

    def op_stat(self, request, _payload):
        return {"info": self.stat_path(request["path"])}, b""

    def op_read(self, request, _payload):
        path = request["path"]
        parts = split_path(path)
        dir_fd = self.open_dir(parts[:-1])
        try:
            fd = os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dir_fd)
        finally:
            os.close(dir_fd)
        with os.fdopen(fd, "rb") as f:
            st = os.fstat(f.fileno())
            if not stat.S_ISREG(st.st_mode):
                raise FileError("invalid_input", f'"{path}" is not a regular file.')
            data = f.read()
        return {"info": self.info(path, st), "bytes": len(data)}, data

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
        entries = []
        fd = self.open_dir(parts)
        try:
            self.collect(fd, directory, bool(request.get("recursive")), entries)
        finally:
            os.close(fd)
        return {"entries": entries}, b""

    def collect(self, fd, prefix, recursive, entries):
        for entry in sorted(os.scandir(fd), key=lambda e: e.name):
            if entry.name.startswith(UPLOAD_PREFIX):
                continue
            st = entry.stat(follow_symlinks=False)
            if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
                continue
            name = f"{prefix}/{entry.name}" if prefix else entry.name
            entries.append(self.info(name, st))
            if recursive and stat.S_ISDIR(st.st_mode):
                child = os.open(entry.name, O_DIR, dir_fd=fd)
                try:
                    self.collect(child, name, True, entries)
                finally:
                    os.close(child)

    def op_write(self, request, _payload):
        """Opens a hidden temporary file; it replaces the target only once every chunk is in.
        A failure here is kept and reported once, in the reply to "end"."""
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
            request, payload = self.read_frame()
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
        if reply is not None:
            reply.setdefault("ok", True)
            reply["id"] = request_id
            self.send(reply, data)
        return True
