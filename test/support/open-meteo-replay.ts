/**
 * An Open-Meteo replay server for tests: node:http on 127.0.0.1 (port 0), answering only the
 * requests it has fixtures for. Geocoding, forecast and archive share one base URL (told apart by
 * path). Anything unknown gets HTTP 599 and lands in `unknown`, which tests assert empty.
 * Faults can be injected per path/query: an HTTP status, a non-JSON body, a hang (timeout), or
 * nulls punched into a fixture's daily arrays.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface ReplayRequest {
  path: string;
  query: Record<string, string>;
}

export interface ReplayFixture {
  /** Where the fixture came from, for messages (`recorded archive`, `synthetic`). */
  source?: string;
  request: ReplayRequest;
  response: { status?: number; body: unknown; headers?: Record<string, string> };
}

export type ReplayFault =
  | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  | { kind: 'malformed'; body?: string }
  | { kind: 'hang' }
  | { kind: 'nulls'; fields?: string[] };

export interface FaultRule {
  path?: string;
  /** Every listed parameter must be equal (others are ignored). */
  query?: Record<string, string>;
  fault: ReplayFault;
  /** How many requests the fault applies to; default all. */
  times?: number;
}

export interface RecordedRequest extends ReplayRequest {
  status: number;
  fault?: ReplayFault['kind'];
}

export interface OpenMeteoReplay {
  /** Base URL for OPEN_METEO_GEOCODING_URL, _FORECAST_URL and _ARCHIVE_URL alike. */
  url: string;
  /** What a pool must allow (TIDEPOOL_POOL_EGRESS_ALLOW / egressAllow) for its sessions to reach the server. */
  egressAllow: string[];
  /** The Open-Meteo URLs and the egress exception, as environment variables. */
  env: Record<string, string>;
  requests: RecordedRequest[];
  /** Requests that matched no fixture (answered 599). */
  unknown: RecordedRequest[];
  add(...fixtures: ReplayFixture[]): void;
  inject(rule: FaultRule): void;
  clearFaults(): void;
  /** The three base URLs, ready for `openMeteo` tool options. */
  options(overrides?: { timeoutSeconds?: number; retryDelaySeconds?: number }): { geocodingUrl: string; forecastUrl: string; archiveUrl: string; timeoutSeconds?: number; retryDelaySeconds?: number };
  close(): Promise<void>;
}

export const FIXTURE_DIR = path.join(import.meta.dirname, '..', 'fixtures', 'open-meteo');

/** Every `*.json` under test/fixtures/open-meteo (each a fixture or an array of fixtures). */
export function loadFixtureFiles(dir = FIXTURE_DIR): ReplayFixture[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .flatMap((name) => {
      const parsed = JSON.parse(readFileSync(path.join(dir, name), 'utf8')) as ReplayFixture | ReplayFixture[];
      return (Array.isArray(parsed) ? parsed : [parsed]).map((fixture) => ({ source: name, ...fixture }));
    });
}

export function requestKey(request: ReplayRequest): string {
  const entries = Object.entries(request.query).sort(([a], [b]) => a.localeCompare(b));
  return `${request.path}?${entries.map(([key, value]) => `${key}=${value}`).join('&')}`;
}

export async function startOpenMeteoReplay(options: { fixtures?: ReplayFixture[]; loadFiles?: boolean } = {}): Promise<OpenMeteoReplay> {
  const fixtures = new Map<string, ReplayFixture>();
  const faults: FaultRule[] = [];
  const requests: RecordedRequest[] = [];
  const unknown: RecordedRequest[] = [];
  const hanging = new Set<ServerResponse>();
  const add = (...list: ReplayFixture[]) => {
    for (const fixture of list) fixtures.set(requestKey(fixture.request), fixture);
  };
  if (options.loadFiles !== false) add(...loadFixtureFiles());
  add(...(options.fixtures ?? []));

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://replay');
    const request: ReplayRequest = { path: url.pathname, query: Object.fromEntries(url.searchParams) };
    const fixture = fixtures.get(requestKey(request));
    const rule = faults.find((candidate) => matches(candidate, request));
    if (rule) {
      if (rule.times !== undefined) rule.times -= 1;
      if (rule.times === 0) faults.splice(faults.indexOf(rule), 1);
      return answerFault(rule.fault, fixture, request, res);
    }
    if (!fixture) {
      const recorded = { ...request, status: 599 };
      requests.push(recorded);
      unknown.push(recorded);
      return send(res, 599, { error: true, reason: `Replay server has no fixture for ${requestKey(request)}` });
    }
    requests.push({ ...request, status: fixture.response.status ?? 200 });
    send(res, fixture.response.status ?? 200, fixture.response.body, fixture.response.headers);
  });

  function answerFault(fault: ReplayFault, fixture: ReplayFixture | undefined, request: ReplayRequest, res: ServerResponse): void {
    switch (fault.kind) {
      case 'status':
        requests.push({ ...request, status: fault.status, fault: fault.kind });
        return send(res, fault.status, fault.body ?? { error: true, reason: `Injected HTTP ${fault.status}` }, fault.headers);
      case 'malformed':
        requests.push({ ...request, status: 200, fault: fault.kind });
        return send(res, 200, fault.body ?? 'Unexpected error while streaming data: timeoutReached');
      case 'hang':
        // Never answered: the client's timeout has to fire. Closed with the server.
        requests.push({ ...request, status: 0, fault: fault.kind });
        hanging.add(res);
        return;
      case 'nulls': {
        if (!fixture) {
          requests.push({ ...request, status: 599, fault: fault.kind });
          unknown.push({ ...request, status: 599 });
          return send(res, 599, { error: true, reason: `Replay server has no fixture to punch nulls into for ${requestKey(request)}` });
        }
        requests.push({ ...request, status: 200, fault: fault.kind });
        return send(res, 200, withNulls(fixture.response.body, fault.fields));
      }
    }
  }

  // On an address of this machine other than loopback where there is one: a pool session's
  // loopback is its own, so it reaches the replay server only there (allowed by egressAllow).
  const host = reachableHostAddress() ?? '127.0.0.1';
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://${host}:${port}`;
  const egressAllow = host.startsWith('127.') ? [] : [`${host}:${port}`];
  return {
    url,
    egressAllow,
    env: { OPEN_METEO_GEOCODING_URL: url, OPEN_METEO_FORECAST_URL: url, OPEN_METEO_ARCHIVE_URL: url, TIDEPOOL_POOL_EGRESS_ALLOW: egressAllow.join(',') },
    requests,
    unknown,
    add,
    inject: (rule) => faults.push({ ...rule }),
    clearFaults: () => faults.splice(0),
    options: (overrides = {}) => ({ geocodingUrl: url, forecastUrl: url, archiveUrl: url, ...overrides }),
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function matches(rule: FaultRule, request: ReplayRequest): boolean {
  if (rule.path !== undefined && rule.path !== request.path) return false;
  return Object.entries(rule.query ?? {}).every(([key, value]) => request.query[key] === value);
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8', ...headers });
  res.end(text);
}

/** Replaces every value of the daily arrays (all but `time`, or only `fields`) with null. */
function withNulls(body: unknown, fields?: string[]): unknown {
  const punch = (item: unknown): unknown => {
    if (typeof item !== 'object' || item === null) return item;
    const copy = structuredClone(item) as { daily?: Record<string, unknown[]>; current?: Record<string, unknown> };
    for (const [key, values] of Object.entries(copy.daily ?? {})) {
      if (key !== 'time' && (!fields || fields.includes(key))) copy.daily![key] = values.map(() => null);
    }
    for (const key of Object.keys(copy.current ?? {})) {
      if (key !== 'time' && key !== 'interval' && (!fields || fields.includes(key))) copy.current![key] = null;
    }
    return copy;
  };
  return Array.isArray(body) ? body.map(punch) : punch(body);
}

function reachableHostAddress(): string | undefined {
  return Object.values(os.networkInterfaces())
    .flatMap((addresses) => addresses ?? [])
    .find((address) => address.family === 'IPv4' && !address.internal)?.address;
}
