/**
 * Daytona's interpreter reports only stdout, stderr and an error, not the value of a cell's last
 * expression nor its figures. So each cell runs through a small runner inside the sandbox that
 * does what Tidepool's own kernel does (notebook-style last expression, typed scalars, repr text,
 * open matplotlib figures as PNG, in `images` only) and prints the outcome as JSON between two
 * one-off markers.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { imageSchema } from '../../../kernel/protocol.js';

/** Installed once per interpreter context; its reappearance after the first cell means the state was lost. */
const RUNNER_SOURCE = String.raw`
import os as _os
_os.environ.setdefault('MPLBACKEND', 'Agg')
_os.makedirs('/mnt/data', exist_ok=True)
_os.chdir('/mnt/data')
globals()['__tidepool_fresh'] = True

def __tidepool_run(code, token):
    import ast, base64, io, json, linecache, pprint, sys, traceback
    g = globals()
    fresh = bool(g.pop('__tidepool_fresh', False))
    g['__tidepool_cells'] = g.get('__tidepool_cells', 0) + 1
    filename = '<cell-%d>' % g['__tidepool_cells']
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)

    def describe(exc):
        frames = traceback.TracebackException.from_exception(exc)
        frames.stack = traceback.StackSummary.from_list([f for f in frames.stack if f.filename.startswith('<cell-') or not f.filename.startswith('<')])
        return {'type': type(exc).__name__, 'message': str(exc), 'traceback': ''.join(frames.format())}

    def as_image(obj):
        buffer = io.BytesIO()
        obj.savefig(buffer, format='png', bbox_inches='tight')
        return {'type': 'image', 'format': 'png', 'base64_data': base64.b64encode(buffer.getvalue()).decode('ascii')}

    def text_of(value):
        if isinstance(value, (list, tuple, dict, set, frozenset)):
            return pprint.pformat(value, width=79, sort_dicts=False)
        return repr(value)

    def native(value, text):
        if isinstance(value, bool) or isinstance(value, str):
            return value
        if isinstance(value, int):
            return value if abs(value) <= 2**53 - 1 else text
        if isinstance(value, float):
            return value if value == value and value not in (float('inf'), float('-inf')) else text
        try:
            parsed = json.loads(text)
        except (ValueError, RecursionError):
            return text
        if isinstance(parsed, (int, float)) and not isinstance(parsed, bool) and abs(parsed) <= 2**53 - 1:
            return parsed
        return text

    def is_artist(value):
        items = value if isinstance(value, (list, tuple)) and value else [value]
        return all(type(item).__module__.startswith('matplotlib') for item in items)

    value, has_value, error = None, False, None
    try:
        tree = compile(code, filename, 'exec', ast.PyCF_ONLY_AST)
        last = tree.body.pop().value if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        exec(compile(tree, filename, 'exec'), g)
        if last is not None:
            value = eval(compile(ast.Expression(last), filename, 'eval'), g)
            has_value = not (value is None and isinstance(last, ast.Call))
    except (Exception, SystemExit) as exc:
        error = describe(exc)
    images, shown = [], []
    pyplot = sys.modules.get('matplotlib.pyplot')
    if pyplot is not None:
        try:
            for n in pyplot.get_fignums():
                shown.append(pyplot.figure(n))
                images.append(as_image(shown[-1]))
        finally:
            pyplot.close('all')
    # A figure as the last expression that pyplot did not hold (made without it, or closed).
    if has_value and type(value).__module__.startswith('matplotlib') and callable(getattr(value, 'savefig', None)) and not any(value is f for f in shown):
        images.append(as_image(value))
    result, has_result = None, False
    if error is None and has_value and value is not None and not is_artist(value):
        has_result, result = True, native(value, text_of(value))
    outcome = {'fresh': fresh, 'hasResult': has_result, 'result': result, 'images': images, 'error': error}
    sys.stdout.flush()
    sys.stderr.flush()
    sys.stdout.write(token + json.dumps(outcome, ensure_ascii=False, default=str) + token)
    sys.stdout.flush()
`;

/** The runner's report, validated: it crosses a process and a network boundary. */
const outcomeSchema = z.object({
  fresh: z.boolean(),
  hasResult: z.boolean(),
  result: z.union([z.string(), z.number(), z.boolean(), z.null()]),
  images: z.array(imageSchema),
  error: z.object({ type: z.string(), message: z.string(), traceback: z.string() }).nullable(),
});

export type RunnerOutcome = z.infer<typeof outcomeSchema>;

export interface RunnerCell {
  /** Python to send to the interpreter. */
  source: string;
  token: string;
}

/** Wraps user code so the runner installs itself when missing and then runs the cell. */
export function runnerCell(code: string): RunnerCell {
  const token = `\u001eTIDEPOOL-${randomBytes(8).toString('hex')}\u001e`;
  const source = [
    'try:',
    '    __tidepool_run',
    'except NameError:',
    `    exec(${JSON.stringify(RUNNER_SOURCE)}, globals())`,
    `__tidepool_run(${JSON.stringify(code)}, ${JSON.stringify(token)})`,
  ].join('\n');
  return { source, token };
}

/** Splits the runner's report out of stdout; undefined when the cell never got to report (interrupted). */
export function extractOutcome(stdout: string, token: string): { stdout: string; outcome?: RunnerOutcome } {
  const start = stdout.indexOf(token);
  const end = start < 0 ? -1 : stdout.indexOf(token, start + token.length);
  if (end < 0) return { stdout };
  const rest = stdout.slice(0, start) + stdout.slice(end + token.length);
  const parsed = outcomeSchema.safeParse(parseJson(stdout.slice(start + token.length, end)));
  return parsed.success ? { stdout: rest, outcome: parsed.data } : { stdout: rest };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
