/**
 * Gen-2 `POST executions` on a Shell pool: `shellCommand` (bash) or `execCommandAndArgs` (no shell),
 * answered in the service's Shell shape, where `status` is the exit code as a string:
 * `{"id","identifier","status":"0","result":{"stdout","stderr","executionTimeInMilliseconds"}}`.
 * Shell executions are synchronous: the service has no asynchronous form for them, and `executionType`
 * is a Python field that a Shell pool refuses. Their results are not kept for `GET executions/{id}`.
 */
import { randomUUID } from 'node:crypto';
import type { ShellResponse } from '../../../kernel/types.js';
import { DEFAULT_POOL_SERVER_LIMITS, MAX_EXECUTION_BODY_MB } from '../../settings.js';
import { readBudgetedBody, type CodeBudget } from '../code-budget.js';
import type { PoolAppDeps, PoolContext } from '../context.js';
import { bodySource, sendJson } from '../context.js';
import { validationError } from '../errors.js';
import { headBytes, textBytes } from '../execution-format.js';
import { planShellExecution, type ShellPlan } from '../shell-plan.js';
import { parseExecutionFields, requireApiVersion, requireIdentifier } from '../validation.js';

/** A command is text and stdin is meant for small inputs (files go through the file API); 32 MB is far above both. */
const MAX_SHELL_BODY_BYTES = MAX_EXECUTION_BODY_MB * 1024 * 1024;
const OPERATION_ID_PATTERN = /^[A-Za-z0-9._~-]{1,128}$/;
/** Room for the notice and the JSON around the streams when an oversized result is cut. */
const CUT_MARGIN_BYTES = 4096;

/** Runs one shell execution; its body counts against `codeBudget` until it is answered. */
export async function runShellExecution(c: PoolContext, deps: PoolAppDeps, codeBudget: CodeBudget): Promise<Response> {
  requireApiVersion(c.req.url);
  const identifier = requireIdentifier(c.req.url);
  c.set('identifier', identifier);
  const { body, release } = await readBudgetedBody(bodySource(c), codeBudget, MAX_SHELL_BODY_BYTES);
  try {
    return await runShellBody(c, deps, identifier, body);
  } finally {
    release();
  }
}

async function runShellBody(c: PoolContext, deps: PoolAppDeps, identifier: string, body: unknown): Promise<Response> {
  const plan = planShellExecution(parseExecutionFields(body, 'the request body'), deps.settings);
  if (deps.auditIncludeContent) c.set('code', plan.request.command ?? JSON.stringify(plan.request.argv));
  const id = operationId(c);
  const started = performance.now();
  let response: ShellResponse;
  try {
    ({ response } = await deps.sessionManager.executeShell(identifier, plan.request, { timeoutMs: plan.timeoutMs, signal: c.req.raw.signal }));
  } catch (error) {
    deps.metrics.execution('error', (performance.now() - started) / 1000);
    throw error;
  }
  deps.metrics.execution(response.timedOut ? 'timed_out' : response.exitCode === 0 ? 'succeeded' : 'failed', (performance.now() - started) / 1000);
  const maxResultBytes = deps.maxResultBytes ?? DEFAULT_POOL_SERVER_LIMITS.maxResultMb * 1024 * 1024;
  return sendJson(
    c,
    200,
    {
      id,
      identifier,
      status: String(response.exitCode),
      result: shellResult(response, plan, deps.settings.maxExecutionSeconds, maxResultBytes),
    },
    { 'operation-id': id },
  );
}

/** stdout and stderr as the client sees them: the timeout notice last, cut to outputStreamsMaxLength and the pool's result cap. */
export function shellResult(response: ShellResponse, plan: ShellPlan, maxExecutionSeconds: number, maxResultBytes: number) {
  let stderr = response.stderr;
  if (response.timedOut) {
    const consequence = response.stateLost
      ? "The kernel did not stop in time and was ended, so the session's working directory and environment were reset (files in /mnt/data are kept)."
      : "The command's processes were killed; the session's working directory and environment are kept.";
    const notice = `TimeoutError: Execution exceeded timeoutInSeconds (${plan.timeoutSeconds} s; this pool allows at most ${maxExecutionSeconds} s). Make the command faster or split it up. ${consequence}\n`;
    stderr = stderr && !stderr.endsWith('\n') ? `${stderr}\n${notice}` : `${stderr}${notice}`;
  }
  let stdout = cut(response.stdout, plan.outputMaxLength);
  stderr = cut(stderr, plan.outputMaxLength);
  if (textBytes(stdout) + textBytes(stderr) > maxResultBytes) {
    const line = `ExecutionResultTooLarge: the output was over this pool's limit of ${maxResultBytes} bytes per execution (TIDEPOOL_POOL_MAX_RESULT_MB / --max-result-mb) and was cut; redirect large output to a file in /mnt/data and download it.\n`;
    const budget = Math.max(0, maxResultBytes - textBytes(line) - CUT_MARGIN_BYTES);
    stdout = headBytes(stdout, Math.floor(budget / 2));
    stderr = headBytes(stderr, budget - textBytes(stdout)) + line;
  }
  return { stdout, stderr, executionTimeInMilliseconds: Math.max(0, Math.round(response.durationMs)) };
}

function cut(text: string, maxLength: number | undefined): string {
  return maxLength !== undefined && text.length > maxLength ? text.slice(0, maxLength) : text;
}

/** The client's operation-id header when it sends a valid one, else a new id. */
function operationId(c: PoolContext): string {
  const requested = c.req.header('operation-id')?.trim();
  if (!requested) return randomUUID();
  if (!OPERATION_ID_PATTERN.test(requested)) throw validationError('The operation-id header must be 1–128 characters from letters, digits and ._~-.', 'operation-id');
  return requested;
}
