/**
 * The Unix socket every session connects to twice (its kernel stream and its file stream).
 * The first frame on a connection is a hello with the session's one-time token; anything else
 * is dropped, so only the zygote (which knows the tokens) can attach a stream to a session.
 */
import { chmod, chown, rm } from 'node:fs/promises';
import net, { type Socket } from 'node:net';
import { FrameDecoder } from '../../kernel/frames.js';

const HELLO_TIMEOUT_MS = 10_000;
const HELLO_MAX_BYTES = 4096;

export interface SessionSockets {
  kernel: Socket;
  files: Socket;
}

interface Expected {
  kernel?: Socket;
  files?: Socket;
  /** A restarted kernel connects its kernel stream only. */
  kernelOnly?: boolean;
  resolve: (sockets: SessionSockets) => void;
}

export class SocketHub {
  readonly #server: net.Server;
  readonly #expected = new Map<string, Expected>();

  private constructor(server: net.Server) {
    this.#server = server;
    server.on('connection', (socket) => this.#onConnection(socket));
  }

  static async listen(socketPath: string, owner?: { uid: number; gid: number }): Promise<SocketHub> {
    await rm(socketPath, { force: true });
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => resolve());
    });
    // Only the zygote connects (sessions are handed connected sockets): its uid alone may, and the
    // directory around it is private (0700) too.
    await chmod(socketPath, 0o600);
    if (owner) await chown(socketPath, owner.uid, owner.gid);
    return new SocketHub(server);
  }

  /** Resolves with the kernel stream of a session's restarted kernel, connected with `token`. */
  expectKernel(token: string): { socket: Promise<Socket>; cancel: () => void } {
    const { sockets, cancel } = this.expect(token, true);
    return { socket: sockets.then((connected) => connected.kernel), cancel };
  }

  /** Resolves with both streams once the session with `token` has connected them. */
  expect(token: string, kernelOnly = false): { sockets: Promise<SessionSockets>; cancel: () => void } {
    let expected!: Expected;
    const sockets = new Promise<SessionSockets>((resolve) => {
      expected = { resolve, kernelOnly };
    });
    this.#expected.set(token, expected);
    return {
      sockets,
      cancel: () => {
        this.#expected.delete(token);
        expected.kernel?.destroy();
        expected.files?.destroy();
      },
    };
  }

  async close(): Promise<void> {
    for (const expected of this.#expected.values()) {
      expected.kernel?.destroy();
      expected.files?.destroy();
    }
    this.#expected.clear();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #onConnection(socket: Socket): void {
    // A hello is a token and a role: anything larger is not one.
    const decoder = new FrameDecoder(HELLO_MAX_BYTES);
    socket.on('error', () => {});
    const timer = setTimeout(() => socket.destroy(), HELLO_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      let messages: unknown[];
      try {
        messages = decoder.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      if (messages.length === 0) return;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.pause();
      const hello = messages[0] as { hello?: unknown; role?: unknown } | null;
      const expected = typeof hello?.hello === 'string' ? this.#expected.get(hello.hello) : undefined;
      // Nothing may follow the hello before the host speaks; extra bytes mean a confused peer.
      const role = hello?.role;
      const token = hello?.hello;
      if (!expected || messages.length > 1 || (role !== 'kernel' && role !== 'files') || expected[role] || (expected.kernelOnly && role !== 'kernel')) {
        socket.destroy();
        return;
      }
      expected[role] = socket;
      if (expected.kernel && (expected.files || expected.kernelOnly)) {
        this.#expected.delete(token as string);
        expected.resolve({ kernel: expected.kernel, files: expected.files! });
      }
    };
    socket.on('data', onData);
  }
}
