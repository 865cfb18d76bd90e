/** The few ACA gen-1 calls the scale-out test makes, each answer returned whole for checking. */
export const API = 'api-version=2024-02-02-preview';
export const LIST_API = 'api-version=2025-02-02-preview';

export interface Answer {
  status: number;
  errorCode: string | undefined;
  retryAfter: string | null;
  body: Record<string, unknown>;
  text: string;
}

async function answer(response: Response): Promise<Answer> {
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // Downloads are not JSON; `text` holds them.
  }
  return { status: response.status, errorCode: response.headers.get('x-ms-error-code') ?? undefined, retryAfter: response.headers.get('retry-after'), body, text };
}

const query = (identifier: string, api = API) => `${api}&identifier=${encodeURIComponent(identifier)}`;

export async function execute(base: string, identifier: string, code: string): Promise<Answer> {
  const response = await fetch(`${base}/code/execute?${query(identifier)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ properties: { codeInputType: 'inline', executionType: 'synchronous', code } }),
  });
  return answer(response);
}

/** The stdout of a successful execution, or a description of what came back instead. */
export function stdoutOf(result: Answer): string {
  const properties = result.body.properties as { status?: string; stdout?: string } | undefined;
  if (result.status !== 200 || properties?.status !== 'Success') return `<HTTP ${result.status} ${result.text.slice(0, 300)}>`;
  return properties.stdout ?? '';
}

export async function upload(base: string, identifier: string, name: string, content: string): Promise<Answer> {
  const form = new FormData();
  form.append('file', new Blob([content], { type: 'application/octet-stream' }), name);
  return answer(await fetch(`${base}/files/upload?${query(identifier)}`, { method: 'POST', body: form }));
}

export async function download(base: string, identifier: string, name: string): Promise<Answer> {
  return answer(await fetch(`${base}/files/content/${encodeURIComponent(name)}?${query(identifier)}`));
}

export async function listSessions(base: string): Promise<string[]> {
  const result = await answer(await fetch(`${base}/listSessions?${LIST_API}`));
  if (result.status !== 200) throw new Error(`listSessions at ${base}: HTTP ${result.status} ${result.text.slice(0, 300)}`);
  const sessions = result.body.sessions as { identifier: string }[];
  if ((result.body.count as number) > sessions.length) throw new Error('listSessions paged; the test keeps each node under one page');
  return sessions.map((session) => session.identifier);
}

/** Runs `task` over `items` with at most `limit` at once, in order of start. */
export async function inParallel<T, R>(items: T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
