/**
 * Each adapter example in examples/ runs as a user would run it (node examples/<name>.ts), against
 * the embedded pool, with the model's replies scripted by the test model server: the model asks for
 * run_python, the pool runs it, and the model sees the real result before it answers.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startScriptedModelServer, type ScriptedModelServer } from '../support/scripted-model-server.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const FIBONACCI = 'a, b = 0, 1\nfor _ in range(20):\n    a, b = b, a + b\nprint(f"fib(20) = {a}")';
let model: ScriptedModelServer;
let home: string;

beforeAll(async () => {
  model = await startScriptedModelServer();
  home = mkdtempSync(path.join(os.tmpdir(), 'tidepool-examples-'));
});

afterAll(async () => {
  await model?.close();
  rmSync(home, { recursive: true, force: true });
});

function runExample(name: string, question: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'examples', `${name}.ts`), question], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: home, OPENAI_BASE_URL: model.url, OPENAI_API_KEY: 'sk-scripted', OPENAI_MODEL: 'scripted-model', NODE_NO_WARNINGS: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe.each(['ai-sdk', 'langchain', 'openai-agents'])('examples/%s.ts', (name) => {
  test('runs a scripted tool call on the pool and prints the answer', async () => {
    const question = `Fibonacci via ${name}?`;
    model.push(
      { expectUser: question, reply: { toolCalls: [{ name: 'run_python', arguments: { code: FIBONACCI } }] } },
      { expectToolResult: 'run_python', expectToolResultText: /fib\(20\) = 6765/, reply: { text: `The 20th Fibonacci number is 6765 (${name}).` } },
    );
    const result = await runExample(name, question);
    expect(result.stderr).toBe('');
    expect(model.failures).toEqual([]);
    expect(model.pending()).toBe(0);
    expect(result.stdout.trim()).toBe(`The 20th Fibonacci number is 6765 (${name}).`);
    expect(result.code).toBe(0);
    // The pool's banner in the tool result shows where the code ran.
    expect(JSON.stringify(model.requests.at(-1)!.messages)).toContain('Tidepool Pool Sandbox');
  }, 180_000);
});
