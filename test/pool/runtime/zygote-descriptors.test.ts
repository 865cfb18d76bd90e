/**
 * The zygote with descriptors above 1024, as it holds them with hundreds of sessions (one file
 * channel and, while starting, one report pipe each; it inherits Node's raised limit on open
 * files). Its loop must keep serving (select() failed there and took every session down with the
 * zygote), and a forked session must close every descriptor it inherited, not only those below
 * 1024: another session's file channel left open would let user code read that session's files.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PYTHON_DIR } from '../../../src/paths.js';

function zygotePython(script: string): string {
  const program = [
    'import os, resource, select, struct, sys',
    `sys.path.insert(0, ${JSON.stringify(PYTHON_DIR)})`,
    'import tidepool_zygote as z',
    'soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)',
    'resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))',
    script,
  ].join('\n');
  return execFileSync('/usr/bin/python3', ['-I', '-c', program], { encoding: 'utf8' }).trim();
}

// The host's control channel: requests on fd 3 (none here), events out on fd 4, read back by the
// test. (Moved out of the way first: os.pipe() may hand out 3 and 4 themselves.)
const CONTROL_CHANNEL = `
events_r, events_w, requests_r, requests_w = (os.dup2(fd, 60 + i) for i, fd in enumerate((*os.pipe(), *os.pipe())))
os.dup2(requests_r, z.CONTROL_IN)
os.dup2(events_w, z.CONTROL_OUT)
zygote = z.Zygote({})
wake_r, wake_w = os.pipe()
os.set_blocking(wake_w, False)
import signal
signal.set_wakeup_fd(wake_w)
signal.signal(signal.SIGCHLD, lambda *_: None)
zygote.poller.register(z.CONTROL_IN, select.EPOLLIN)
zygote.poller.register(wake_r, select.EPOLLIN)`;

const PRINT_EVENTS = `
os.set_blocking(events_r, False)
data = os.read(events_r, 65536)
while data:
    length = struct.unpack(">I", data[:4])[0]
    print(data[4:4 + length].decode())
    data = data[4 + length:]`;

describe('zygote descriptors above 1024', () => {
  it('closes every inherited descriptor in a session, whatever its number', () => {
    const out = zygotePython(`
high = [os.dup2(os.open(os.devnull, os.O_RDONLY), fd) for fd in (1030, 4000) if fd < hard]
keep = os.dup2(os.open(os.devnull, os.O_RDONLY), 2000 if hard > 2000 else 900)
pid = os.fork()
if pid == 0:
    z.close_other_fds({keep})
    left = sorted(int(fd) for fd in os.listdir("/proc/self/fd") if int(fd) > 2)
    os.write(1, (" ".join(map(str, left)) + "\\n").encode())
    os._exit(0)
os.waitpid(pid, 0)
print("opened", len(high), "keep", keep)`);
    const [childLine, parentLine] = out.split('\n');
    const keep = Number(parentLine!.split(' ').at(-1));
    expect(parentLine).toMatch(/^opened [12] keep \d+$/);
    // Only the kept descriptor, and the one listdir itself opens for /proc/self/fd (the lowest free number).
    expect(childLine!.split(' ').map(Number).filter((fd) => fd !== keep).every((fd) => fd < 10)).toBe(true);
    expect(childLine!.split(' ').map(Number)).toContain(keep);
  });

  it('keeps serving reports that arrive on descriptors above 1024', () => {
    const out = zygotePython(`
${CONTROL_CHANNEL}
# A starting session whose report pipe sits at 1500: it says "unshared", as a real setup process does.
report_r, report_w = os.pipe()
os.dup2(report_r, 1500)
os.close(report_r)
session = z.Session({"id": "s-high", "namespaces": True}, None)
zygote.reports[1500] = z.Report(session, 4242, None, z.SETUP)
zygote.poller.register(1500, select.EPOLLIN)
os.write(report_w, b"U")
assert zygote.step(wake_r, timeout=5)
${PRINT_EVENTS}`);
    const events = out.split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(events).toEqual([{ event: 'unshared', id: 's-high', pid: 4242 }]);
  });

  it('starts a file server for a request waiting on a file channel above 1024, and lets it end with the channel', () => {
    const out = zygotePython(`
${CONTROL_CHANNEL}
import socket, tempfile
from tidepool_framing import encode_frame, read_message
host_files, files = socket.socketpair()
files = socket.socket(fileno=os.dup2(files.detach(), 1700))
session = z.Session({"id": "s-files", "namespaces": False, "hostIds": False, "dataDir": tempfile.mkdtemp()}, files)
zygote.sessions[session.id] = session
zygote.arm_files(session)
# A file request waits on descriptor 1700: the zygote forks a file server for it.
host_files.settimeout(20)
host_files.sendall(encode_frame({"op": "list", "id": 1, "directory": ""}))
assert zygote.step(wake_r, timeout=5)
server = session.files_pid
print(server is not None, sorted(read_message(lambda n: host_files.recv(n)).keys()))
# The host hangs up: the file server ends, and once reaped the zygote lets the channel go.
host_files.close()
while session.files_pid is not None or session.files_sock is not None:
    assert zygote.step(wake_r, timeout=20)
print("ended", server not in zygote.children)`);
    const [started, ended] = out.split('\n');
    expect(started).toMatch(/^True \[.*'id'.*\]$/);
    expect(ended).toBe('ended True');
  });

  it('lets an idle file server end, keeps the channel, and starts another for the next request', () => {
    const out = zygotePython(`
${CONTROL_CHANNEL}
import socket, tempfile, time
from tidepool_framing import encode_frame, read_message
z.FILE_SERVER_IDLE_MS = 200
host_files, files = socket.socketpair()
session = z.Session({"id": "s-idle", "namespaces": False, "hostIds": False, "dataDir": tempfile.mkdtemp()}, files)
zygote.sessions[session.id] = session
zygote.arm_files(session)
host_files.settimeout(20)
servers = []
for request_id in (1, 2):
    host_files.sendall(encode_frame({"op": "list", "id": request_id, "directory": ""}))
    while session.files_pid is None:
        assert zygote.step(wake_r, timeout=5)
    servers.append(session.files_pid)
    print(read_message(lambda n: host_files.recv(n))["id"])
    # Idle past the limit: the file server ends on its own, and the channel is watched again.
    while session.files_pid is not None:
        assert zygote.step(wake_r, timeout=5)
    print(session.files_sock is not None and session.files_sock.fileno() in zygote.idle_files)
print(servers[0] != servers[1])`);
    expect(out.split('\n')).toEqual(['1', 'True', '2', 'True', 'True']);
  });
});
