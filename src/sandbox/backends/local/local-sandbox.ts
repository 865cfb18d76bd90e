/**
 * `Local`: the kernel as a plain host subprocess. Fast and convenient for development,
 * and no isolation at all: code can read and change anything the user running Tidepool can.
 */
import { resolvePythonPath } from '../../../config/python.js';
import { DEFAULT_TIMEOUT_MS } from '../../execution.js';
import { SessionLifecycle } from '../../lifecycle.js';
import { resolveOutputLimitBytes, type OutputCapOptions } from '../../output-cap.js';
import { SessionMapSandbox } from '../../session-map.js';
import type { Language, Sandbox, SandboxOptions } from '../../types.js';
import { defaultLocalRoot, LOCAL_LANGUAGES, LocalSession, type LocalSessionConfig } from './local-session.js';

export interface LocalSandboxOptions extends SandboxOptions, OutputCapOptions {
  /** Interpreter to run; default TIDEPOOL_PYTHON, else /usr/bin/python3. */
  pythonPath?: string;
  /** Node.js binary for JavaScript cells; default the one running Tidepool. */
  nodePath?: string;
  /** Parent of the per-session data directories; default the OS temp directory. */
  rootDir?: string;
  /** How long an interrupted cell may take to stop before the kernel is killed (default 2000). */
  interruptGraceMs?: number;
}

export class LocalSandbox extends SessionMapSandbox<LocalSession> implements Sandbox {
  readonly type = 'Local' as const;
  readonly banner = '';
  readonly #config: LocalSessionConfig;

  constructor(private readonly options: LocalSandboxOptions = {}) {
    super();
    this.#config = {
      pythonPath: resolvePythonPath(options.pythonPath, options.env),
      nodePath: options.nodePath,
      defaultTimeoutMs: options.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS,
      outputLimitBytes: resolveOutputLimitBytes(options.outputLimitBytes, options.env),
      rootDir: options.rootDir ?? defaultLocalRoot(),
      interruptGraceMs: options.interruptGraceMs,
    };
  }

  languages(): Promise<readonly Language[]> {
    return Promise.resolve(LOCAL_LANGUAGES);
  }

  protected openSession(identifier: string, forget: () => void): LocalSession {
    const lifecycle = new SessionLifecycle('Local', identifier, this.options.onLifecycle, this.options.label);
    return new LocalSession(identifier, this.#config, lifecycle, forget);
  }
}

export function createLocalSandbox(options?: LocalSandboxOptions): LocalSandbox {
  return new LocalSandbox(options);
}
