/**
 * LangChain.js `@langchain/azure-dynamic-sessions` 0.2.0 `SessionsPythonREPLTool`
 * (langchain-ai/langchainjs, libs/langchain-azure-dynamic-sessions/src/tools.ts; no longer on the
 * npm registry, so replayed): `_buildUrl(path)` = endpoint + "/" if missing + path +
 * `?identifier=<encodeURIComponent(id)>&api-version=2024-02-02-preview`; `_call` POSTs
 * `JSON.stringify({properties:{codeInputType, executionType, code}})` with Content-Type,
 * Authorization and its User-Agent, throws unless `response.ok`, and returns
 * `JSON.stringify({result, stdout, stderr}, null, 2)` from `properties`; uploadFile sends a FormData
 * part `file` and returns `value[0].properties`; listFiles maps `value[].properties`; downloadFile
 * GETs `files/content/<remoteFilename>` unencoded and returns the blob.
 */
import { randomUUID as uuidv4 } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENDPOINT, KEY, startClientPool, type ClientPool } from './replay.js';

const USER_AGENT = `langchainjs-azure-dynamic-sessions @langchain/azure-dynamic-sessions/0.2.0 (Language=JavaScript; node.js/${process.version}; ${process.platform}; ${process.arch})`;

let pool: ClientPool;
beforeAll(async () => {
  pool = await startClientPool();
});
afterAll(async () => {
  await pool?.close();
});

class ReplayedTool {
  readonly sessionId = uuidv4();

  buildUrl(path: string): string {
    let url = `${ENDPOINT}${ENDPOINT.endsWith('/') ? '' : '/'}${path}`;
    url += url.includes('?') ? '&' : '?';
    url += `identifier=${encodeURIComponent(this.sessionId)}`;
    url += '&api-version=2024-02-02-preview';
    return url;
  }

  async call(pythonCode: string, token = KEY): Promise<string> {
    const response = await pool.send({
      method: 'POST',
      url: this.buildUrl('code/execute'),
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}`, 'User-Agent': USER_AGENT },
      body: JSON.stringify({ properties: { codeInputType: 'inline', executionType: 'synchronous', code: pythonCode } }),
    });
    if (!response.ok) throw new Error(`HTTP error! status: ${response.status}`);
    const { properties } = (await response.json()) as { properties: Record<string, unknown> };
    return JSON.stringify({ result: properties.result, stdout: properties.stdout, stderr: properties.stderr }, null, 2);
  }

  async uploadFile(data: Blob, remoteFilename: string): Promise<Record<string, unknown>> {
    const formData = new FormData();
    formData.append('file', data, remoteFilename);
    const response = await pool.send({ method: 'POST', url: this.buildUrl('files/upload'), headers: { Authorization: `Bearer ${KEY}`, 'User-Agent': USER_AGENT }, body: formData });
    if (!response.ok) throw new Error(`HTTP error! status: ${response.status}`);
    return ((await response.json()) as { value: { properties: Record<string, unknown> }[] }).value[0]!.properties;
  }

  async listFiles(): Promise<Record<string, unknown>[]> {
    const response = await pool.send({ method: 'GET', url: this.buildUrl('files'), headers: { Authorization: `Bearer ${KEY}`, 'User-Agent': USER_AGENT } });
    return ((await response.json()) as { value: { properties: Record<string, unknown> }[] }).value.map((entry) => entry.properties);
  }

  async downloadFile(remoteFilename: string): Promise<Blob> {
    const response = await pool.send({ method: 'GET', url: this.buildUrl(`files/content/${remoteFilename}`), headers: { Authorization: `Bearer ${KEY}`, 'User-Agent': USER_AGENT } });
    if (!response.ok) throw new Error(`HTTP error! status: ${response.status}`);
    return response.blob();
  }
}

describe('LangChain.js SessionsPythonREPLTool', () => {
  const tool = new ReplayedTool();

  it('returns result, stdout and stderr, with state across calls', async () => {
    expect(JSON.parse(await tool.call('6 * 7'))).toEqual({ result: 42, stdout: '', stderr: '' });
    await tool.call('total = 10');
    expect(JSON.parse(await tool.call('print(total + 1)\ntotal'))).toEqual({ result: 10, stdout: '11\n', stderr: '' });
    expect(JSON.parse(await tool.call('None')).result).toBe('');
  });

  it('uploads, lists with the wire field names, and downloads what code wrote', async () => {
    const metadata = await tool.uploadFile(new Blob(['hello']), 'greeting.txt');
    expect(metadata).toMatchObject({ filename: 'greeting.txt', size: 5, lastModifiedTime: expect.stringMatching(/Z$/) as string });
    await tool.call("open('/mnt/data/shout.txt', 'w').write(open('/mnt/data/greeting.txt').read().upper())");
    expect((await tool.listFiles()).map((file) => file.filename).sort()).toEqual(['greeting.txt', 'shout.txt']);
    expect(await (await tool.downloadFile('shout.txt')).text()).toBe('HELLO');
  });

  it('throws on a wrong token, as the tool does for any non-2xx answer', async () => {
    await expect(tool.call('1', 'wrong-token')).rejects.toThrow('HTTP error! status: 401');
  });
});
