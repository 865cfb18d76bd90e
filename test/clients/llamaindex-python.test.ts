/**
 * LlamaIndex Python `AzureCodeInterpreterToolSpec` (run-llama/llama_index,
 * llama-index-integrations/tools/llama-index-tools-azure-code-interpreter/…/base.py):
 * - URLs like LangChain's: `?identifier=<quote(id)>&api-version=2024-02-02-preview`;
 * - code_interpreter: sanitises the code and appends "\n", POSTs the gen-1 body with Authorization,
 *   Content-Type and `User-Agent: llamaindex-azure-code-interpreter/<ver> (Language=Python)`, returns
 *   the whole JSON; when `properties.result` is truthy and a dict with `base64_data`, saves the image
 *   as `<session>_<time>.<format>` (or blanks `base64_data`);
 * - upload_file: multipart filename `/mnt/data/<basename>`, Authorization only, reads
 *   `value[].properties` with `data["filename"]` and `data["size"]` (KeyError if missing);
 * - list_files: `files` → `value[].properties`; download_file_to_local: strips `/mnt/data/`, GETs `files/content/<rest>`.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENDPOINT, KEY, PYTHON_REQUESTS_HEADERS, pythonJson, pythonMultipart, startClientPool, type ClientPool } from './replay.js';

const USER_AGENT = 'llamaindex-azure-code-interpreter/0.3.0 (Language=Python)';

let pool: ClientPool;
beforeAll(async () => {
  pool = await startClientPool();
});
afterAll(async () => {
  await pool?.close();
});

const url = (sessionId: string, path: string) => `${ENDPOINT}/${path}?identifier=${encodeURIComponent(sessionId)}&api-version=2024-02-02-preview`;

/** _sanitize_input */
function sanitize(query: string): string {
  const stripped = query.replace(/^(\s|`)*(python)?\s*/i, '').replace(/(\s|`)*$/, '');
  return stripped.endsWith('\n') ? stripped : `${stripped}\n`;
}

async function codeInterpreter(sessionId: string, pythonCode: string): Promise<{ properties: Record<string, unknown>; savedImage?: { format: string; bytes: number } }> {
  const response = await pool.send({
    method: 'POST',
    url: url(sessionId, 'code/execute'),
    headers: { 'User-Agent': USER_AGENT, ...PYTHON_REQUESTS_HEADERS, Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json' },
    body: pythonJson({ properties: { codeInputType: 'inline', executionType: 'synchronous', code: sanitize(pythonCode) } }),
  });
  expect(response.status).toBe(200);
  const json = (await response.json()) as { properties: Record<string, unknown> };
  const result = json.properties.result;
  // `if "result" in … and properties["result"]:` then `isinstance(result, dict)` and "base64_data" in it.
  if (result && typeof result === 'object' && 'base64_data' in result) {
    const image = result as { base64_data: string; format: string };
    return { properties: json.properties, savedImage: { format: image.format, bytes: Buffer.from(image.base64_data, 'base64').length } };
  }
  return { properties: json.properties };
}

describe('LlamaIndex Python AzureCodeInterpreterToolSpec', () => {
  const session = randomUUID();

  it('runs fenced code from a model (sanitised, with the appended newline) and keeps state', async () => {
    const first = await codeInterpreter(session, '```python\nimport math\nradius = 2\nprint(round(math.pi * radius ** 2, 2))\n```');
    expect(first.properties).toMatchObject({ status: 'Success', stdout: '12.57\n', result: '' });
    expect((await codeInterpreter(session, 'radius + 1')).properties.result).toBe(3);
    expect((await codeInterpreter(session, 'None')).properties.result).toBe('');
  });

  it('finds base64_data in a figure result and can save it as an image file', async () => {
    const { savedImage } = await codeInterpreter(session, 'import matplotlib.pyplot as plt\nplt.bar(["a", "b"], [3, 5])\nplt.show()');
    expect(savedImage?.format).toBe('png');
    expect(savedImage!.bytes).toBeGreaterThan(1000);
  });

  it('uploads under /mnt/data/<basename>, parses filename and size, lists, downloads', async () => {
    const upload = pythonMultipart('/mnt/data/matrix.txt', '1 2\n3 4\n');
    const response = await pool.send({ method: 'POST', url: url(session, 'files/upload'), headers: { ...PYTHON_REQUESTS_HEADERS, Authorization: `Bearer ${KEY}`, 'Content-Type': upload.contentType }, body: upload.body });
    expect(response.status).toBe(200);
    const metadata = ((await response.json()) as { value: { properties?: { filename: string; size: number } }[] }).value.filter((entry) => entry.properties).map((entry) => entry.properties!);
    expect(metadata.map((file) => [file.filename, file.size, file.filename.startsWith('/mnt/data') ? file.filename : `/mnt/data/${file.filename}`])).toEqual([['matrix.txt', 8, '/mnt/data/matrix.txt']]);
    await codeInterpreter(session, "import numpy as np\nnp.savetxt('/mnt/data/doubled.txt', np.loadtxt('/mnt/data/matrix.txt') * 2, fmt='%d')");
    const list = (await (await pool.send({ method: 'GET', url: url(session, 'files'), headers: { ...PYTHON_REQUESTS_HEADERS, Authorization: `Bearer ${KEY}` } })).json()) as { value: { properties: { filename: string; size: number } }[] };
    expect(list.value.map((entry) => entry.properties.filename).sort()).toEqual(['doubled.txt', 'matrix.txt']);
    const remote = '/mnt/data/doubled.txt'.replace('/mnt/data/', '');
    const download = await pool.send({ method: 'GET', url: url(session, `files/content/${remote}`), headers: { ...PYTHON_REQUESTS_HEADERS, Authorization: `Bearer ${KEY}` } });
    expect(await download.text()).toBe('2 4\n6 8\n');
  });
});
