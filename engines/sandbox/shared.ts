// One pool per process for activities: started on first use, closed when the worker shuts down.
import { SandboxPool } from './pool';
import type { SandboxOptions } from './types';

let shared: Promise<SandboxPool> | undefined;

/** Pool size and timeout come from AUTOCODE_SANDBOX_SIZE / AUTOCODE_SANDBOX_TIMEOUT_MS when set. */
export function sharedSandboxPool(opts?: SandboxOptions): Promise<SandboxPool> {
  if (!shared) {
    const env = (name: string): number | undefined =>
      process.env[name] ? Number(process.env[name]) : undefined;
    shared = SandboxPool.start({
      size: env('AUTOCODE_SANDBOX_SIZE'),
      timeoutMs: env('AUTOCODE_SANDBOX_TIMEOUT_MS'),
      ...opts,
    });
    shared.catch(() => {
      shared = undefined; // let a later call try again
    });
  }
  return shared;
}

/** Call on worker shutdown; safe when no pool was started. */
export async function closeSharedSandboxPool(): Promise<void> {
  const p = shared;
  shared = undefined;
  if (p) await (await p).close();
}
