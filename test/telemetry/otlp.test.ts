/**
 * Export happens only when OTEL_EXPORTER_OTLP_ENDPOINT is set: then spans and metrics reach an
 * OTLP/HTTP collector (here a loopback server that records what it receives); otherwise the SDK is
 * never even loaded. A bad endpoint is refused with the fix.
 */
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ConfigurationError } from '../../src/errors.js';
import { startTelemetryFromEnv } from '../../src/telemetry/otlp.js';
import { inSpan } from '../../src/telemetry/spans.js';
import { recordExecution } from '../../src/telemetry/metrics.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const received: { path: string; bytes: number }[] = [];
const collector = createServer((request, response) => {
  let bytes = 0;
  request.on('data', (chunk: Buffer) => (bytes += chunk.length));
  request.on('end', () => {
    received.push({ path: request.url ?? '', bytes });
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end('{}');
  });
});
let endpoint: string;

beforeAll(async () => {
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
});

afterAll(async () => {
  collector.closeAllConnections();
  await new Promise<void>((resolve) => collector.close(() => resolve()));
});

describe('OTLP export', () => {
  test('does nothing without an endpoint', async () => {
    expect(await startTelemetryFromEnv({})).toBeUndefined();
    expect(await startTelemetryFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: '  ' })).toBeUndefined();
  });

  test('refuses an endpoint that is not an http(s) URL, saying what to use', async () => {
    await expect(startTelemetryFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).rejects.toThrow(ConfigurationError);
    await expect(startTelemetryFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'grpc://127.0.0.1:4317' })).rejects.toThrow(/http or https/);
    await expect(startTelemetryFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_METRIC_EXPORT_INTERVAL: 'soon' })).rejects.toThrow(/whole number of milliseconds/);
  });

  test('sends spans and metrics to the collector at <endpoint>/v1/traces and /v1/metrics', async () => {
    const telemetry = await startTelemetryFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: `${endpoint}/`, OTEL_SERVICE_NAME: 'tidepool-test' });
    expect(telemetry).toBeDefined();
    await inSpan('tidepool.execute', { 'tidepool.backend': 'Local' }, async () => undefined);
    recordExecution('Local', 'success', 12);
    // Shutting down flushes both pipelines.
    await telemetry!.shutdown();
    expect(received.map((request) => request.path).sort()).toEqual(['/v1/metrics', '/v1/traces']);
    expect(received.every((request) => request.bytes > 0)).toBe(true);
  });
});

describe('no cost when not configured', () => {
  test('a cell run through the root entry and the CLI loads no OpenTelemetry code at all, not even the API', async () => {
    const hook =
      "import { registerHooks } from 'node:module'; const urls = []; registerHooks({ load(url, context, next) { urls.push(url); return next(url, context); } });";
    const library = `${hook} const { createSandbox } = await import('tidepool'); const sandbox = createSandbox('local'); await sandbox.session().execute('1 + 1'); await sandbox.close(); console.log(JSON.stringify(urls));`;
    const cli = `${hook} const { main } = await import('./dist/cli/main.js'); const { Writable } = await import('node:stream'); const sink = new Writable({ write(c, e, cb) { cb(); } }); const code = await main(['node', 'tidepool', 'exec', '--sandbox', 'local', '1 + 1'], { stdout: sink, stderr: sink, env: { PATH: process.env.PATH } }); if (code !== 0) throw new Error('exec exited ' + code); console.log(JSON.stringify(urls));`;
    for (const source of [library, cli]) {
      const loaded = JSON.parse(await script(source)) as string[];
      expect(loaded.some((url) => /\/src\/|\/dist\//.test(url)), 'the script ran Tidepool').toBe(true);
      expect(loaded.filter((url) => url.includes('/node_modules/@opentelemetry/'))).toEqual([]);
    }
  }, 60_000);
});

function script(source: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', source], { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: process.env.HOME } }, (error, stdout, stderr) =>
      error ? reject(new Error(stderr || error.message)) : resolve(stdout),
    );
  });
}
