/**
 * The pre-2024 `python/*` routes, which the service stopped answering in mid-2024 (SK issue
 * #7429) but which published clients still call: LlamaIndex.TS's AzureDynamicSessionTool
 * (`python/execute`, every version on npm), Semantic Kernel .NET before 2025-05 and Semantic Kernel
 * Python before 2024-07 (all four routes). They answer in the legacy shapes — a flat execution
 * `{"$id","status","stdout","stderr","result","executionTimeInMilliseconds"}` and file lists under
 * `$values` — with a `Deprecation` header, and each client is reported in the log now and then.
 * `--legacy-api off` refuses them with 404 LegacyApiNotSupported.
 */
import type { Hono } from 'hono';
import { bodySource, sendJson, type PoolAppDeps, type PoolContext, type PoolEnv } from '../context.js';
import { readBudgetedBody, type CodeBudget } from '../code-budget.js';
import { PoolApiError, validationError } from '../errors.js';
import { planExecution } from '../execution-plan.js';
import { runExecution } from '../execution-run.js';
import { legacyFileList } from '../file-format.js';
import { LegacyUsageLog } from '../legacy-usage-log.js';
import { fileNameParam } from '../paths.js';
import { remoteAddress } from '../request-log.js';
import { parseExecutionFields, queryParam, requireApiVersion, validateIdentifier, type ExecutionFields } from '../validation.js';
import { gen1Fields, gen1Result, MAX_EXECUTION_BODY_BYTES, toWire } from './executions.js';
import { receiveSessionUploads, sendFileContent } from './files.js';

/** RFC 9745: the routes were deprecated when the service stopped serving them (2024-06-01T00:00:00Z). */
const DEPRECATION = '@1717200000';

const LEGACY_ROUTES = 'POST python/execute, POST python/uploadFile, GET python/files, GET python/downloadFile?filename=';
const CURRENT_API =
  'Use POST code/execute with api-version=2024-02-02-preview, or POST executions with api-version=2024-10-02-preview or later (files: files/upload, files, files/content/{name}).';

export function registerLegacyRoutes(app: Hono<PoolEnv>, deps: PoolAppDeps, codeBudget: CodeBudget): void {
  const usage = deps.legacyUsage ?? new LegacyUsageLog(deps.logger);

  app.use('/python/*', async (c, next) => {
    c.set('operation', 'legacy');
    if (deps.legacyApi === false) {
      throw new PoolApiError(404, 'LegacyApiNotSupported', `The legacy python/* routes are turned off on this pool (--legacy-api off). ${CURRENT_API}`);
    }
    usage.record({ route: `${c.req.method} ${c.req.path}`, userAgent: c.req.header('user-agent'), remoteAddress: remoteAddress(c.env) });
    await next();
    c.res.headers.set('Deprecation', DEPRECATION);
  });

  app.post('/python/execute', async (c) => {
    c.set('operation', 'legacy/execute');
    optionalApiVersion(c.req.url);
    const { body, release } = await readBudgetedBody(bodySource(c), codeBudget, MAX_EXECUTION_BODY_BYTES);
    try {
      const fields = parseExecutionFields(gen1Fields(body), '"properties"');
      const identifier = session(c, fields);
      const plan = planExecution(fields, deps.settings, 1);
      if (deps.auditIncludeContent) c.set('code', plan.code);
      const outcome = await runExecution(deps, identifier, plan, c.req.raw.signal);
      const wire = toWire(deps, outcome.response, plan, 1);
      return sendJson(c, 200, { $id: '1', ...gen1Result(wire) });
    } finally {
      release();
    }
  });

  app.post('/python/uploadFile', async (c) => {
    c.set('operation', 'legacy/files/upload');
    optionalApiVersion(c.req.url);
    const identifier = session(c);
    return sendJson(c, 200, legacyFileList(await receiveSessionUploads(c, deps, identifier, '')));
  });

  app.get('/python/files', async (c) => {
    c.set('operation', 'legacy/files/list');
    optionalApiVersion(c.req.url);
    const identifier = session(c);
    const files = await deps.sessionManager.listFiles(identifier, { recursive: true });
    return sendJson(c, 200, legacyFileList(files.filter((file) => file.type === 'file')));
  });

  app.get('/python/downloadFile', async (c) => {
    c.set('operation', 'legacy/files/content');
    optionalApiVersion(c.req.url);
    const identifier = session(c);
    const filename = queryParam(c.req.url, 'filename');
    if (!filename) throw validationError('The filename query parameter is required: python/downloadFile?identifier=<id>&filename=<name relative to /mnt/data>.', 'filename');
    return sendFileContent(c, deps, identifier, fileNameParam(filename));
  });

  app.all('/python/*', (c) => {
    throw new PoolApiError(404, 'NotFound', `No legacy operation ${c.req.method} ${c.req.path}. Legacy routes served: ${LEGACY_ROUTES}. ${CURRENT_API}`);
  });
}

/** Legacy clients sent no api-version, or 2024-02-02-preview; one that is sent must be known. */
function optionalApiVersion(url: string): void {
  if (queryParam(url, 'api-version') !== undefined) requireApiVersion(url);
}

/** The identifier from the query, else (python/execute) from the body, where legacy Semantic Kernel put it. */
function session(c: PoolContext, fields?: ExecutionFields): string {
  const fromQuery = queryParam(c.req.url, 'identifier');
  const raw = fromQuery || (typeof fields?.identifier === 'string' ? fields.identifier : undefined);
  if (!raw) {
    throw validationError(
      fields
        ? 'The session identifier is missing: pass ?identifier=<session id> or "identifier" inside "properties".'
        : 'The identifier query parameter is required for this operation: pass ?identifier=<session id> (e.g. a UUID).',
      'identifier',
    );
  }
  const identifier = validateIdentifier(raw);
  c.set('identifier', identifier);
  return identifier;
}
