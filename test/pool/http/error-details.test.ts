/** Error answers never carry tracebacks, host paths or process details; the log keeps them under the traceId. */
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { scrubDetail } from '../../../src/pool/http/errors.js';
import { resolvePoolSettings } from '../../../src/pool/settings.js';
import { PoolError, type ExecuteOutcome, type PoolFileInfo } from '../../../src/pool/types.js';
import { MemoryStream } from '../../support/streams.js';
import { createHarness, gen1Exec, gen2Exec, pollExecution, V1, V3, type Harness } from './app-harness.js';
import { FakeSessionManager } from './fake-session-manager.js';

const SECRET_DETAIL =
  'zygote exited with status 1: Traceback (most recent call last):\n  File "/opt/tidepool/python/tidepool_zygote.py", line 161, in fork_session\n' +
  "    os.unshare(CLONE_NEWNET)\nPermissionError: [Errno 1] Operation not permitted: '/tmp/tidepool-pool-4f2a/sessions/17' (pid 48213)";

/** The fake runtime, with chosen operations failing the way a broken zygote makes them fail. */
class FailingManager extends FakeSessionManager {
  failWith: unknown = new Error(SECRET_DETAIL);

  override async execute(): Promise<ExecuteOutcome> {
    throw this.failWith;
  }

  override async readFile(): Promise<{ info: PoolFileInfo; stream: Readable }> {
    const stream = new Readable({ read() {} });
    stream.push('first bytes ');
    setTimeout(() => stream.destroy(new Error(SECRET_DETAIL)), 20);
    return { info: { name: 'data.bin', type: 'file', sizeBytes: 1000, lastModified: new Date() }, stream };
  }
}

function expectNoInternals(text: string): void {
  for (const leak of ['Traceback', '/opt/tidepool', '/tmp/tidepool-pool', 'tidepool_zygote', '48213', 'os.unshare', 'at ']) expect(text).not.toContain(leak);
}

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function failing(failWith: unknown) {
  const log = new MemoryStream();
  const manager = new FailingManager(resolvePoolSettings({ maxSessions: 5, readySessions: 0 }, {}));
  manager.failWith = failWith;
  harness = await createHarness({ manager, logger: pino({ level: 'info' }, log) });
  return { pool: harness, log };
}

describe('error answers', () => {
  it.each([
    ['an unexpected error', new Error(SECRET_DETAIL), 'InternalServerError'],
    ['a runtime internal error', new PoolError('internal', SECRET_DETAIL), 'InternalServerError'],
    ['a lost session', new PoolError('session_lost', SECRET_DETAIL), 'SessionLost'],
  ])('answer %s with 500, a generic message and the traceId, and log the detail under it', async (_label, failWith, code) => {
    const { pool, log } = await failing(failWith);
    const response = await pool.json(`/code/execute?identifier=leaky&${V1}`, gen1Exec('1'));
    const text = await response.text();
    expect(response.status).toBe(500);
    expect(response.headers.get('x-ms-error-code')).toBe(code);
    expectNoInternals(text);
    const { error } = JSON.parse(text) as { error: { code: string; message: string; traceId: string } };
    expect(error.code).toBe(code);
    expect(error.traceId).toBe(response.headers.get('x-ms-request-id'));
    expect(error.message).toContain('traceId');
    const logged = log.text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { traceId?: string; err?: { message: string; stack: string } });
    const detail = logged.find((line) => line.traceId === error.traceId && line.err);
    expect(detail?.err?.message).toContain('Operation not permitted');
    expect(detail?.err?.stack).toBeTruthy();
  });

  it('keeps a lost session actionable: send the request again', async () => {
    const { pool } = await failing(new PoolError('session_lost', SECRET_DETAIL));
    const { error } = (await (await pool.json(`/code/execute?identifier=leaky&${V1}`, gen1Exec('1'))).json()) as { error: { message: string } };
    expect(error.message).toContain('send the request again');
  });

  it('answers a pool that is shutting down with a retryable 503, not an internal error', async () => {
    const { pool } = await failing(new PoolError('unavailable', 'The session pool is shutting down; retry against a running pool.'));
    const response = await pool.json(`/code/execute?identifier=late&${V1}`, gen1Exec('1'));
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(response.headers.get('x-ms-error-code')).toBe('ServiceUnavailable');
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain('shutting down; send the request again');
  });

  it('scrubs a runtime 4xx message of tracebacks and host paths but keeps /mnt/data names', async () => {
    const { pool } = await failing(new PoolError('not_found', `No file "/mnt/data/report.csv" here; looked in '/srv/pool/sessions/9/data' ${SECRET_DETAIL}`));
    const response = await pool.json(`/code/execute?identifier=leaky&${V1}`, gen1Exec('1'));
    const text = await response.text();
    expect(response.status).toBe(404);
    expectNoInternals(text);
    expect(text).not.toContain('/srv/pool');
    expect(text).toContain('/mnt/data/report.csv');
  });

  it('records a generic message on an asynchronous execution that failed inside the pool', async () => {
    const { pool } = await failing(new PoolError('internal', SECRET_DETAIL));
    const started = await pool.json(`/executions?identifier=leaky&${V3}`, gen2Exec('1', { executionType: 'Asynchronous' }));
    const { id } = (await started.json()) as { id: string };
    const body = await pollExecution(pool, `/executions/${id}?identifier=leaky&${V3}`);
    expect(body).toMatchObject({ status: 'Failed', error: { code: 'InternalServerError' } });
    expectNoInternals(JSON.stringify(body));
  });

  it('breaks a download whose file cannot be read without passing on the reason', async () => {
    const { pool, log } = await failing(new Error('unused'));
    const response = await pool.request(`/files/content/data.bin?identifier=leaky&${V1}`);
    expect(response.status).toBe(200);
    const failure = await response.text().then(
      () => undefined,
      (error: unknown) => error as Error,
    );
    expect(failure).toBeInstanceOf(Error);
    expectNoInternals(`${failure?.message} ${String((failure?.cause as Error | undefined)?.message)}`);
    expect(log.text).toContain('file download failed');
  });
});

describe('scrubDetail', () => {
  it('cuts tracebacks, replaces host paths, keeps /mnt/data, and makes one bounded line', () => {
    expect(scrubDetail("No such file: '/run/tidepool/x' and \"/mnt/data/a b.csv\"\nTraceback (most recent call last):\n  File \"/usr/lib/x.py\"")).toBe(
      "No such file: '<path>' and \"/mnt/data/a b.csv\"",
    );
    expect(scrubDetail('files/upload and /mnt/data and (/home/me/.ssh/id_rsa)')).toBe('files/upload and /mnt/data and (<path>)');
    expect(scrubDetail('x'.repeat(5000)).length).toBeLessThanOrEqual(601);
  });
});
