/**
 * Code execution, both generations:
 * gen-1 `POST code/execute` ({"properties":{…}} in and out) and
 * gen-2 `POST executions` (flat body; sync → 200, async → 202 then `GET executions/{id}`).
 */
import { randomUUID } from 'node:crypto';
import type { Hono } from 'hono';
import { executionUrl, sendJson, type PoolAppDeps, type PoolContext, type PoolEnv } from '../context.js';
import { PoolApiError, toApiError, validationError } from '../errors.js';
import { gen1Result, gen2ExecutionResult, wireStreams } from '../execution-format.js';
import { planExecution, type ExecutionPlan } from '../execution-plan.js';
import { runExecution } from '../execution-run.js';
import type { ExecutionRecord } from '../execution-store.js';
import { parseExecutionFields, readJsonBody, requireApiVersion, requireIdentifier } from '../validation.js';

/** Code is text; 32 MB is far above any real cell and keeps a bad client from exhausting memory. */
const MAX_EXECUTION_BODY_BYTES = 32 * 1024 * 1024;
const OPERATION_ID_PATTERN = /^[A-Za-z0-9._~-]{1,128}$/;

export function registerExecutionRoutes(app: Hono<PoolEnv>, deps: PoolAppDeps): void {
  app.post('/code/execute', async (c) => {
    c.set('operation', 'code/execute');
    requireApiVersion(c.req.url);
    const identifier = session(c);
    const body = await readJsonBody(c.req.raw, MAX_EXECUTION_BODY_BYTES);
    // The documented body wraps the fields in "properties"; accept a flat body too.
    const wrapped = typeof body === 'object' && body !== null && 'properties' in body ? (body as { properties: unknown }).properties : body;
    const plan = planExecution(parseExecutionFields(wrapped, '"properties"'), deps.settings, 1);
    if (deps.auditIncludeContent) c.set('code', plan.code);
    const outcome = await runExecution(deps, identifier, plan, c.req.raw.signal);
    const streams = wireStreams(outcome.response, plan, deps.settings.maxExecutionSeconds);
    const result = gen1Result(outcome.response);
    return sendJson(c, 200, {
      $id: '1',
      properties: {
        $id: '2',
        status: streams.status === 'success' ? 'Success' : 'Failure',
        stdout: streams.stdout,
        stderr: streams.stderr,
        result,
        // The NodeLTS tutorial reads the value under this name; both are cheap.
        executionResult: result,
        executionTimeInMilliseconds: streams.executionTimeInMilliseconds,
      },
    });
  });

  app.post('/executions', async (c) => {
    c.set('operation', 'executions');
    const { version } = requireApiVersion(c.req.url);
    const identifier = session(c);
    const body = await readJsonBody(c.req.raw, MAX_EXECUTION_BODY_BYTES);
    const plan = planExecution(parseExecutionFields(body, 'the request body'), deps.settings, 2);
    if (deps.auditIncludeContent) c.set('code', plan.code);
    const id = executionId(c, deps);
    const headers = { 'operation-id': id, 'Operation-Location': executionUrl(c, id, identifier, version) };
    const record: ExecutionRecord = {
      id,
      identifier,
      executionType: plan.asynchronous ? 'Asynchronous' : 'Synchronous',
      status: 'Running',
    };
    if (plan.asynchronous) {
      deps.executions.runInBackground(record, (signal) => finish(deps, identifier, plan, signal));
      return sendJson(c, 202, executionBody(record), headers);
    }
    Object.assign(record, await finish(deps, identifier, plan, c.req.raw.signal, true), { finishedAt: Date.now() });
    deps.executions.put(record);
    return sendJson(c, 200, executionBody(record), headers);
  });

  app.get('/executions/:id', (c) => {
    c.set('operation', 'executions/get');
    requireApiVersion(c.req.url);
    const identifier = session(c);
    const id = c.req.param('id');
    const record = deps.executions.get(id, identifier);
    if (!record) {
      throw new PoolApiError(404, 'NotFound', `No execution available for operation id "${id}" in session "${identifier}"; check the id from the operation-id header and the identifier.`, {
        target: 'executionId',
      });
    }
    return sendJson(c, 200, executionBody(record));
  });
}

function session(c: PoolContext): string {
  const identifier = requireIdentifier(c.req.url);
  c.set('identifier', identifier);
  return identifier;
}

/** A client may choose the execution id with an operation-id header (gen-2). */
function executionId(c: PoolContext, deps: PoolAppDeps): string {
  const requested = c.req.header('operation-id')?.trim();
  if (!requested) return randomUUID();
  if (!OPERATION_ID_PATTERN.test(requested)) throw validationError('The operation-id header must be 1–128 characters from letters, digits and ._~-.', 'operation-id');
  if (deps.executions.has(requested)) throw validationError(`An execution with operation-id "${requested}" already exists; send a new id.`, 'operation-id');
  return requested;
}

/**
 * Runs the execution and returns its terminal state. A synchronous call lets runtime errors
 * (pool full, session lost) become HTTP errors; an asynchronous one records them on the resource.
 */
async function finish(
  deps: PoolAppDeps,
  identifier: string,
  plan: ExecutionPlan,
  signal: AbortSignal | undefined,
  rethrow = false,
): Promise<Pick<ExecutionRecord, 'status' | 'result' | 'error'>> {
  try {
    const outcome = await runExecution(deps, identifier, plan, signal);
    const streams = wireStreams(outcome.response, plan, deps.settings.maxExecutionSeconds);
    return {
      status: streams.status === 'success' ? 'Succeeded' : 'Failed',
      result: {
        stdout: streams.stdout,
        stderr: streams.stderr,
        executionResult: gen2ExecutionResult(outcome.response, plan.jupyterFormat),
        executionTimeInMilliseconds: streams.executionTimeInMilliseconds,
      },
    };
  } catch (error) {
    if (rethrow) throw error;
    const apiError = toApiError(error);
    if (apiError.status >= 500) deps.logger.error({ err: error, identifier }, 'asynchronous execution failed');
    return {
      status: 'Failed',
      result: { stdout: '', stderr: `${apiError.message}\n`, executionResult: '', executionTimeInMilliseconds: 0 },
      error: { code: apiError.azureCode, message: apiError.message },
    };
  }
}

function executionBody(record: ExecutionRecord): Record<string, unknown> {
  const body: Record<string, unknown> = {
    id: record.id,
    identifier: record.identifier,
    sessionId: record.identifier,
    executionType: record.executionType,
    status: record.status,
  };
  if (record.status !== 'Running') body.result = record.result;
  if (record.error) body.error = record.error;
  return body;
}
