/**
 * LlamaIndex.TS `AzureDynamicSessionTool` from the npm package `@llamaindex/azure` 0.2.1 (a
 * devDependency), driving a real pool over loopback. The tool executes with the legacy
 * `POST {endpoint}/python/execute?identifier=…&api-version=2024-02-02-preview` and body
 * `{"properties":{"identifier","codeInputType":"inline","executionType":"synchronous","pythonCode"}}`,
 * reads `result`, `stdout` and `stderr` at the top level, and, when `result` is not a string, reads
 * `result.type` (so a null result would throw); its files use the gen-1 routes.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { AzureDynamicSessionTool } from '@llamaindex/azure';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startPoolServer, type RunningPoolServer } from '../../src/pool/index.js';
import { KEY } from './replay.js';

interface ToolOutput {
  result: unknown;
  stdout: string;
  stderr: string;
  status?: string;
}

let server: RunningPoolServer;
let endpoint: string;
let outputDir: string;
let log = '';

beforeAll(async () => {
  // The tool logs every payload and answer with console.log.
  vi.spyOn(console, 'log').mockImplementation(() => undefined);
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      log += chunk.toString('utf8');
      done();
    },
  });
  server = await startPoolServer({ port: 0, apiKeys: [KEY], readySessions: 1, maxSessions: 4, logger: pino({ level: 'info' }, stream), env: {} });
  endpoint = `${server.url}/subscriptions/sub/resourceGroups/rg/sessionPools/pool`;
  outputDir = await mkdtemp(path.join(os.tmpdir(), 'tidepool-llamaindex-ts-'));
}, 120_000);
afterAll(async () => {
  vi.restoreAllMocks();
  await server?.close();
  if (outputDir) await rm(outputDir, { recursive: true, force: true });
});

function newTool(token = KEY): AzureDynamicSessionTool {
  const tool = new AzureDynamicSessionTool({ poolManagementEndpoint: endpoint, azureADTokenProvider: () => Promise.resolve(token) });
  // Saved figures go here instead of ./tool-output in the working directory.
  (tool as unknown as { outputDir: string }).outputDir = outputDir;
  return tool;
}

const call = async (tool: AzureDynamicSessionTool, code: string) => (await tool.call({ code })) as unknown as ToolOutput;

describe('LlamaIndex.TS AzureDynamicSessionTool (@llamaindex/azure 0.2.1)', () => {
  let tool: AzureDynamicSessionTool;
  beforeAll(() => {
    tool = newTool();
  });

  it('prints, and keeps state across calls', async () => {
    expect(await call(tool, "print('hello from llamaindex')")).toMatchObject({ status: 'Success', result: '', stdout: 'hello from llamaindex\n', stderr: '' });
    await call(tool, 'x = 21');
    expect((await call(tool, 'x * 2')).result).toBe(42);
  });

  it('returns every kind of last value without tripping over result.type, None included', async () => {
    for (const [code, expected] of [
      ['None', ''],
      ['y = None\ny', ''],
      ["'text'", 'text'],
      ["{'a': 1}", "{'a': 1}"],
      ['1 < 2', true],
      ['2.5', 2.5],
    ] as const) {
      const output = await call(tool, code);
      expect(output.stderr, code).toBe('');
      expect(output.result, code).toEqual(expected);
    }
  });

  it('reports an exception with its traceback in stderr', async () => {
    const output = await call(tool, "def f():\n    raise ValueError('bad input')\nf()");
    expect(output).toMatchObject({ status: 'Failure', result: '' });
    expect(output.stderr).toContain('ValueError: bad input');
  });

  it('uploads a file that code then reads', async () => {
    const metadata = (await tool.uploadFile({ data: new Blob(['name,score\nada,3\nbob,4\n']), remoteFilename: 'scores.csv' })) as unknown as Record<string, unknown>;
    expect(metadata).toMatchObject({ filename: 'scores.csv', size: 23 });
    expect((await call(tool, "import pandas as pd\nint(pd.read_csv('/mnt/data/scores.csv').score.sum())")).result).toBe(7);
    const files = (await tool.listFiles()) as unknown as { filename: string }[];
    expect(files.map((file) => file.filename)).toContain('scores.csv');
  });

  it('downloads a file that code wrote', async () => {
    await call(tool, "open('/mnt/data/summary.txt', 'w').write('total=7')");
    const stream = (await tool.downloadFile({ remoteFilename: 'summary.txt' })) as unknown as ReadableStream<Uint8Array>;
    expect(await new Response(stream).text()).toBe('total=7');
  });

  it('saves a figure to disk and answers with its path', async () => {
    const output = await call(tool, 'import matplotlib.pyplot as plt\nplt.plot([1, 4, 9])\nplt.show()');
    expect(typeof output.result).toBe('string');
    expect(output.result as string).toContain(outputDir);
    const saved = (await readdir(outputDir)).filter((name) => name.endsWith('.png'));
    expect(saved).toHaveLength(1);
    expect((await readFile(path.join(outputDir, saved[0]!))).subarray(1, 4).toString()).toBe('PNG');
  });

  it('reports a wrong token as a failed call (the 401 body has no result) and fails to list files', async () => {
    const intruder = newTool('not-the-key');
    const output = await call(intruder, '6 * 7');
    expect(output.result).toBe('');
    expect(output.stderr).toContain('Failed to execute Python code');
    await expect(intruder.listFiles()).rejects.toThrow('listFiles');
  });

  it('was logged once as a legacy client, however many calls it made', () => {
    const lines = log
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { msg: string; userAgent?: string })
      .filter((line) => line.msg.startsWith('legacy python/* API used'));
    expect(lines).toHaveLength(1);
    expect(lines[0]!.userAgent).toMatch(/^@llamaindex\/azure\/0\.2\.1 \(Language=TypeScript; node\.js\//);
  });
});
