/**
 * The execution answers of both API generations (and of Shell pools, and the pool metadata an
 * execution may need first), checked by hand rather than with zod: an
 * execution is the one request every `tidepool exec` sends, and loading zod (which brings its
 * sixty-odd locales) costs some 25 ms, a quarter of a whole `tidepool exec` against a running
 * pool. The file answers keep their zod schemas (file-shapes.ts), loaded on the first file request.
 *
 * Like the zod schemas they replace, the checks accept unknown fields, and each answers as zod's
 * `safeParse` does, so `parseBody` reads both the same way.
 */
import type { BodyShape, ShapeIssue } from './wire.js';

/** What gen-1 sends about an execution, in its `properties` envelope or (legacy) without it. */
export interface Gen1ExecutionFields {
  status?: string;
  stdout?: string | null;
  stderr?: string | null;
  result?: unknown;
  // NodeLTS pools name the value executionResult; Python pools call it result. Both are read.
  executionResult?: unknown;
  /** A Tidepool pool's images besides the one in `result` (see WireExecution.images). */
  images?: unknown;
  executionTimeInMilliseconds?: number;
}

export type Gen1ExecutionBody = Gen1ExecutionFields & { properties?: Gen1ExecutionFields };

export interface Gen2ExecutionBody {
  id?: string;
  status: string;
  result?: {
    stdout?: string | null;
    stderr?: string | null;
    executionResult?: unknown;
    /** A Tidepool pool's images besides the one in `executionResult` (see WireExecution.images). */
    images?: unknown;
    executionTimeInMilliseconds?: number;
  } | null;
  error?: unknown;
}

/** A Shell pool's answer: the exit code as the status (`"0"`, `"124"`), and the streams. */
export interface Gen2ShellExecutionBody {
  status: string;
  result?: { stdout?: string | null; stderr?: string | null; executionTimeInMilliseconds?: number } | null;
}

/** The part of `GET metadata` a client reads: the kind of session the pool runs. */
export interface PoolMetadataBody {
  containerType: string;
}

type Presence = 'required' | 'optional' | 'nullish';
type FieldRule = readonly ['string' | 'number' | 'object', Presence];

const GEN1_FIELDS: Record<string, FieldRule> = {
  status: ['string', 'optional'],
  stdout: ['string', 'nullish'],
  stderr: ['string', 'nullish'],
  executionTimeInMilliseconds: ['number', 'optional'],
};

const GEN2_FIELDS: Record<string, FieldRule> = { id: ['string', 'optional'], status: ['string', 'required'], result: ['object', 'nullish'] };

const GEN2_RESULT_FIELDS: Record<string, FieldRule> = {
  stdout: ['string', 'nullish'],
  stderr: ['string', 'nullish'],
  executionTimeInMilliseconds: ['number', 'optional'],
};

export const gen1ExecutionShape: BodyShape<Gen1ExecutionBody> = {
  safeParse(value) {
    const issues: ShapeIssue[] = [];
    if (checkObject(value, [], issues)) {
      checkFields(value, GEN1_FIELDS, [], issues);
      if (value.properties !== undefined && checkObject(value.properties, ['properties'], issues)) checkFields(value.properties, GEN1_FIELDS, ['properties'], issues);
    }
    return answer<Gen1ExecutionBody>(value, issues);
  },
};

export const gen2ExecutionShape: BodyShape<Gen2ExecutionBody> = {
  safeParse(value) {
    const issues: ShapeIssue[] = [];
    if (checkObject(value, [], issues) && checkFields(value, GEN2_FIELDS, [], issues) && isObject(value.result)) {
      checkFields(value.result, GEN2_RESULT_FIELDS, ['result'], issues);
    }
    return answer<Gen2ExecutionBody>(value, issues);
  },
};

/** An exit status as the service writes it: 0 to 255 (128 + N for a process killed by signal N). */
const EXIT_CODE = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

export const gen2ShellExecutionShape: BodyShape<Gen2ShellExecutionBody> = {
  safeParse(value) {
    const issues: ShapeIssue[] = [];
    if (checkObject(value, [], issues) && checkFields(value, { status: ['string', 'required'], result: ['object', 'nullish'] }, [], issues)) {
      if (!EXIT_CODE.test(value.status as string)) issues.push({ path: ['status'], message: `expected the exit code (0 to 255) as a string, received "${String(value.status).slice(0, 40)}"` });
      if (isObject(value.result)) checkFields(value.result, GEN2_RESULT_FIELDS, ['result'], issues);
    }
    return answer<Gen2ShellExecutionBody>(value, issues);
  },
};

export const poolMetadataShape: BodyShape<PoolMetadataBody> = {
  safeParse(value) {
    const issues: ShapeIssue[] = [];
    if (checkObject(value, [], issues) && checkFields(value, { containerType: ['string', 'required'] }, [], issues) && value.containerType === '') {
      issues.push({ path: ['containerType'], message: 'expected a non-empty string' });
    }
    return answer<PoolMetadataBody>(value, issues);
  },
};

function answer<T>(value: unknown, issues: ShapeIssue[]): ReturnType<BodyShape<T>['safeParse']> {
  return issues.length === 0 ? { success: true, data: value as T } : { success: false, error: { issues } };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkObject(value: unknown, path: PropertyKey[], issues: ShapeIssue[]): value is Record<string, unknown> {
  if (isObject(value)) return true;
  issues.push({ path, message: `expected object, received ${kindOf(value)}` });
  return false;
}

/** True when every field follows its rule; each one that does not adds an issue. */
function checkFields(value: Record<string, unknown>, rules: Record<string, FieldRule>, path: PropertyKey[], issues: ShapeIssue[]): boolean {
  const before = issues.length;
  for (const [key, [kind, presence]] of Object.entries(rules)) {
    const field = value[key];
    if (field === undefined && presence !== 'required') continue;
    if (field === null && presence === 'nullish') continue;
    if (kind === 'object' ? !isObject(field) : typeof field !== kind) issues.push({ path: [...path, key], message: `expected ${kind}, received ${kindOf(field)}` });
  }
  return issues.length === before;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}
