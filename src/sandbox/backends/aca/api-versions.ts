/**
 * The data-plane API versions we speak, grouped into the two wire generations of the
 * service's published API specifications: gen-1 wraps everything in a
 * `properties` envelope; gen-2 is Azure-Core style with flat resources.
 */
import { ConfigurationError } from '../../../errors.js';

export type AcaGeneration = 1 | 2;

export interface AcaApiVersion {
  version: string;
  generation: AcaGeneration;
  /** `DELETE session` exists (2025-02-02-preview and later). */
  canDeleteSession: boolean;
  /** `GET files?recursive=true` exists (2025-10-02-preview). */
  canListRecursively: boolean;
  /** Shell pools' `POST executions` with `shellCommand` exists (2025-02-02-preview and later). */
  canRunShell: boolean;
  /** The identifier rule this version's service enforces. */
  identifierRule: 'short-alnum' | 'printable';
}

/** The version most published clients (LangChain, LlamaIndex, Semantic Kernel) still send. */
export const DEFAULT_ACA_API_VERSION = '2024-02-02-preview';

const VERSIONS: readonly AcaApiVersion[] = [
  { version: '2024-02-02-preview', generation: 1, canDeleteSession: false, canListRecursively: false, canRunShell: false, identifierRule: 'printable' },
  { version: '2024-08-02-preview', generation: 1, canDeleteSession: false, canListRecursively: false, canRunShell: false, identifierRule: 'printable' },
  { version: '2024-10-02-preview', generation: 2, canDeleteSession: false, canListRecursively: false, canRunShell: false, identifierRule: 'short-alnum' },
  { version: '2025-02-02-preview', generation: 2, canDeleteSession: true, canListRecursively: false, canRunShell: true, identifierRule: 'printable' },
  { version: '2025-10-02-preview', generation: 2, canDeleteSession: true, canListRecursively: true, canRunShell: true, identifierRule: 'printable' },
];

export const SUPPORTED_ACA_API_VERSIONS: readonly string[] = VERSIONS.map((entry) => entry.version);

export function resolveApiVersion(version: string): AcaApiVersion {
  const wanted = version.trim();
  const found = VERSIONS.find((entry) => entry.version === wanted);
  if (!found) {
    throw new ConfigurationError(
      `ACA API version "${version}" is not supported. Set ACA_API_VERSION (or pass apiVersion) to one of: ${SUPPORTED_ACA_API_VERSIONS.join(', ')}.`,
    );
  }
  return found;
}
