// Store references that any host can open: an entry is named `store:<kind>/<key>`, relative to the
// store root, and each host resolves it against its own root (AUTOCODE_STORE, else var/store). Things
// outside the store are `file:///abs/path`; plain paths (absolute ones in older histories and manifests,
// relative ones typed by hand) are still read. gpu/src/autocode_gpu/store.py resolves the same way.
import { accessSync, constants, existsSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { StoreUnavailable, storeError } from './errors';
import { storeRoot } from './root';

export const STORE_SCHEME = 'store:';
/** Written at the root by every manifest write: a root without it is an empty mount point. */
export const STORE_MARKER = '.autocode-store';

/** `store:<kind>/<key>` (or any path below the root, '/'-separated). */
export function storeUri(relPath: string): string {
  return `${STORE_SCHEME}${checkRelative(relPath, relPath)}`;
}

/**
 * The reference to write for a local directory: `store:<path below the root>` when it lies under this
 * host's store root, else `file:///abs`. An entry written under an explicit other root is outside the
 * store the reference would be resolved against, so it is named by file URL.
 */
export function refUri(dir: string): string {
  const abs = real(dir);
  const rel = below(abs, real(storeRoot()));
  return rel !== null ? storeUri(rel) : pathToFileURL(abs).href;
}

/** Symlinks resolved in the part of the path that exists (as Python's Path.resolve), so both sides
 * name a directory alike. */
function real(path: string): string {
  const abs = resolve(path);
  try {
    return realpathSync(abs);
  } catch {
    const parent = dirname(abs);
    return parent === abs ? abs : join(real(parent), basename(abs));
  }
}

/** `path` relative to `root`, '/'-separated, or null when it is not strictly below it. */
function below(path: string, root: string): string | null {
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel.split(sep).join('/') : null;
}

/**
 * The local path of a reference on this host. `store:` refs need this host's root mounted and readable:
 * otherwise a retryable StoreUnavailable naming the host, the root and the ref (a retry succeeds once
 * the root is back; nothing finished is touched).
 */
export function resolveUri(uri: string, opts: { root?: string } = {}): string {
  if (uri.startsWith(STORE_SCHEME)) {
    const rel = checkRelative(uri.slice(STORE_SCHEME.length), uri);
    const root = storeRoot(opts.root);
    checkRoot(root, uri);
    return join(root, ...rel.split('/'));
  }
  if (uri.startsWith('file:')) {
    try {
      return fileURLToPath(uri);
    } catch (err) {
      throw storeError('InvalidInput', `ref uri "${uri}": not a local file URL (${(err as Error).message})`);
    }
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri)) {
    throw storeError('InvalidInput', `ref uri "${uri}": scheme not supported (store:, file:// or a path)`);
  }
  // Older histories and manifests carry absolute paths; a relative one is read from the working directory.
  return resolve(uri);
}

function checkRelative(rel: string, uri: string): string {
  const parts = rel.split('/');
  if (rel === '' || parts.some((p) => p === '' || p === '.' || p === '..')) {
    throw storeError(
      'InvalidInput',
      `ref uri "${uri}": want store:<kind>/<key>, a relative path inside the root`,
    );
  }
  return rel;
}

function checkRoot(root: string, uri: string): void {
  let reason: string | null = null;
  try {
    if (!statSync(root).isDirectory()) reason = 'not a directory';
    else accessSync(root, constants.R_OK | constants.X_OK);
  } catch (err) {
    reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  }
  if (reason === null && !existsSync(join(root, STORE_MARKER))) {
    reason = `no ${STORE_MARKER} in it (an empty mount point?)`;
  }
  if (reason !== null) throw new StoreUnavailable(hostname(), root, uri, reason);
}

/**
 * Marks the root an entry directory belongs to as a store (see checkRoot): this host's root when the
 * entry lies under it, else the `<root>/<kind>/<key>` layout's root two levels up.
 */
export function markStoreRoot(entryDir: string): void {
  const abs = real(entryDir);
  const own = real(storeRoot());
  const root = below(abs, own) !== null ? own : resolve(abs, '..', '..');
  const marker = join(root, STORE_MARKER);
  if (!existsSync(marker)) writeFileSync(marker, '{"format":"autocode-store","layout":"<kind>/<key>/"}\n');
}
