/**
 * A lean keep-alive HTTP client for benchmarks. fetch() spends a few hundred microseconds of its
 * own per request (WHATWG streams, header objects), which would be charged to the server under test;
 * node:http with a keep-alive agent is what load generators such as wrk approximate.
 */
import http from 'node:http';

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

export interface JsonResponse {
  status: number;
  body: unknown;
}

/**
 * A request built once and sent as often as called, as load generators such as wrk send theirs:
 * the URL is parsed and the body serialised up front, so each call costs the client only the
 * exchange itself.
 */
export function jsonPoster(url: string, payload: unknown): () => Promise<JsonResponse> {
  const target = new URL(url);
  const body = Buffer.from(JSON.stringify(payload));
  const options: http.RequestOptions = {
    host: target.hostname,
    port: target.port,
    path: `${target.pathname}${target.search}`,
    method: 'POST',
    agent,
    headers: { 'content-type': 'application/json', 'content-length': body.length },
  };
  return () =>
    new Promise((resolve, reject) => {
      const request = http.request(options, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          try {
            resolve({ status: response.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
          } catch (error) {
            reject(error);
          }
        });
        response.on('error', reject);
      });
      request.on('error', reject);
      request.end(body);
    });
}

export function postJson(url: string, payload: unknown): Promise<JsonResponse> {
  return jsonPoster(url, payload)();
}
