/**
 * A NodeLTS pool end to end over real HTTP: `tidepool pool serve --container-type node` with bwrap
 * isolation. The reference's NodeLTS shapes (gen-1 `executionResult` beside `result`, gen-2
 * `result.executionResult`), state across executions, top-level await, console output, errors,
 * timeouts that keep the session, child-process output, files, metadata, and the refusal of
 * Shell bodies.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../../attacks/support/build.js';
import { GEN1, GEN2, PoolClient, parseJson } from '../../attacks/support/client.js';
import { plantCanary, PoolServer, type Canary } from '../../attacks/support/pool-server.js';

describe('NodeLTS pool over HTTP (bwrap)', () => {
  let server: PoolServer;
  let client: PoolClient;
  let canary: Canary;
  const id = () => `node-${randomUUID()}`;

  beforeAll(async () => {
    await ensureBuilt();
    canary = await plantCanary();
    server = await PoolServer.start(canary, { readySessions: 1, maxSessions: 6, maxExecutionSeconds: 60, extraArgs: ['--container-type', 'node'] });
    client = new PoolClient(server.url, server.key);
  }, 300_000);
  afterEach(async () => {
    // Frees the sessions a test used, so the pool's session limit never decides a later test.
    const identifiers = [...client.touched];
    client.touched.clear();
    await Promise.all(identifiers.map((identifier) => client.deleteSession(identifier, 20_000).catch(() => undefined)));
  }, 60_000);
  afterAll(async () => {
    client?.close();
    await server?.stop().catch(() => undefined);
    await canary?.dispose();
  }, 60_000);

  async function js(identifier: string, code: string, timeoutInSeconds = 60) {
    const run = await client.exec2(identifier, code, { timeoutInSeconds });
    expect(run.http, run.answer.text).toBe(200);
    return run;
  }

  it('answers gen-1 with the value in both result and executionResult (the NodeLTS readers), and gen-2 in result.executionResult', async () => {
    const identifier = id();
    const gen1 = await client.request('/code/execute', {
      method: 'POST',
      query: { 'api-version': GEN1, identifier },
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ properties: { codeInputType: 'inline', executionType: 'synchronous', code: 'const answer = 6 * 7; console.log("computed"); answer' } }),
    });
    expect(gen1.status, gen1.text).toBe(200);
    const properties = (parseJson(gen1) as { properties: Record<string, unknown> }).properties;
    expect(properties).toMatchObject({ status: 'Success', stdout: 'computed\n', stderr: '', result: 42, executionResult: 42 });

    const gen2 = await js(identifier, 'answer + 1');
    expect(gen2.status).toBe('Succeeded');
    expect(gen2.result).toBe(43);
    const body = parseJson(gen2.answer) as { result: Record<string, unknown> };
    expect(Object.keys(body.result).sort()).toEqual(['executionResult', 'executionTimeInMilliseconds', 'stderr', 'stdout']);
  }, 120_000);

  it('keeps state across executions, lets a cell be run again, and awaits at top level', async () => {
    const identifier = id();
    await js(identifier, 'let counter = 1; const items = ["a"]; function twice(n) { return 2 * n }');
    // The same declarations again, as a notebook cell run twice: no "already been declared".
    await js(identifier, 'let counter = 10; const items = ["b", "c"]; function twice(n) { return 2 * n }');
    expect((await js(identifier, 'twice(counter) + items.length')).result).toBe(22);
    const awaited = await js(identifier, 'const { delay } = { delay: (ms) => new Promise((r) => setTimeout(r, ms)) };\nawait delay(5);\nconst late = await Promise.resolve("later");\nlate.toUpperCase()');
    expect(awaited.result).toBe('LATER');
    expect((await js(identifier, 'typeof delay + " " + late')).result).toBe('function later');
    // Another session starts afresh.
    expect((await js(id(), 'typeof counter')).result).toBe('undefined');
  }, 120_000);

  it('types results as the service does: JSON values as themselves, no value as empty, anything else as text', async () => {
    const identifier = id();
    expect((await js(identifier, '"text"')).result).toBe('text');
    expect((await js(identifier, 'true')).result).toBe(true);
    expect((await js(identifier, 'null')).result).toBeNull();
    expect((await js(identifier, 'console.log(1)')).result).toBe('');
    expect((await js(identifier, 'let nothing = undefined')).result).toBe('');
    expect((await js(identifier, '({ a: 1, b: [1, 2] })')).result).toBe('{ a: 1, b: [ 1, 2 ] }');
    expect((await js(identifier, '2n ** 70n')).result).toBe('1180591620717411303424n');
    expect((await js(identifier, '0 / 0')).result).toBe('NaN');
  }, 120_000);

  it('reports an error with its stack (no kernel frames) in stderr and fails the execution', async () => {
    const identifier = id();
    const thrown = await js(identifier, 'function inner() { throw new RangeError("too far") }\ninner()');
    expect(thrown.status).toBe('Failed');
    expect(thrown.stderr).toMatch(/^RangeError: too far\n\s+at inner \(<cell-\d+>:1:\d+\)\n\s+at <cell-\d+>:2:1/);
    expect(thrown.stderr).not.toMatch(/tidepool|node:internal|node:vm/);

    const syntax = await js(identifier, 'let x = ;');
    expect(syntax.status).toBe('Failed');
    expect(syntax.stderr).toContain('SyntaxError: Unexpected token');
    expect(syntax.stderr).toContain('let x = ;');

    const rejected = await js(identifier, 'await Promise.reject(new TypeError("nope"))');
    expect(rejected.status).toBe('Failed');
    expect(rejected.stderr).toMatch(/^TypeError: nope/);
    // The session still works.
    expect((await js(identifier, '1 + 1')).result).toBe(2);
  }, 120_000);

  it('interrupts a synchronous loop and a pending await at the timeout, keeping the session and its variables', async () => {
    const identifier = id();
    await js(identifier, 'let kept = "still here"; let spins = 0');
    const loop = await js(identifier, 'while (true) { spins++ }', 2);
    expect(loop.status).toBe('Failed');
    expect(loop.stderr).toMatch(/TimeoutError: Execution exceeded timeoutInSeconds \(2 s/);
    expect(loop.stderr).toContain("session's variables are kept");
    const pending = await js(identifier, 'await new Promise(() => {})', 2);
    expect(pending.status).toBe('Failed');
    expect(pending.stderr).toContain('TimeoutError');
    const after = await js(identifier, 'kept + " " + (spins > 0)');
    expect(after.result).toBe('still here true');
    expect(after.stderr).toBe('');
  }, 120_000);

  it('captures console output in order, output of child processes, and uses /mnt/data through the file API', async () => {
    const identifier = id();
    const printed = await js(identifier, 'console.log("one"); process.stdout.write("two\\n"); console.info("three"); console.error("warn"); console.table([{ a: 1 }]); 0');
    expect(printed.stdout).toMatch(/^one\ntwo\nthree\n┌/);
    expect(printed.stderr).toBe('warn\n');
    const child = await js(identifier, 'require("child_process").execSync("echo from-child; echo child-err >&2", { stdio: "inherit" }); "done"');
    expect([child.stdout, child.stderr, child.result]).toEqual(['from-child\n', 'child-err\n', 'done']);
    const node = await js(identifier, 'require("child_process").execSync("node -p 40+2").toString().trim()');
    expect(node.result).toBe('42');

    await js(identifier, 'require("fs").writeFileSync("/mnt/data/report.txt", "from javascript"); process.cwd()');
    const listed = await client.request('/files', { query: { 'api-version': GEN2, identifier } });
    expect(listed.status).toBe(200);
    expect(listed.text).toContain('report.txt');
    const content = await client.request('/files/report.txt/content', { query: { 'api-version': GEN2, identifier } });
    expect(content.text).toBe('from javascript');
    expect((await js(identifier, 'process.cwd()')).result).toBe('/mnt/data');
  }, 120_000);

  it("says what it runs in its metadata, and refuses Shell bodies with a JavaScript example", async () => {
    const metadata = await client.request('/metadata', { query: { 'api-version': GEN2 } });
    expect(metadata.status).toBe(200);
    const body = parseJson(metadata) as { containerType: string; runtimes: { name: string; version: string }[] };
    expect(body.containerType).toBe('NodeLTS');
    expect(body.runtimes).toEqual([{ name: 'node', version: process.versions.node }]);

    const shell = await client.request('/executions', {
      method: 'POST',
      query: { 'api-version': GEN2, identifier: id() },
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ shellCommand: 'echo hi' }),
    });
    expect(shell.status).toBe(400);
    expect(shell.headers['x-ms-error-code']).toBe('SessionRequestNotSupported');
    expect(shell.text).toContain('this pool runs JavaScript (NodeLTS)');
  }, 120_000);
});
