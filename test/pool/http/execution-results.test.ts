/**
 * The value of a cell's last expression in every answer shape — gen-1 `result`, the legacy flat
 * `result`, gen-2 `executionResult`, and gen-2 with TIDEPOOL_POOL_EXECUTION_RESULT=string — one row
 * per kind of value, as docs/pool.md's table lists them. In-process, with real host kernels.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, E, gen1Exec, gen2Exec, V1, V2, V3, type Harness } from './app-harness.js';

let pool: Harness;
let stringPool: Harness;
beforeAll(async () => {
  pool = await createHarness();
  stringPool = await createHarness({ executionResult: 'string' });
});
afterAll(async () => {
  await pool?.close();
  await stringPool?.close();
});

async function gen1(code: string, identifier = 'results-gen1'): Promise<Record<string, unknown>> {
  const response = await pool.json(`${E}/code/execute?identifier=${identifier}&${V1}`, gen1Exec(code));
  expect(response.status).toBe(200);
  return ((await response.json()) as { properties: Record<string, unknown> }).properties;
}

async function legacy(code: string, identifier = 'results-legacy'): Promise<Record<string, unknown>> {
  const response = await pool.json(`${E}/python/execute?identifier=${identifier}&${V1}`, { properties: { identifier, codeInputType: 'inline', executionType: 'synchronous', pythonCode: code } });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

async function gen2(code: string, options: { harness?: Harness; version?: string; extra?: Record<string, unknown>; identifier?: string } = {}): Promise<Record<string, unknown>> {
  const harness = options.harness ?? pool;
  const response = await harness.json(`${E}/executions?identifier=${options.identifier ?? 'results-gen2'}&${options.version ?? V3}`, gen2Exec(code, options.extra));
  expect(response.status).toBe(200);
  return ((await response.json()) as { result: Record<string, unknown> }).result;
}

const FIGURE = 'import matplotlib\nmatplotlib.use("Agg")\nimport matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\n';

describe('nothing to show and None', () => {
  it.each([
    ['a statement', 'x = 1'],
    ['print only', "print('hi')"],
    ['a call that returns None', 'def f():\n    return None\nf()'],
  ])('%s gives "" in every shape', async (_name, code) => {
    expect((await gen1(code)).result).toBe('');
    expect((await gen1(code)).executionResult).toBe('');
    expect((await legacy(code)).result).toBe('');
    expect((await gen2(code)).executionResult).toBe('');
    expect((await gen2(code, { harness: stringPool })).executionResult).toBe('');
  });

  it.each([
    ['a bare None', 'None'],
    ['a name bound to None', 'a = None\na'],
  ])('%s gives "" in gen-1 and the legacy shape, null in gen-2 (vector 11)', async (_name, code) => {
    const properties = await gen1(code);
    expect(properties.result).toBe('');
    expect(properties.executionResult).toBe('');
    expect((await legacy(code)).result).toBe('');
    expect((await gen2(code)).executionResult).toBeNull();
    expect((await gen2(code, { version: V2 })).executionResult).toBeNull();
    expect((await gen2(code, { extra: { returnJupyterFormatExecutionResult: true } })).executionResult).toBeNull();
    expect((await gen2(code, { harness: stringPool })).executionResult).toBeNull();
  });

  it('a failing cell gives "" and the traceback in stderr', async () => {
    const properties = await gen1("raise ValueError('boom')");
    expect(properties).toMatchObject({ status: 'Failure', result: '' });
    expect(properties.stderr).toContain('ValueError: boom');
    expect((await gen2("raise ValueError('boom')")).executionResult).toBe('');
  });
});

describe('values', () => {
  it.each([
    ['an int', '6 * 7', 42, '42'],
    ['a float', '1 / 4', 0.25, '0.25'],
    ['a bool', '1 < 2', true, 'True'],
    ['a string', "'nan'", 'nan', 'nan'],
    ['NaN (no JSON number)', "float('nan')", 'nan', 'nan'],
    ['an int past 2**53 (kept exact as text)', '2 ** 64', '18446744073709551616', '18446744073709551616'],
    ['a dict (its repr)', "{'a': 1, 'b': 'x'}", "{'a': 1, 'b': 'x'}", "{'a': 1, 'b': 'x'}"],
    ['a numpy scalar', 'import numpy as np\nnp.int64(7)', 7, '7'],
  ])('%s', async (_name, code, typed, text) => {
    expect((await gen1(code)).result).toEqual(typed);
    expect((await legacy(code)).result).toEqual(typed);
    expect((await gen2(code)).executionResult).toEqual(typed);
    expect((await gen2(code, { harness: stringPool })).executionResult).toBe(text);
  });

  it('returnJupyterFormatExecutionResult gives scalars as their repr, in both result formats (vector 11)', async () => {
    const extra = { returnJupyterFormatExecutionResult: true };
    expect((await gen2("'nan'", { extra })).executionResult).toBe("'nan'");
    expect((await gen2('6 * 7', { extra })).executionResult).toBe('42');
    expect((await gen2('True', { extra, harness: stringPool })).executionResult).toBe('True');
  });
});

describe('images', () => {
  it('a displayed figure is the result object; with string results its JSON text', async () => {
    const code = `${FIGURE}plt.show()`;
    const image = (await gen1(code)).result as Record<string, string>;
    expect(image).toMatchObject({ type: 'image', format: 'png' });
    expect(image.base64_data!.startsWith('iVBOR')).toBe(true);
    expect((await gen1(code)).images).toBeUndefined();
    expect((await legacy(code)).result).toMatchObject({ type: 'image', format: 'png' });
    expect((await gen2(code)).executionResult).toMatchObject({ type: 'image', format: 'png' });
    const text = (await gen2(code, { harness: stringPool })).executionResult as string;
    expect(typeof text).toBe('string');
    expect(JSON.parse(text)).toMatchObject({ type: 'image', format: 'png' });
  });

  it('images besides the one in result travel in `images`, each once', async () => {
    const twoFigures = `${FIGURE}plt.figure()\nplt.plot([3, 2, 1])\nplt.show()`;
    const properties = await gen1(twoFigures);
    expect(properties.result).toMatchObject({ type: 'image' });
    expect(properties.images).toHaveLength(1);
    expect((properties.images as { base64_data: string }[])[0]!.base64_data).not.toBe((properties.result as { base64_data: string }).base64_data);
    const withValue = await gen2(`${FIGURE}plt.show()\n6 * 7`);
    expect(withValue.executionResult).toBe(42);
    expect(withValue.images).toHaveLength(1);
    expect((await legacy(twoFigures)).images).toHaveLength(1);
  });
});
