/**
 * How the cloud backends reach their SDK: imported on first use (so the CLI does not pay for an SDK
 * nobody uses), and replaceable part by part at its boundary in tests.
 */

/** Compile-time check that a real SDK type fits the narrow shape a backend declares for it. */
export type Fits<Real, Narrow> = Real extends Narrow ? true : never;

/**
 * The injected SDK when every part is given (tests); otherwise the real SDK from `importReal`, with
 * any part that was injected used in place of the real one.
 */
export async function loadSdk<Sdk extends object>(injected: Partial<Sdk>, parts: readonly (keyof Sdk)[], importReal: () => Promise<Sdk>): Promise<Sdk> {
  if (parts.every((part) => injected[part])) return injected as Sdk;
  const real = await importReal();
  return Object.fromEntries(parts.map((part) => [part, injected[part] ?? real[part]])) as Sdk;
}
