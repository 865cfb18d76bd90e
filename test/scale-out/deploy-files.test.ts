/**
 * The deploy/ recipes, checked offline: every Kubernetes manifest against the Kubernetes OpenAPI
 * schemas (the kubernetes-models package's validators), the pieces that must agree with each other
 * and with the pool, and the Dockerfile's inputs.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Service } from 'kubernetes-models/v1/Service';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { DEFAULT_DRAIN_TIMEOUT_SECONDS } from '../../src/pool/settings.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MANIFESTS = path.join(ROOT, 'deploy/kubernetes');

interface Validatable {
  validate(): void;
}
const MODELS: Record<string, new (data: never) => Validatable> = {
  'v1/Namespace': Namespace,
  'v1/Service': Service,
  'apps/v1/StatefulSet': StatefulSet,
  'networking.k8s.io/v1/Ingress': Ingress,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};

type Manifest = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function load(file: string): Manifest[] {
  const documents = parseAllDocuments(readFileSync(path.join(MANIFESTS, file), 'utf8'));
  return documents.map((document) => {
    if (document.errors.length > 0) throw new Error(`${file}: ${document.errors[0]!.message}`);
    return document.toJS() as Manifest;
  });
}

function validate(manifest: Manifest, file: string): void {
  const Model = MODELS[`${manifest.apiVersion}/${manifest.kind}`];
  if (!Model) throw new Error(`${file}: no schema for ${manifest.apiVersion} ${manifest.kind}; add its kubernetes-models class to this test.`);
  new Model(manifest as never).validate();
}

const files = readdirSync(MANIFESTS).filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml');
const all = files.flatMap((file) => load(file).map((manifest) => ({ file, manifest })));
const find = (kind: string, name?: string) => all.map((entry) => entry.manifest).filter((m) => m.kind === kind && (name === undefined || m.metadata.name === name));

describe('deploy/kubernetes', () => {
  it.each(files)('%s is valid against the Kubernetes schemas', (file) => {
    for (const manifest of load(file)) validate(manifest, file);
  });

  it('has a validator that refuses a wrong manifest', () => {
    const statefulSet = structuredClone(find('StatefulSet')[0]!);
    statefulSet.spec.replicas = 'three';
    expect(() => validate(statefulSet, 'statefulset.yaml')).toThrow(/replicas must be integer/);
    const ingress = structuredClone(find('Ingress')[0]!);
    delete ingress.spec.rules[0].http.paths[0].pathType;
    expect(() => validate(ingress, 'ingress.yaml')).toThrow(/pathType/);
  });

  it('lists every manifest in kustomization.yaml, in one namespace', () => {
    const kustomization = load('kustomization.yaml')[0]!;
    expect([...(kustomization.resources as string[])].sort()).toEqual([...files].sort());
    const namespace = find('Namespace')[0]!.metadata.name;
    for (const { manifest } of all.filter((entry) => entry.manifest.kind !== 'Namespace')) expect(manifest.metadata.namespace).toBe(namespace);
  });

  it('routes by identifier through a Service that selects the pool pods, and never retries elsewhere', () => {
    const ingress = find('Ingress')[0]!;
    expect(ingress.metadata.annotations['nginx.ingress.kubernetes.io/upstream-hash-by']).toBe('$arg_identifier');
    expect(ingress.metadata.annotations['nginx.ingress.kubernetes.io/proxy-next-upstream']).toBe('off');
    const backend = ingress.spec.rules[0].http.paths[0].backend.service;
    const service = find('Service', backend.name)[0]!;
    const statefulSet = find('StatefulSet')[0]!;
    const podLabels = statefulSet.spec.template.metadata.labels;
    expect(podLabels).toMatchObject(service.spec.selector);
    expect(podLabels).toMatchObject(statefulSet.spec.selector.matchLabels);
    expect(podLabels).toMatchObject(find('PodDisruptionBudget')[0]!.spec.selector.matchLabels);
    expect(service.spec.ports.map((port: Manifest) => port.name)).toContain(backend.port.name);
    expect(find('Service', statefulSet.spec.serviceName)[0]!.spec.clusterIP).toBe('None');
  });

  it('probes /readyz and /healthz, drains on SIGTERM within the grace period, and gives bubblewrap what it needs without root', () => {
    const pod = find('StatefulSet')[0]!.spec.template.spec;
    const container = pod.containers[0];
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    expect(container.args).toContain('--drain-on-sigterm');
    const drainArg = (container.args as string[]).find((arg) => arg.startsWith('--drain-timeout-seconds='));
    const drainSeconds = drainArg ? Number(drainArg.split('=')[1]) : DEFAULT_DRAIN_TIMEOUT_SECONDS;
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(drainSeconds);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'Unconfined' }, appArmorProfile: { type: 'Unconfined' } });
    expect(pod.hostUsers).toBe(false);
    expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, procMount: 'Unmasked', capabilities: { drop: ['ALL'] } });
    expect(container.resources.requests).toBeDefined();
    expect(container.env.find((variable: Manifest) => variable.name === 'TIDEPOOL_POOL_API_KEYS').valueFrom.secretKeyRef).toBeDefined();
  });
});

describe('deploy/Dockerfile', () => {
  const dockerfile = readFileSync(path.join(ROOT, 'deploy/Dockerfile'), 'utf8');

  it('copies only what exists, and its ignore file lets those paths in', () => {
    const ignore = readFileSync(path.join(ROOT, 'deploy/Dockerfile.dockerignore'), 'utf8');
    const sources = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((match) => match[1]!.split(' '));
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      expect(existsSync(path.join(ROOT, source)), source).toBe(true);
      expect(ignore).toContain(`!${source}`);
    }
  });

  it('runs the pool as a non-root user on a Debian base, with bubblewrap and the seccomp bindings', () => {
    expect(dockerfile).toMatch(/^FROM node:24-bookworm-slim$/m);
    expect(dockerfile).toMatch(/^USER 10001:10001$/m);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node", "\/opt\/tidepool\/bin\/tidepool.js", "pool", "serve"\]$/m);
    for (const pkg of ['bubblewrap', 'python3-seccomp', 'python3-numpy', 'python3-matplotlib']) expect(dockerfile).toContain(` ${pkg} `);
  });
});
