'use strict';
/**
 * Tidepool's JavaScript kernel: one long-lived Node.js process that runs notebook-style cells.
 *
 * It speaks the protocol of python/tidepool_kernel.py (frames of a 4-byte big-endian length and
 * UTF-8 JSON on one socket): `execute` and `ping` requests, and the same response shape, so the
 * pool's kernel client, limits and HTTP routes serve both kernels alike.
 *
 * Notebook semantics:
 * - State persists across cells: top-level `let`, `const`, `class` and `function` declarations
 *   become globals (declared with `var`), so a cell can be run again without "Identifier has
 *   already been declared", as in a notebook.
 * - The value of the cell's last expression statement is the result.
 * - Top-level `await` works: such a cell runs as an async function whose declarations are
 *   hoisted to globals first.
 * - `console.*` and `process.stdout/stderr.write` are captured in order, per stream; output of
 *   child processes that inherit the kernel's descriptors 1 and 2 is read from the in-memory files
 *   behind them when the host gives them (the pool does; see ChildOutput).
 * - An interrupt (SIGINT, the host's timeout) stops a synchronous loop (vm breakOnSigint) or
 *   abandons a pending `await`, and the kernel answers; a cell that blocks the event loop
 *   outside the interruptible part is ended by the host, like a Python cell that ignores it.
 *
 * The pool's zygote starts it inside the session's isolation with acorn (the parser) and this
 * file handed over as in-memory files (see python/tidepool_zygote.py); `node tidepool_kernel.cjs
 * IN_FD OUT_FD` runs it as a plain subprocess.
 */

const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { Writable } = require('node:stream');
const util = require('node:util');
const vm = require('node:vm');
const timers = require('node:timers');
const { createRequire } = require('node:module');

const MAX_REQUEST_BYTES = 64 * 1024 * 1024;
const DEFAULT_OUTPUT_LIMIT = 1024 * 1024;
const RESULT_LIMIT = 1024 * 1024;
// A response limit below this is ignored: a kernel must always be able to say what happened.
const MIN_RESPONSE_LIMIT = 64 * 1024;
const KEEP_PROCESSES_ENV = 'TIDEPOOL_KEEP_PROCESSES';
const INTERRUPTED = 'Interrupted';
const CHILD_OUTPUT_POLL_MS = 25;
const CELL_FILE = (n) => `<cell-${n}>`;

/** Bytes of one stream a cell wrote, up to a limit; the rest is counted and noted. */
class StreamCapture {
  constructor() {
    this.chunks = [];
    this.bytes = 0;
    this.dropped = 0;
    this.limit = DEFAULT_OUTPUT_LIMIT;
  }

  write(data) {
    const room = this.limit - this.bytes;
    if (data.length <= room) {
      this.chunks.push(data);
      this.bytes += data.length;
      return;
    }
    if (room > 0) {
      this.chunks.push(data.subarray(0, room));
      this.bytes += room;
    }
    this.dropped += data.length - Math.max(room, 0);
  }

  /** What was written since the last take(), as text, with a note when some was dropped. */
  take() {
    let text = new util.TextDecoder('utf-8', { fatal: false }).decode(Buffer.concat(this.chunks));
    if (this.dropped) text += `\n[output truncated: ${this.dropped} more bytes]\n`;
    this.chunks = [];
    this.bytes = 0;
    this.dropped = 0;
    return text;
  }
}

/** A writable stream that feeds a capture: stands in for process.stdout / process.stderr. */
function captureStream(capture, fd) {
  const stream = new Writable({
    decodeStrings: true,
    write(chunk, _encoding, callback) {
      capture.write(chunk);
      callback();
    },
  });
  // What code that inspects a standard stream expects to find.
  Object.assign(stream, { fd, isTTY: false, columns: 80, _isStdio: true });
  stream.destroySoon = stream.destroy;
  stream._destroy = (error, callback) => callback(error);
  return stream;
}

/** Reads frames (4-byte big-endian length + UTF-8 JSON) from a byte stream. */
class FrameReader {
  constructor(onMessage, onError) {
    this.buffer = Buffer.alloc(0);
    this.onMessage = onMessage;
    this.onError = onError;
  }

  push(chunk) {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    while (this.buffer.length >= 4) {
      const length = this.buffer.readUInt32BE(0);
      if (length > MAX_REQUEST_BYTES) return this.onError(new Error(`request frame of ${length} bytes is over the ${MAX_REQUEST_BYTES} byte limit`));
      if (this.buffer.length < 4 + length) return;
      const body = this.buffer.subarray(4, 4 + length);
      this.buffer = this.buffer.subarray(4 + length);
      let message;
      try {
        message = JSON.parse(body.toString('utf8'));
      } catch (error) {
        return this.onError(error);
      }
      this.onMessage(message);
    }
  }
}

function encodeFrame(message) {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length, 0);
  return Buffer.concat([header, body]);
}

// --- turning a cell into a script -------------------------------------------------------------

/** Parses a cell; `awaits` is true when it needs top-level await. Throws acorn's SyntaxError. */
function parseCell(acorn, code) {
  const options = { ecmaVersion: 'latest', sourceType: 'script', allowHashBang: true, locations: true };
  try {
    return { program: acorn.parse(code, options), awaits: false };
  } catch (plainError) {
    try {
      return { program: acorn.parse(code, { ...options, allowAwaitOutsideFunction: true }), awaits: true };
    } catch {
      throw plainError;
    }
  }
}

/** Names a declaration pattern binds (`x`, `{a, b: [c]}`, `...rest`). */
function boundNames(pattern, names = []) {
  switch (pattern.type) {
    case 'Identifier':
      names.push(pattern.name);
      break;
    case 'ObjectPattern':
      for (const property of pattern.properties) boundNames(property.type === 'RestElement' ? property.argument : property.value, names);
      break;
    case 'ArrayPattern':
      for (const element of pattern.elements) if (element) boundNames(element, names);
      break;
    case 'RestElement':
      boundNames(pattern.argument, names);
      break;
    case 'AssignmentPattern':
      boundNames(pattern.left, names);
      break;
  }
  return names;
}

/**
 * The script a cell runs as, and whether its completion value is the cell's result.
 *
 * Edits are made on the source text by node offsets (never reprinting the code), so line numbers
 * in stack traces stay the user's. Without await, `let`/`const` become `var` and `class X` becomes
 * `var X = class X`; the completion value of the script is the value of its last statement.
 * With await, the body runs inside an async arrow function: declarations become assignments to
 * names hoisted (as `var`) before it on the first line, and the last expression is returned.
 */
function cellScript(code, program, awaits) {
  const edits = [];
  const hoisted = new Set();
  const functions = [];
  const last = program.body[program.body.length - 1];
  const hasResult = Boolean(last && last.type === 'ExpressionStatement');
  for (const statement of program.body) {
    if (statement.type === 'VariableDeclaration') {
      if (!awaits) {
        // Padded to the keyword's length, so columns in stack traces stay the user's.
        if (statement.kind !== 'var') edits.push({ start: statement.start, end: statement.start + statement.kind.length, text: 'var'.padEnd(statement.kind.length) });
        continue;
      }
      const parts = [];
      for (const declarator of statement.declarations) {
        boundNames(declarator.id).forEach((name) => hoisted.add(name));
        const target = code.slice(declarator.id.start, declarator.id.end);
        if (declarator.init) parts.push(`(${target} = ${code.slice(declarator.init.start, declarator.init.end)})`);
        else if (statement.kind !== 'var') parts.push(`(${target} = undefined)`);
      }
      edits.push({ start: statement.start, end: statement.end, text: parts.length ? `void (${parts.join(', ')});` : ';' });
    } else if (statement.type === 'ClassDeclaration') {
      const name = statement.id.name;
      const classText = code.slice(statement.start, statement.end);
      if (awaits) hoisted.add(name);
      edits.push({ start: statement.start, end: statement.end, text: awaits ? `${name} = ${classText};` : `var ${name} = ${classText};` });
    } else if (statement.type === 'FunctionDeclaration' && awaits) {
      hoisted.add(statement.id.name);
      functions.push(statement.id.name);
    }
  }
  if (awaits && hasResult) {
    edits.push({ start: last.start, end: last.end, text: `return { value: (${code.slice(last.expression.start, last.expression.end)}) };` });
  }
  let body = code;
  for (const edit of edits.sort((a, b) => b.start - a.start)) body = body.slice(0, edit.start) + edit.text + body.slice(edit.end);
  if (!awaits) return { source: body, hasResult };
  // Functions declared in the cell are hoisted inside the async body; publishing them first
  // makes them globals before any other statement runs, as they would be in a plain script.
  const declarations = hoisted.size ? `var ${[...hoisted].join(', ')}; ` : '';
  const publish = functions.map((name) => `globalThis.${name} = ${name}; `).join('');
  const prefix = `${declarations}(async () => { ${publish}`;
  return { source: `${prefix}${body}\n})()`, hasResult, awaits: true, prefixLength: prefix.length };
}

// --- describing values and errors ---------------------------------------------------------------

function utf8Cut(text, limit) {
  if (text.length * 3 <= limit) return { text, cut: false };
  const data = Buffer.from(text.slice(0, limit + 1), 'utf8');
  if (data.length <= limit && text.length <= limit) return { text, cut: false };
  return { text: new util.TextDecoder('utf-8').decode(data.subarray(0, limit)).replace(/\uFFFD$/, ''), cut: true };
}

function capped(text, what) {
  const { text: shown, cut } = utf8Cut(text, RESULT_LIMIT);
  if (!cut) return text;
  return `${shown}\n[tidepool: ${what} truncated to its first ${RESULT_LIMIT} bytes; the whole is ${text.length} characters. ` +
    "To get all of it, write it to a file in /mnt/data (e.g. require('fs').writeFileSync('/mnt/data/result.txt', String(value))) and download that file.]";
}

function inspect(value) {
  return util.inspect(value, { depth: 6, maxArrayLength: 200, maxStringLength: RESULT_LIMIT, breakLength: 80 });
}

/** The result fields of a response: JSON-native scalars as themselves, anything else as text. */
function resultFields(value, hasResult) {
  if (!hasResult || value === undefined) return { hasResult: false, result: null, repr: null };
  if (value === null) return { hasResult: true, result: null, repr: 'null' };
  if (typeof value === 'string') return { hasResult: true, result: capped(value, 'result'), repr: capped(inspect(value.slice(0, RESULT_LIMIT)), 'repr') };
  if (typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) return { hasResult: true, result: value, repr: String(value) };
  const text = capped(inspect(value), 'repr');
  return { hasResult: true, result: text, repr: text };
}

/**
 * Stack lines of the user's code only: the kernel's frames and Node's internals are dropped, and so
 * is the call of an await cell's wrapper, the one frame of a cell past its last line (`cellLines`).
 */
function userStack(stack, cellLines = Infinity) {
  const ours = __filename;
  const pastTheCell = (line) => {
    const match = /<cell-\d+>:(\d+):\d+\)?$/.exec(line);
    return match !== null && Number(match[1]) > cellLines;
  };
  return String(stack)
    .split('\n')
    .filter((line) => !(line.trimStart().startsWith('at ') && (line.includes(ours) || line.includes('node:internal') || line.includes('node:vm') || line.includes('tidepool-kernel') || line.includes('[eval]') || pastTheCell(line))))
    .join('\n');
}

function describeError(error, code) {
  if (error && typeof error === 'object' && error.code === 'ERR_SCRIPT_EXECUTION_INTERRUPTED') return interruptedError();
  if (error && typeof error === 'object' && typeof error.loc === 'object' && error instanceof SyntaxError && typeof error.raisedAt === 'number') {
    // acorn: "Unexpected token (2:4)" with loc {line, column}.
    const line = code.split('\n')[error.loc.line - 1] ?? '';
    const message = error.message.replace(/ \(\d+:\d+\)$/, '');
    return { type: 'SyntaxError', message, traceback: `${CELL_FILE(cellCount)}:${error.loc.line}\n${line}\n${' '.repeat(error.loc.column)}^\n\nSyntaxError: ${message}` };
  }
  if (error instanceof Error || (error && typeof error === 'object' && typeof error.stack === 'string')) {
    let type = 'Error';
    try {
      type = String(error.name || error.constructor?.name || 'Error');
    } catch {
      // A getter of user code threw: the generic name will do.
    }
    let message;
    try {
      message = String(error.message ?? '');
    } catch {
      message = '(the error message could not be read)';
    }
    return { type, message: capped(message, 'error message'), traceback: capped(userStack(error.stack, code ? code.split('\n').length : Infinity), 'traceback') };
  }
  return { type: 'Uncaught', message: capped(inspect(error), 'error message'), traceback: '' };
}

/**
 * describeError for any thrown value: a hostile one (a Proxy whose traps throw, an error whose
 * `stack` getter throws) gets a generic description instead of breaking the kernel.
 */
function describeThrown(thrown, code) {
  try {
    return describeError(thrown, code);
  } catch {
    return { type: 'Uncaught', message: 'a value that could not be described (reading it threw)', traceback: '' };
  }
}

/** One line for stderr about an error a cell left behind (a timer's throw, an unhandled rejection). */
function describeLeftover(label, thrown) {
  const { message, traceback } = describeThrown(thrown, '');
  return `${label} ${traceback || message}\n`;
}

function interruptedError() {
  return { type: INTERRUPTED, message: 'execution interrupted', traceback: '' };
}

// --- the kernel --------------------------------------------------------------------------------

let cellCount = 0;

class Kernel {
  constructor({ acorn, socket, dataDir, reapSessionProcesses, childOutputFds }) {
    this.acorn = acorn;
    this.socket = socket;
    this.dataDir = dataDir;
    this.reap = reapSessionProcesses;
    this.stdout = new StreamCapture();
    this.stderr = new StreamCapture();
    this.childOutput = childOutputFds && childOutputFds.length ? new ChildOutput(childOutputFds, [this.stdout, this.stderr]) : null;
    this.interrupt = null;
    this.queue = Promise.resolve();
  }

  start() {
    quietLoaderWarning();
    const stdout = captureStream(this.stdout, 1);
    const stderr = captureStream(this.stderr, 2);
    Object.defineProperty(process, 'stdout', { configurable: true, enumerable: true, get: () => stdout });
    Object.defineProperty(process, 'stderr', { configurable: true, enumerable: true, get: () => stderr });
    // The global console was made for the real streams: one on the captures replaces it.
    globalThis.console = new console.Console({ stdout, stderr });
    process.on('SIGINT', () => this.interrupt?.());
    // Errors of callbacks and promises a cell left behind go to the output, never end the kernel.
    process.on('uncaughtException', (error) => this.stderr.write(Buffer.from(describeLeftover('Uncaught', error))));
    process.on('unhandledRejection', (reason) => this.stderr.write(Buffer.from(describeLeftover('Uncaught (in promise)', reason))));
    const userRequire = createRequire(path.join(this.dataDir, 'cell.js'));
    Object.assign(globalThis, { require: userRequire, module: { exports: {}, require: userRequire }, __dirname: this.dataDir, __filename: path.join(this.dataDir, 'cell.js') });
    try {
      process.chdir(this.dataDir);
    } catch {
      // The data directory may not exist for a plain subprocess; the cells run where it started.
    }
    // The first cell would otherwise pay for compiling the parser and the kernel's own paths
    // (~6 ms): one cell without side effects runs before any request is read, so a session taken
    // from the ready pool answers its first cell as fast as its next.
    this.queue = this.execute('0', DEFAULT_OUTPUT_LIMIT).then(() => {
      cellCount = 0;
    });
    const reader = new FrameReader(
      (message) => {
        // A request that fails inside the kernel still gets an answer, and never stops the queue.
        this.queue = this.queue
          .then(() => this.handle(message))
          .catch((error) => this.sendKernelError(message, error))
          // Not even a failure could be sent (user code broke what sending uses): the host sees the exit at once.
          .catch(() => process.exit(70));
      },
      () => {
        this.socket.destroy();
        // Whatever a cell left running (a server, a timer) must not keep a kernel without a host alive.
        process.exit(2);
      },
    );
    this.socket.on('data', (chunk) => reader.push(chunk));
    this.socket.on('end', () => process.exit(0));
    this.socket.on('error', () => process.exit(1));
  }

  sendKernelError(request, error) {
    const id = request && typeof request === 'object' ? request.id : undefined;
    const { message } = describeThrown(error, '');
    this.send({ id, status: 'failure', stdout: this.stdout.take(), stderr: this.stderr.take(), hasResult: false, result: null, repr: null, images: [], error: { type: 'KernelError', message, traceback: '' }, durationMs: 0 });
  }

  send(message) {
    this.socket.write(encodeFrame(message));
  }

  async handle(request) {
    const id = request && typeof request === 'object' ? request.id : undefined;
    const op = request && typeof request === 'object' ? request.op : undefined;
    if (op === 'ping') return this.send({ id, pong: true, pid: process.pid });
    if (op !== 'execute') return this.send({ id, status: 'failure', error: { type: 'ProtocolError', message: `unknown op ${JSON.stringify(op)}`, traceback: '' } });
    const outputLimit = Number.isSafeInteger(request.outputLimit) && request.outputLimit > 0 ? request.outputLimit : DEFAULT_OUTPUT_LIMIT;
    const responseLimit = Math.max(Number.isSafeInteger(request.responseLimit) ? request.responseLimit : 0, MIN_RESPONSE_LIMIT);
    const response = await this.execute(typeof request.code === 'string' ? request.code : '', outputLimit);
    this.send(fitResponse({ id, ...response }, responseLimit));
  }

  async execute(code, outputLimit) {
    cellCount += 1;
    this.stdout.limit = outputLimit;
    this.stderr.limit = outputLimit;
    const started = performance.now();
    let value;
    let hasResult = false;
    let error = null;
    const stopFollowing = this.childOutput?.follow();
    try {
      ({ value, hasResult } = await this.run(code));
    } catch (thrown) {
      error = describeThrown(thrown, code);
    } finally {
      this.interrupt = null;
      stopFollowing?.();
    }
    const fields = error ? { hasResult: false, result: null, repr: null } : safeResultFields(value, hasResult);
    if (fields.error) error = fields.error;
    this.endLeftovers();
    this.childOutput?.take();
    return {
      status: error ? 'failure' : 'success',
      stdout: this.stdout.take(),
      stderr: this.stderr.take(),
      hasResult: fields.hasResult,
      result: fields.result,
      repr: fields.repr,
      images: [],
      error,
      durationMs: performance.now() - started,
    };
  }

  async run(code) {
    const { program, awaits } = parseCell(this.acorn, code);
    const { source, hasResult, prefixLength = 0 } = cellScript(code, program, awaits);
    const script = new vm.Script(source, {
      filename: CELL_FILE(cellCount),
      // The async wrapper's head shares the cell's first line: columns there are counted without it.
      columnOffset: -prefixLength,
      importModuleDynamically: vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER,
    });
    let interrupted;
    const stopped = new Promise((_resolve, reject) => {
      interrupted = () => reject(Object.assign(new Error('execution interrupted'), { code: 'ERR_SCRIPT_EXECUTION_INTERRUPTED' }));
    });
    // Until the synchronous part returns, breakOnSigint stops it (and our SIGINT listener rests).
    const completion = script.runInThisContext({ breakOnSigint: true, displayErrors: false });
    if (!awaits) return { value: completion, hasResult };
    this.interrupt = interrupted;
    const settled = await Promise.race([completion, stopped]);
    return { value: settled ? settled.value : undefined, hasResult };
  }

  /** In a session's own PID namespace, ends every process but PID 1 and this one after a cell. */
  endLeftovers() {
    if (!this.reap || ['1', 'true', 'yes'].includes(String(process.env[KEEP_PROCESSES_ENV] ?? '').trim().toLowerCase())) return;
    let entries;
    try {
      entries = fs.readdirSync('/proc');
    } catch {
      return;
    }
    for (const entry of entries) {
      const pid = Number(entry);
      if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid) continue;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
}

/**
 * Output of child processes. Descriptors 1 and 2 are in-memory files opened for appending
 * (memfd), which children inherit: a write to a file never blocks, so a child never stalls on a
 * full pipe while the cell waits for it without returning to the event loop (`execSync(...,
 * { stdio: 'inherit' })`), and no thread has to stand by to read. While a cell runs the kernel
 * reads what was appended every few milliseconds (so it interleaves with the cell's own output),
 * once more at the cell's end, and empties the files each time. An idle session does no work; what
 * a background child writes between cells is read with the next one. The files grow at most to the
 * session's file-size limit between two reads, and count against its memory.
 */
class ChildOutput {
  constructor(fds, captures) {
    this.files = fds.map((fd, index) => ({ fd, capture: captures[index] }));
    this.buffer = Buffer.allocUnsafe(64 * 1024);
  }

  /** Takes every few milliseconds until the returned function is called (while a cell runs). */
  follow() {
    const timer = timers.setInterval(() => this.take(), CHILD_OUTPUT_POLL_MS);
    return () => timers.clearInterval(timer);
  }

  /** Moves what the files hold into the captures (up to their limits, counting the rest), then empties them. */
  take() {
    for (const { fd, capture } of this.files) {
      try {
        let position = 0;
        for (let size = fs.fstatSync(fd).size; position < size; size = fs.fstatSync(fd).size) {
          while (position < size) {
            const room = capture.limit - capture.bytes;
            if (room <= 0) {
              capture.dropped += size - position;
              position = size;
              break;
            }
            const count = fs.readSync(fd, this.buffer, 0, Math.min(this.buffer.length, size - position, room), position);
            if (count <= 0) {
              position = size;
              break;
            }
            capture.write(Buffer.from(this.buffer.subarray(0, count)));
            position += count;
          }
        }
        // A write landing between the last size and this is lost: a window of microseconds.
        if (position > 0) fs.ftruncateSync(fd, 0);
      } catch {
        // A descriptor user code closed or replaced: that stream's child output is lost, never the cell.
      }
    }
  }
}

/**
 * Cells may `await import(...)`, which needs vm's main-context loader; Node flags that option as
 * experimental with a warning that would land in the first such cell's stderr. Only that warning
 * is dropped; any other reaches the cell that caused it.
 */
function quietLoaderWarning() {
  const emitWarning = process.emitWarning;
  process.emitWarning = function (warning, ...rest) {
    if (String(warning?.message ?? warning).includes('USE_MAIN_CONTEXT_DEFAULT_LOADER')) return;
    return emitWarning.call(process, warning, ...rest);
  };
}

/** Describing a value runs user code (getters, inspect hooks): a failure there is the cell's error. */
function safeResultFields(value, hasResult) {
  try {
    return resultFields(value, hasResult);
  } catch (error) {
    return { hasResult: false, result: null, repr: null, error: describeThrown(error, '') };
  }
}

/** The response within `limit` bytes of JSON: every text is cut to an equal share when over it. */
function fitResponse(response, limit) {
  const size = Buffer.byteLength(JSON.stringify(response), 'utf8');
  if (size <= limit) return response;
  const share = Math.max(256, Math.floor((limit - 16 * 1024) / 36));
  const note = `\n[tidepool: cut to fit the response's ${limit} byte limit]\n`;
  const cut = (text) => {
    if (typeof text !== 'string') return text;
    const { text: shown, cut: wasCut } = utf8Cut(text, share);
    return wasCut ? shown + note : text;
  };
  const error = response.error ? { type: cut(response.error.type), message: cut(response.error.message), traceback: cut(response.error.traceback) } : null;
  return { ...response, stdout: cut(response.stdout), stderr: cut(response.stderr), result: cut(response.result), repr: cut(response.repr), error };
}

/**
 * Starts the kernel. `socketFd` (one socket for both directions) or `inFd`/`outFd`.
 * `childOutputFds`: the in-memory files behind descriptors 1 and 2 (see ChildOutput).
 */
function main({ acorn, socketFd, inFd, outFd, dataDir, reapSessionProcesses = false, childOutputFds = [] }) {
  let socket;
  if (socketFd !== undefined) socket = new net.Socket({ fd: socketFd, readable: true, writable: true });
  else {
    // Pipes opened as sockets are read without blocking a thread of libuv's pool, which would
    // keep the process from exiting while a read waits.
    const input = new net.Socket({ fd: inFd, readable: true, writable: false });
    const output = new net.Socket({ fd: outFd, readable: false, writable: true });
    socket = { on: (event, listener) => input.on(event, listener), write: (data) => output.write(data), destroy: () => input.destroy() };
  }
  new Kernel({ acorn, socket, dataDir, reapSessionProcesses, childOutputFds }).start();
}

module.exports = { main, parseCell, cellScript, resultFields, describeError, userStack };

if (require.main === module) {
  const [inFd, outFd] = process.argv.slice(2).map(Number);
  if (!Number.isInteger(inFd) || !Number.isInteger(outFd)) {
    process.stderr.write('usage: node tidepool_kernel.cjs IN_FD OUT_FD\n');
    process.exit(2);
  }
  main({ acorn: require('acorn'), inFd, outFd, dataDir: process.env.TIDEPOOL_DATA_DIR || process.cwd() });
}
