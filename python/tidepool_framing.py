"""The one framing of every channel between the host and a session: a 4-byte big-endian length, then
that many bytes (UTF-8 JSON for messages). The kernel's request channel, the zygote's control channel
and the session file server all read through read_frame, so all of them refuse the same oversized
length before allocating anything for it.
"""

import json
import os
import struct

# Largest frame any channel accepts: the biggest request the host sends is a cell of code or an
# upload chunk, far below this; anything larger is a broken or hostile peer.
MAX_FRAME_BYTES = 64 * 1024 * 1024


class FrameError(ValueError):
    """The peer announced a frame larger than MAX_FRAME_BYTES; the channel's framing is lost."""


def encode_body(message):
    # A lone surrogate (from a str built with surrogateescape or chr(0xD800)) has no UTF-8 form;
    # its backslash escape is the JSON escape of the same code point, so the JSON stays valid.
    return json.dumps(message, ensure_ascii=False, allow_nan=False).encode("utf-8", "backslashreplace")


def frame_body(body):
    return struct.pack(">I", len(body)) + body


def encode_frame(message):
    """A 4-byte big-endian length, then the message as UTF-8 JSON."""
    return frame_body(encode_body(message))


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


def check_size(size, what="frame"):
    if size > MAX_FRAME_BYTES:
        raise FrameError(f"{what} of {size} bytes exceeds {MAX_FRAME_BYTES}")


def read_frame(read):
    """The next frame's body read with `read(n)`; None when the stream ends. Raises FrameError
    for an announced length over MAX_FRAME_BYTES."""
    header = read_exact(read, 4)
    if header is None:
        return None
    (length,) = struct.unpack(">I", header)
    check_size(length)
    return read_exact(read, length)


def read_message(read):
    """The next frame decoded as JSON; None when the stream ends."""
    body = read_frame(read)
    return None if body is None else json.loads(body.decode("utf-8"))
