/**
 * The latency the documented nginx configuration adds in front of a pool node: the same warm trivial
 * cell (ACA gen-1 `code/execute`, bwrap isolation) timed straight to the node and through nginx,
 * alternating so both see the same machine load. Needs Debian's nginx and a repository checkout.
 */
import { startNginx } from '../nginx-proxy.js';
import { startPoolServer, type RunningPoolServer } from '../../pool/index.js';
import { percentile, round, sample } from '../stats.js';
import { postJson } from '../support/http-client.js';
import type { BenchSuite, Metrics } from '../types.js';

const API = 'api-version=2024-02-02-preview';
const SAMPLES = 2000;

async function execute(base: string, identifier: string): Promise<void> {
  const response = await postJson(`${base}/code/execute?${API}&identifier=${encodeURIComponent(identifier)}`, {
    properties: { codeInputType: 'inline', executionType: 'synchronous', code: '1' },
  });
  const body = response.body as { properties?: { status?: string } };
  if (response.status !== 200 || body.properties?.status !== 'Success') throw new Error(`execute via ${base} failed: HTTP ${response.status} ${JSON.stringify(body).slice(0, 300)}`);
}

export const nginxHopSuite: BenchSuite = {
  name: 'nginx-hop',
  description: 'Latency added by the documented nginx configuration in front of a pool node (warm cell, p50/p99)',
  async run(context) {
    const server: RunningPoolServer = await startPoolServer({ port: 0, isolation: 'bwrap', egress: false, readySessions: 2, maxSessions: 20, cooldownSeconds: 600, env: {} });
    try {
      const proxy = await startNginx([new URL(server.url).host]);
      try {
        await execute(server.url, 'direct');
        await execute(proxy.url, 'proxied');
        context.log(`nginx-hop: timing ${SAMPLES} warm trivial cells straight to the node and ${SAMPLES} through nginx, alternating`);
        const direct: number[] = [];
        const proxied: number[] = [];
        // One direct and one proxied sample at a time, so drift in the machine's load hits both alike.
        for (let i = 0; i < SAMPLES; i++) {
          direct.push(...(await sample(1, () => execute(server.url, 'direct'), i === 0 ? 100 : 0)));
          proxied.push(...(await sample(1, () => execute(proxy.url, 'proxied'), i === 0 ? 100 : 0)));
        }
        const metrics: Metrics = {
          'nginx_hop.direct_exec_p50_ms': { value: round(percentile(direct, 50)), unit: 'ms' },
          'nginx_hop.direct_exec_p99_ms': { value: round(percentile(direct, 99)), unit: 'ms' },
          'nginx_hop.proxied_exec_p50_ms': { value: round(percentile(proxied, 50)), unit: 'ms' },
          'nginx_hop.proxied_exec_p99_ms': { value: round(percentile(proxied, 99)), unit: 'ms' },
          'nginx_hop.added_p50_ms': { value: round(percentile(proxied, 50) - percentile(direct, 50)), unit: 'ms' },
          'nginx_hop.added_p99_ms': { value: round(percentile(proxied, 99) - percentile(direct, 99)), unit: 'ms' },
        };
        return metrics;
      } finally {
        await proxy.close();
      }
    } finally {
      await server.close();
    }
  },
};
