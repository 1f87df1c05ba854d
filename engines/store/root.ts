// The store root of this host: an explicit root, else $AUTOCODE_STORE, else var/store (infra/paths.ts).
import { resolve } from 'node:path';
import { PATHS } from '../../infra/paths';

export function storeRoot(root?: string): string {
  // The environment is read per call so a worker (or test) can point at another store after import.
  return resolve(root ?? process.env.AUTOCODE_STORE ?? PATHS.store);
}
