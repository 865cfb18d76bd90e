/**
 * AutoGen `ACADynamicSessionsCodeExecutor` (microsoft/autogen,
 * python/packages/autogen-ext/src/autogen_ext/code_executors/azure/_azure_container_code_executor.py), over aiohttp:
 * - URLs: endpoint + "/" + path + `?api-version=2024-02-02-preview&identifier=<raw uuid>` (api-version first);
 * - every code block: POST `code/execute` with Authorization and Content-Type, body
 *   `{"properties": {"codeInputType": "inline", "executionType": "synchronous", "code": …}}`;
 *   output = `stderr` + `stdout` (default "") and, when "Success" is in `status`, `str(result)`;
 *   "Failure" in `status` → exit code 1;
 * - before the first block: the package list (`pkg_resources.working_set` as a list, parsed by
 *   stripping "[]" and splitting on ",\n"), then `os.chdir('/mnt/data')`;
 * - upload_files: `files/upload` with the basename; get_file_list: `value[].properties.filename`;
 *   download_files: only listed names, `files/content/<name>`.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aiohttpMultipart, ENDPOINT, KEY, pythonJson, pythonStr, startClientPool, type ClientPool } from './replay.js';

const AIOHTTP_DEFAULTS = { Accept: '*/*', 'Accept-Encoding': 'gzip, deflate', 'User-Agent': 'Python/3.11 aiohttp/3.9.5' };

let pool: ClientPool;
beforeAll(async () => {
  pool = await startClientPool();
});
afterAll(async () => {
  await pool?.close();
});

class ReplayedExecutor {
  sessionId = randomUUID();

  url(path: string): string {
    return `${ENDPOINT}/${path}?api-version=2024-02-02-preview&identifier=${this.sessionId}`;
  }

  /** _execute_code_dont_check_setup for one python block: (exit code, output). */
  async executeBlock(code: string): Promise<{ exitCode: number; output: string }> {
    const response = await pool.send({
      method: 'POST',
      url: this.url('code/execute'),
      headers: { ...AIOHTTP_DEFAULTS, Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json' },
      body: pythonJson({ properties: { codeInputType: 'inline', executionType: 'synchronous', code } }),
    });
    if (!response.ok) throw new Error('Error while sending code block to endpoint');
    const data = ((await response.json()) as { properties: Record<string, unknown> }).properties;
    let output = String(data.stderr ?? '') + String(data.stdout ?? '');
    let exitCode = 0;
    const status = String(data.status);
    if (status.includes('Success')) {
      const result = data.result;
      output += result !== null && typeof result === 'object' ? JSON.stringify(result) : pythonStr(result as string | number | boolean | null);
    } else if (status.includes('Failure')) exitCode = 1;
    return { exitCode, output };
  }

  /** get_available_packages, then _setup_cwd: what execute_code_blocks does before the first block. */
  async setUp(): Promise<Set<string>> {
    // The executor's triple-quoted string: its "\n" is a real line break.
    const packages = await this.executeBlock('\nimport pkg_resources\n[d.project_name for d in pkg_resources.working_set]\n');
    if (packages.exitCode !== 0) throw new Error(`Failed to get list of available packages: ${packages.output.trim()}`);
    const names = new Set(
      packages.output
        .replace(/^[[\]]+|[[\]]+$/g, '')
        .split(',\n')
        .map((name) => name.replace(/^[ ']+|[ ']+$/g, '')),
    );
    const cwd = await this.executeBlock("import os; os.chdir('/mnt/data')");
    if (cwd.exitCode !== 0) throw new Error('Failed to set up Azure container working directory');
    return names;
  }
}

describe('AutoGen ACADynamicSessionsCodeExecutor', () => {
  const executor = new ReplayedExecutor();

  it('lists the session\'s packages in the ",\\n" form it parses, and moves into /mnt/data', async () => {
    const packages = await executor.setUp();
    for (const name of ['numpy', 'pandas', 'matplotlib']) expect([...packages].some((entry) => entry.toLowerCase() === name), name).toBe(true);
    expect((await executor.executeBlock('import os\nos.getcwd()')).output).toBe('/mnt/data');
  });

  it('runs blocks with state, appends str(result), and gives exit code 1 on an exception', async () => {
    expect(await executor.executeBlock('total = sum(range(10))\nprint("ok")')).toEqual({ exitCode: 0, output: 'ok\n' });
    expect(await executor.executeBlock('total')).toEqual({ exitCode: 0, output: '45' });
    // None adds nothing (str(None) would add "None" to the model's view).
    expect(await executor.executeBlock('None')).toEqual({ exitCode: 0, output: '' });
    const failed = await executor.executeBlock('int("x")');
    expect(failed.exitCode).toBe(1);
    expect(failed.output).toContain('ValueError');
  });

  it('uploads by basename, lists the names, and downloads only listed files', async () => {
    const upload = aiohttpMultipart('input.json', '{"k": 2}');
    const uploaded = await pool.send({ method: 'POST', url: executor.url('files/upload'), headers: { ...AIOHTTP_DEFAULTS, Authorization: `Bearer ${KEY}`, 'Content-Type': upload.contentType }, body: upload.body });
    expect(uploaded.status).toBe(200);
    await executor.executeBlock("import json\njson.dump({'k': json.load(open('input.json'))['k'] ** 3}, open('output.json', 'w'))");
    const list = (await (await pool.send({ method: 'GET', url: executor.url('files'), headers: { ...AIOHTTP_DEFAULTS, Authorization: `Bearer ${KEY}` } })).json()) as { value: { properties: { filename: string } }[] };
    const available = list.value.map((value) => value.properties.filename);
    expect(available.sort()).toEqual(['input.json', 'output.json']);
    const download = await pool.send({ method: 'GET', url: executor.url('files/content/output.json'), headers: { ...AIOHTTP_DEFAULTS, Authorization: `Bearer ${KEY}` } });
    expect(await download.json()).toEqual({ k: 8 });
  });

  it('starts a fresh session after restart()', async () => {
    executor.sessionId = randomUUID();
    expect((await executor.executeBlock('total')).exitCode).toBe(1);
  });
});
