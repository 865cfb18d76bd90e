/**
 * The zygote with descriptors above 1024, as it holds them with hundreds of sessions (one control
 * line and, while starting, one report pipe each; it inherits Node's raised limit on open files).
 * Its loop must keep serving (select() failed there and took every session down with the zygote),
 * and a forked session must close every descriptor it inherited, not only those below 1024: a
 * control line of another session left open would let user code talk to that session's PID 1.
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

  it('keeps serving reports and kernel ends that arrive on descriptors above 1024', () => {
    const out = zygotePython(`
# The host's control channel: requests on fd 3 (none here), events out on fd 4, read back by this test.
# (Moved out of the way first: os.pipe() may hand out 3 and 4 themselves.)
events_r, events_w, requests_r, requests_w = (os.dup2(fd, 60 + i) for i, fd in enumerate((*os.pipe(), *os.pipe())))
os.dup2(requests_r, z.CONTROL_IN)
os.dup2(events_w, z.CONTROL_OUT)
zygote = z.Zygote({})
wake_r, wake_w = os.pipe()
zygote.poller.register(z.CONTROL_IN, select.EPOLLIN)
zygote.poller.register(wake_r, select.EPOLLIN)
# A starting session whose report pipe sits at 1500: it says "unshared", as a real setup process does.
report_r, report_w = os.pipe()
os.dup2(report_r, 1500)
os.close(report_r)
zygote.starting[1500] = z.Starting("s-high", 4242, None)
zygote.poller.register(1500, select.EPOLLIN)
os.write(report_w, b"U")
assert zygote.step(wake_r, timeout=5)
# A live session's control line at 1600: its PID 1 reports that the kernel exited with status 9.
import socket
ours, theirs = socket.socketpair()
os.dup2(ours.detach(), 1600)
zygote.controls[1600] = ("s-high", socket.socket(fileno=1600))
zygote.poller.register(1600, select.EPOLLIN)
theirs.sendall(b"X" + struct.pack(">i", 9))
assert zygote.step(wake_r, timeout=5)
# Both events reached the host.
os.set_blocking(events_r, False)
data = os.read(events_r, 65536)
while data:
    length = struct.unpack(">I", data[:4])[0]
    print(data[4:4 + length].decode())
    data = data[4 + length:]`);
    const events = out.split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(events).toEqual([
      { event: 'unshared', id: 's-high', pid: 4242 },
      expect.objectContaining({ event: 'kernelExited', id: 's-high', signal: 'SIGKILL' }),
    ]);
  });

  it("keeps a session's PID 1 serving when its channels sit above 1024, until the host closes the file channel", () => {
    const out = zygotePython(`
import socket, tempfile
import tidepool_pool_files
host_files, files = socket.socketpair()
host_control, control = socket.socketpair()
files = socket.socket(fileno=os.dup2(files.detach(), 1700))
control = socket.socket(fileno=os.dup2(control.detach(), 1701))
data_dir = tempfile.mkdtemp()
pid = os.fork()
if pid == 0:
    host_files.close()
    host_control.close()
    init = z.Init({"namespaces": False, "dataDir": data_dir}, files, control, None)
    init.server = tidepool_pool_files.FileServer(files, data_dir)
    init.supervise()  # ends the process: os._exit(0) once the file channel closes
    os._exit(3)
# A file request answered on descriptor 1700, then the host hangs up.
from tidepool_framing import encode_frame, read_message
files.close()
control.close()
host_files.settimeout(20)
host_files.sendall(encode_frame({"op": "list", "id": 1, "directory": ""}))
print(sorted(read_message(lambda n: host_files.recv(n)).keys()))
host_files.close()
_pid, status = os.waitpid(pid, 0)
print("exit", os.waitstatus_to_exitcode(status))`);
    const [answerKeys, exit] = out.split('\n');
    expect(answerKeys).toContain("'id'");
    expect(exit).toBe('exit 0');
  });
});
