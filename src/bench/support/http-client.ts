/**
 * A lean keep-alive HTTP client for benchmarks: whatever the client spends per request is charged
 * to the server under test, so the client should spend as little as load generators do. fetch()
 * spends a few hundred microseconds of its own per request (WHATWG streams, header objects), and
 * node:http's ClientRequest and Agent bookkeeping ~80 µs more CPU per request than undici's
 * request API (the library under Node's fetch), which this uses. Connections are kept alive and
 * shared per origin, as a load generator's are: a new identifier's first call costs no TCP
 * handshake, and no call leaves a connection behind.
 */
import { Pool } from 'undici';

export interface JsonResponse {
  status: number;
  body: unknown;
}

/** Connections per origin: as many as the pool serves from one client address. */
const CONNECTIONS_PER_ORIGIN = 256;
const pools = new Map<string, Pool>();

/** The keep-alive connections to `origin`, shared by every request to it (unreferenced while idle). */
function poolFor(origin: string): Pool {
  let pool = pools.get(origin);
  if (!pool) {
    pool = new Pool(origin, { connections: CONNECTIONS_PER_ORIGIN, pipelining: 1 });
    pools.set(origin, pool);
  }
  return pool;
}

/**
 * A request built once and sent as often as called, as load generators such as wrk send theirs:
 * the URL is parsed and the body serialised up front, so each call costs the client only the
 * exchange itself.
 */
export function jsonPoster(url: string, payload: unknown): () => Promise<JsonResponse> {
  const target = new URL(url);
  const pool = poolFor(target.origin);
  const options = {
    path: `${target.pathname}${target.search}`,
    method: 'POST' as const,
    headers: { 'content-type': 'application/json' },
    body: Buffer.from(JSON.stringify(payload)),
  };
  return async () => {
    const response = await pool.request(options);
    return { status: response.statusCode, body: JSON.parse(await response.body.text()) };
  };
}

export function postJson(url: string, payload: unknown): Promise<JsonResponse> {
  return jsonPoster(url, payload)();
}
