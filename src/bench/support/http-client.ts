/**
 * A lean keep-alive HTTP client for benchmarks: whatever the client spends per request is charged
 * to the server under test, so the client should spend as little as load generators do. fetch()
 * spends a few hundred microseconds of its own per request (WHATWG streams, header objects), and
 * node:http's ClientRequest and Agent bookkeeping ~80 µs more CPU per request than undici's
 * `Client.request` (the request API of the library under Node's fetch), which this uses: one
 * keep-alive connection per request source, as each of wrk's connections is.
 */
import { Client } from 'undici';

export interface JsonResponse {
  status: number;
  body: unknown;
}

/**
 * A request built once and sent as often as called, over a connection of its own, as load
 * generators such as wrk send theirs: the URL is parsed and the body serialised up front, so each
 * call costs the client only the exchange itself. The connection is unreferenced while idle, so
 * it never holds the process open.
 */
export function jsonPoster(url: string, payload: unknown): () => Promise<JsonResponse> {
  const target = new URL(url);
  const client = new Client(target.origin, { pipelining: 1 });
  const options = {
    path: `${target.pathname}${target.search}`,
    method: 'POST' as const,
    headers: { 'content-type': 'application/json' },
    body: Buffer.from(JSON.stringify(payload)),
  };
  return async () => {
    const response = await client.request(options);
    return { status: response.statusCode, body: JSON.parse(await response.body.text()) };
  };
}

/** One request; its connection is closed once the answer is read. */
export async function postJson(url: string, payload: unknown): Promise<JsonResponse> {
  const target = new URL(url);
  const client = new Client(target.origin);
  try {
    const response = await client.request({
      path: `${target.pathname}${target.search}`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payload),
    });
    return { status: response.statusCode, body: JSON.parse(await response.body.text()) };
  } finally {
    await client.close();
  }
}
