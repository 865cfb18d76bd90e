/**
 * Code execution, both generations:
 * gen-1 `POST code/execute` ({"properties":{…}} in and out) and
 * gen-2 `POST executions` (flat body; sync → 200, async → 202 then `GET executions/{id}`).
 */
import { randomUUID } from 'node:crypto';
import type { Hono } from 'hono';
import type { KernelResponse } from '../../../kernel/types.js';
import { DEFAULT_POOL_SERVER_LIMITS, MAX_EXECUTION_BODY_MB } from '../../settings.js';
import { readBudgetedBody, type CodeBudget } from '../code-budget.js';
import { bodySource, executionUrl, sendJson, type PoolAppDeps, type PoolContext, type PoolEnv } from '../context.js';
import { PoolApiError, toApiError, validationError } from '../errors.js';
import { wireExecution, type WireExecution } from '../execution-format.js';
import { planExecution, type ExecutionPlan } from '../execution-plan.js';
import { runExecution } from '../execution-run.js';
import { runShellExecution } from './shell-executions.js';
import { MAX_RUNNING, type ExecutionOutcome, type ExecutionRecord } from '../execution-store.js';
import { parseExecutionFields, requireApiVersion, requireIdentifier } from '../validation.js';

/** Code is text; 32 MB is far above any real cell and keeps a bad client from exhausting memory. */
export const MAX_EXECUTION_BODY_BYTES = MAX_EXECUTION_BODY_MB * 1024 * 1024;
const OPERATION_ID_PATTERN = /^[A-Za-z0-9._~-]{1,128}$/;

/** `codeBudget` bounds the code of executions that wait or run, all routes together (code-budget.ts). */
export function registerExecutionRoutes(app: Hono<PoolEnv>, deps: PoolAppDeps, codeBudget: CodeBudget): void {
  app.post('/code/execute', async (c) => {
    c.set('operation', 'code/execute');
    requireApiVersion(c.req.url);
    const identifier = session(c);
    const { body, release } = await readBudgetedBody(bodySource(c), codeBudget, MAX_EXECUTION_BODY_BYTES);
    try {
      const plan = planExecution(parseExecutionFields(gen1Fields(body), '"properties"'), deps.settings, 1);
      if (deps.auditIncludeContent) c.set('code', plan.code);
      const outcome = await runExecution(deps, identifier, plan, c.req.raw.signal);
      const wire = toWire(deps, outcome.response, plan, 1);
      // The NodeLTS tutorial reads the value as executionResult; both names are cheap.
      return sendJson(c, 200, { $id: '1', properties: { $id: '2', ...gen1Result(wire), executionResult: wire.result } });
    } finally {
      release();
    }
  });

  app.post('/executions', async (c) => {
    c.set('operation', 'executions');
    if (deps.settings.containerType === 'shell') return runShellExecution(c, deps, codeBudget);
    const { version } = requireApiVersion(c.req.url);
    const identifier = session(c);
    const { body, release } = await readBudgetedBody(bodySource(c), codeBudget, MAX_EXECUTION_BODY_BYTES);
    // An asynchronous execution holds its code until it ends in the background; any other, until it is answered.
    let heldInBackground = false;
    try {
      const plan = planExecution(parseExecutionFields(body, 'the request body'), deps.settings, 2);
      if (deps.auditIncludeContent) c.set('code', plan.code);
      const id = executionId(c, deps, identifier);
      try {
        const headers = { 'operation-id': id, 'Operation-Location': executionUrl(c, id, identifier, version) };
        const record: ExecutionRecord = {
          id,
          identifier,
          executionType: plan.asynchronous ? 'Asynchronous' : 'Synchronous',
          status: 'Running',
        };
        if (plan.asynchronous) {
          if (deps.executions.runningCount >= MAX_RUNNING) {
            throw new PoolApiError(429, 'TooManyExecutions', `${MAX_RUNNING} asynchronous executions are already waiting or running in this pool; poll them to completion before starting more, or run this one synchronously.`, {
              headers: { 'Retry-After': '5' },
            });
          }
          const traceId = c.get('traceId');
          deps.executions.runInBackground(record, (signal) => finish(deps, identifier, plan, signal, { traceId, executionId: id }).finally(release));
          heldInBackground = true;
          return sendJson(c, 202, executionBody(record), headers);
        }
        Object.assign(record, await finish(deps, identifier, plan, c.req.raw.signal, { rethrow: true }));
        deps.executions.put(record);
        return sendJson(c, 200, executionBody(record), headers);
      } finally {
        // Every path that keeps a record has put it by now, which ended the claim; this frees the id
        // of an execution that was refused or failed before it had one.
        deps.executions.release(id, identifier);
      }
    } finally {
      if (!heldInBackground) release();
    }
  });

  app.get('/executions/:id', (c) => {
    c.set('operation', 'executions/get');
    requireApiVersion(c.req.url);
    const identifier = session(c);
    const id = c.req.param('id');
    const found = deps.executions.lookup(id, identifier);
    if (found && 'evicted' in found) {
      const storeMb = Math.round(deps.executions.maxBytes / (1024 * 1024));
      throw new PoolApiError(
        410,
        'ExecutionResultEvicted',
        `The result of execution "${id}" is no longer kept: newer results took its place in this pool's result store, which holds at most ${storeMb} MB (TIDEPOOL_POOL_RESULT_STORE_MB / --result-store-mb). ` +
          'The execution did run. Poll sooner after starting it, run it again, or have the code write large output to a file in /mnt/data.',
        { target: 'executionId' },
      );
    }
    if (!found) {
      throw new PoolApiError(404, 'NotFound', `No execution available for operation id "${id}" in session "${identifier}"; check the id from the operation-id header and the identifier.`, {
        target: 'executionId',
      });
    }
    return sendJson(c, 200, executionBody(found.record));
  });
}

function session(c: PoolContext): string {
  const identifier = requireIdentifier(c.req.url);
  c.set('identifier', identifier);
  return identifier;
}

/** A client may choose the execution id with an operation-id header (gen-2). */
function executionId(c: PoolContext, deps: PoolAppDeps, identifier: string): string {
  const requested = c.req.header('operation-id')?.trim();
  if (!requested) {
    const id = randomUUID();
    deps.executions.claim(id, identifier);
    return id;
  }
  if (!OPERATION_ID_PATTERN.test(requested)) throw validationError('The operation-id header must be 1–128 characters from letters, digits and ._~-.', 'operation-id');
  if (!deps.executions.claim(requested, identifier)) throw validationError(`An execution with operation-id "${requested}" already exists in this session; send a new id.`, 'operation-id');
  return requested;
}

/** The fields of a gen-1 (or legacy) execution body: documented inside "properties", accepted flat too. */
export function gen1Fields(body: unknown): unknown {
  return typeof body === 'object' && body !== null && 'properties' in body ? (body as { properties: unknown }).properties : body;
}

/** A gen-1 (or legacy) execution's result fields, as the service words them. */
export function gen1Result(wire: WireExecution) {
  return {
    status: wire.status === 'success' ? 'Success' : 'Failure',
    stdout: wire.stdout,
    stderr: wire.stderr,
    result: wire.result,
    executionTimeInMilliseconds: wire.executionTimeInMilliseconds,
    ...(wire.images.length > 0 && { images: wire.images }),
  };
}

export function toWire(deps: PoolAppDeps, response: KernelResponse, plan: ExecutionPlan, generation: 1 | 2): WireExecution {
  return wireExecution(response, plan, {
    generation,
    maxExecutionSeconds: deps.settings.maxExecutionSeconds,
    maxResultBytes: deps.maxResultBytes ?? DEFAULT_POOL_SERVER_LIMITS.maxResultMb * 1024 * 1024,
    stringResults: deps.executionResult === 'string',
  });
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
  options: { rethrow?: boolean; traceId?: string; executionId?: string } = {},
): Promise<ExecutionOutcome> {
  try {
    const outcome = await runExecution(deps, identifier, plan, signal);
    const wire = toWire(deps, outcome.response, plan, 2);
    return {
      status: wire.status === 'success' ? 'Succeeded' : 'Failed',
      result: {
        stdout: wire.stdout,
        stderr: wire.stderr,
        executionResult: wire.result,
        executionTimeInMilliseconds: wire.executionTimeInMilliseconds,
        ...(wire.images.length > 0 && { images: wire.images }),
      },
      ...(wire.error && { error: { ...wire.error } }),
    };
  } catch (error) {
    if (options.rethrow) throw error;
    const apiError = toApiError(error);
    const log = { err: error, identifier, traceId: options.traceId, executionId: options.executionId };
    if (apiError.status >= 500) deps.logger.error(log, 'asynchronous execution failed');
    else deps.logger.warn(log, 'asynchronous execution refused');
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
