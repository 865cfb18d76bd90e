/**
 * Python that attack cells share. PRELUDE defines:
 *   raw_syscall(nr, *args) -> (return value, errno name or None)
 *   libc_call(name, *args) -> the same for a libc function
 *   in_child(fn, timeout)  -> fn() run in a forked child (single-threaded, so namespace calls are
 *                             legal there, and a filter that kills the caller kills only it); its
 *                             JSON-able answer, or {"died": "..."} when it did not answer
 *   alive(pid)             -> the process exists and is not a zombie
 *   fds()                  -> {fd: (kind, st_dev, st_ino, readlink)} for this process's descriptors
 */
export const PRELUDE = String.raw`
import ctypes, errno, json, os, select, signal, socket, stat, struct, sys, time
_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long

def _errname(number):
    return errno.errorcode.get(number, str(number))

def _arg(value):
    if value is None or isinstance(value, bytes):
        return ctypes.c_char_p(value)
    if isinstance(value, int):
        return ctypes.c_long(value)
    return value

def raw_syscall(nr, *args):
    ctypes.set_errno(0)
    result = _libc.syscall(ctypes.c_long(nr), *[_arg(a) for a in args])
    return int(result), (_errname(ctypes.get_errno()) if result == -1 else None)

def libc_call(name, *args):
    function = getattr(_libc, name)
    function.restype = ctypes.c_long
    ctypes.set_errno(0)
    result = function(*[_arg(a) for a in args])
    return int(result), (_errname(ctypes.get_errno()) if result == -1 else None)

def in_child(fn, timeout=15):
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read_end)
            try:
                answer = fn()
            except BaseException as exc:
                answer = {"exception": type(exc).__name__, "message": str(exc)}
            data = json.dumps(answer).encode()
            while data:
                data = data[os.write(write_end, data):]
        finally:
            os._exit(0)
    os.close(write_end)
    data = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([read_end], [], [], 0.2)
        if ready:
            chunk = os.read(read_end, 65536)
            if not chunk:
                break
            data += chunk
    os.close(read_end)
    status = None
    while time.monotonic() < deadline + 5:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.05)
    else:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        return {"died": "did not finish"}
    if data:
        try:
            return json.loads(data)
        except ValueError:
            return {"died": "garbled answer"}
    if os.WIFSIGNALED(status):
        return {"died": signal.Signals(os.WTERMSIG(status)).name}
    return {"died": "exit %d" % os.WEXITSTATUS(status)}

def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False

def fds():
    found = {}
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        try:
            st = os.fstat(fd)
            target = os.readlink("/proc/self/fd/%d" % fd)
        except OSError:
            continue
        mode = st.st_mode
        kind = "fifo" if stat.S_ISFIFO(mode) else "socket" if stat.S_ISSOCK(mode) else "chr" if stat.S_ISCHR(mode) else "file" if stat.S_ISREG(mode) else "dir" if stat.S_ISDIR(mode) else "other"
        found[fd] = (kind, st.st_dev, st.st_ino, target)
    return found
`;

/** errno names that mean "not allowed here" (a filter, a missing capability, or a family that is not offered). */
export const DENIED = ['EPERM', 'EACCES', 'ENOSYS', 'EAFNOSUPPORT', 'EPROTONOSUPPORT', 'ESOCKTNOSUPPORT', 'EROFS'];

/** A cell made of the prelude and `body`, whose last line is its value. */
export function cell(body: string): string {
  return `${PRELUDE}\n${body}`;
}
