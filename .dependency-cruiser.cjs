/**
 * The layers of docs/architecture.md, enforced: `npm run lint` fails when a module imports from a
 * layer it may not depend on. Each layer lists the layers below it that it may use; everything else
 * under src/ is forbidden to it. Keep this table and the picture in docs/architecture.md the same.
 */
const BOTTOM = ['errors', 'paths', 'config', 'telemetry'];

/** layer (a folder under src/, or a root module) → the layers it may import from. */
const MAY_USE = {
  errors: [],
  paths: [],
  config: ['errors', 'paths'],
  // OpenTelemetry spans and metrics: every layer may record into them, so they know none of those layers.
  telemetry: ['errors', 'paths', 'config'],
  kernel: BOTTOM,
  pool: ['kernel', ...BOTTOM],
  sandbox: ['pool', 'kernel', ...BOTTOM],
  weather: ['sandbox', ...BOTTOM],
  tools: ['weather', 'sandbox', ...BOTTOM],
  agent: ['tools', 'weather', 'sandbox', ...BOTTOM],
  // The tools wrapped for other agent frameworks (LangChain.js, OpenAI Agents).
  adapters: ['tools', 'weather', 'sandbox', ...BOTTOM],
  system: BOTTOM,
  // The root entry (`import 'tidepool'`): the contract, backends and tools, nothing heavier.
  index: ['tools', 'weather', 'sandbox', ...BOTTOM],
  bench: ['tools', 'weather', 'sandbox', 'pool', 'kernel', ...BOTTOM],
  web: ['agent', 'tools', 'weather', 'sandbox', ...BOTTOM],
  mcp: ['agent', 'tools', 'weather', 'sandbox', ...BOTTOM],
  cli: ['web', 'mcp', 'bench', 'system', 'agent', 'adapters', 'tools', 'weather', 'sandbox', 'pool', 'kernel', 'index', ...BOTTOM],
};

const layerPath = (layer) => (['errors', 'paths', 'index'].includes(layer) ? `^src/${layer}\\.ts$` : `^src/${layer}/`);

module.exports = {
  forbidden: [
    ...Object.entries(MAY_USE).map(([layer, allowed]) => ({
      name: `layer-${layer}`,
      comment: `src/${layer} may import only from: ${allowed.length ? allowed.join(', ') : 'nothing else under src/'} (docs/architecture.md).`,
      severity: 'error',
      from: { path: layerPath(layer) },
      to: { path: '^src/', pathNot: [layerPath(layer), ...allowed.map(layerPath)] },
    })),
    {
      name: 'unknown-layer',
      comment: 'Every folder under src/ is a layer listed in .dependency-cruiser.cjs and docs/architecture.md.',
      severity: 'error',
      from: { path: '^src/', pathNot: Object.keys(MAY_USE).map(layerPath) },
      to: {},
    },
  ],
  options: {
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    exclude: { path: '^node_modules' },
  },
};
