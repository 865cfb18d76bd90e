/** Uploads whose Content-Type is not multipart/form-data: a multipart body is recognised by its first line, anything else is a 400. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, V1, type Harness } from './app-harness.js';

let pool: Harness;
beforeAll(async () => {
  pool = await createHarness();
});
afterAll(async () => {
  await pool?.close();
});

const boundary = '0b7f0c6c3d2a4e6f9a1b2c3d4e5f6a7b';
const body = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="/mnt/data/labelled.txt"\r\nContent-Type: application/octet-stream\r\n\r\nhello\r\n--${boundary}--\r\n`;

describe('upload Content-Type', () => {
  it('stores a multipart body sent as application/json (Semantic Kernel Python after an execution)', async () => {
    const response = await pool.request(`/files/upload?identifier=sniff&${V1}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(response.status).toBe(200);
    const uploaded = (await response.json()) as { value: { properties: { filename: string; size: number } }[] };
    expect(uploaded.value[0]!.properties).toMatchObject({ filename: 'labelled.txt', size: 5 });
  });

  it('refuses a body that is not multipart, naming the Content-Type it got', async () => {
    const response = await pool.request(`/files/upload?identifier=sniff&${V1}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"file": "hello"}' });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain('"application/json"');
    const empty = await pool.request(`/files/upload?identifier=sniff&${V1}`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '' });
    expect(empty.status).toBe(400);
  });
});
