/**
 * research_weather end to end: one destination, current conditions + forecast, against a local
 * stub that replays recorded Open-Meteo answers (so the network is not what is measured).
 * Each run uses a fresh session, as an agent's tool call does; the pool is warm (ready sessions).
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PACKAGE_ROOT } from '../../paths.js';
import { createLocalSandbox } from '../../sandbox/backends/local/local-sandbox.js';
import { createPoolSandbox } from '../../sandbox/backends/pool/index.js';
import type { Sandbox } from '../../sandbox/types.js';
import { researchWeather } from '../../tools/research-weather.js';
import { percentile, Repetitions, sample } from '../stats.js';
import type { BenchContext, BenchSuite, Metrics } from '../types.js';

const FIXTURES = ['ref-9.1-geocoding-paris.json', 'ref-9.2-forecast-paris-current.json'];
const TODAY = '2025-06-10';
/** Research runs per repetition. */
const RUNS = 8;

export const weatherSuite: BenchSuite = {
  name: 'weather',
  description: 'research_weather (Paris, current + 5-day forecast) on the warm pool and on Local, Open-Meteo replayed locally',
  async run(context) {
    const stub = await startStub();
    const metrics: Metrics = {};
    try {
      const pool = createPoolSandbox({ pool: { egress: true, egressAllow: stub.egressAllow, readySessions: 4 }, env: context.env });
      Object.assign(metrics, await measure('pool', pool, stub.url, context, 60));
      const local = createLocalSandbox();
      Object.assign(metrics, await measure('local', local, stub.url, context));
    } finally {
      await stub.close();
    }
    return metrics;
  },
};

async function measure(name: string, sandbox: Sandbox, url: string, context: BenchContext, target?: number): Promise<Metrics> {
  const options = { today: TODAY, openMeteo: { geocodingUrl: url, forecastUrl: url, archiveUrl: url } };
  const run = async () => {
    const output = await researchWeather({ destination: 'Paris' }, { sandbox }, options);
    if (output.data.error || !output.data.places[0]?.ok) throw new Error(`research failed on ${name}: ${output.text}`);
  };
  const reps = new Repetitions();
  const all: number[] = [];
  try {
    await sample(3, run);
    for (let rep = 1; rep <= context.repetitions; rep++) {
      context.log(`weather: repetition ${rep}/${context.repetitions}: ${RUNS} research runs on ${name} (fresh session each)`);
      const times = await sample(RUNS, run);
      all.push(...times);
      reps.add('p50', percentile(times, 50));
      reps.add('p95', percentile(times, 95));
    }
  } finally {
    await sandbox.close();
  }
  context.plot({ kind: 'distribution', name: `research_weather on ${name}`, unit: 'ms', samples: all });
  return {
    [`weather.research_${name}_p50_ms`]: reps.metric('p50', { unit: 'ms', digits: 1, ...(target && { target }) }),
    [`weather.research_${name}_p95_ms`]: reps.metric('p95', { unit: 'ms', digits: 1 }),
  };
}

/**
 * Serves the two reference answers by exact path + query; anything else is a loud 599. It listens
 * on an address of this machine other than loopback (a pool session's loopback is its own), which
 * the pool is told to allow as the one exception to its egress rules.
 */
async function startStub(): Promise<{ url: string; egressAllow: string[]; close(): Promise<void> }> {
  const answers = new Map<string, string>();
  for (const file of FIXTURES) {
    const fixturePath = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'open-meteo', file);
    const text = await readFile(fixturePath, 'utf8').catch(() => {
      throw new Error(`Fixture ${fixturePath} not found; run the weather bench from a repository checkout.`);
    });
    const fixture = JSON.parse(text) as { request: { path: string; query: Record<string, string> }; response: { body: unknown } };
    answers.set(key(fixture.request.path, fixture.request.query), JSON.stringify(fixture.response.body));
  }
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://stub');
    const body = answers.get(key(url.pathname, Object.fromEntries(url.searchParams)));
    res.writeHead(body ? 200 : 599, { 'content-type': 'application/json; charset=utf-8' });
    res.end(body ?? JSON.stringify({ error: true, reason: `no fixture for ${req.url}` }));
  });
  const host = reachableHostAddress();
  if (!host) throw new Error('The weather bench needs an IPv4 address other than loopback (a pool session cannot reach the host\'s loopback); none was found.');
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    egressAllow: [`${host}:${port}`],
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function reachableHostAddress(): string | undefined {
  return Object.values(os.networkInterfaces())
    .flatMap((addresses) => addresses ?? [])
    .find((address) => address.family === 'IPv4' && !address.internal)?.address;
}

function key(pathname: string, query: Record<string, string>): string {
  return `${pathname}?${Object.entries(query).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`).join('&')}`;
}
