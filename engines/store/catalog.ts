// Finding, checking and garbage-listing store entries.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PATHS } from '../../infra/paths';
import type { DatasetRef, Manifest } from '../../schemas/store';
import { sha256File } from './canonical';
import { storeError } from './errors';
import { resolveUri } from './locate';
import { entryDir, filesDigest, readManifest, refOf, storeRoot } from './manifest';

/** The finished entry (kind, key), or null when it is absent or unfinished. Checks file sizes. */
export async function lookup(kind: string, key: string, root?: string): Promise<DatasetRef | null> {
  const dir = entryDir(kind, key, root);
  const manifest = await readManifest(dir);
  if (!manifest) return null;
  if (manifest.kind !== kind) {
    throw storeError('ManifestInvalid', `${dir}: manifest says kind ${manifest.kind}, not ${kind}`);
  }
  await checkSizes(dir, manifest);
  return refOf(dir, manifest);
}

async function checkSizes(dir: string, manifest: Manifest): Promise<void> {
  for (const f of manifest.files) {
    const path = join(dir, f.path);
    const size = await stat(path).then(
      (s) => s.size,
      () => -1,
    );
    if (size < 0) throw storeError('ChecksumMismatch', `${path}: listed in the manifest but missing`);
    if (size !== f.bytes) {
      throw storeError('ChecksumMismatch', `${path}: ${size} bytes, the manifest says ${f.bytes}`);
    }
  }
}

/**
 * The manifest behind a ref (or an entry directory), checked against it: same key and files hash,
 * files present with their sizes. Cheap; `verify` also re-hashes every byte.
 */
export async function openEntry(ref: DatasetRef | string): Promise<{ dir: string; manifest: Manifest }> {
  const dir = resolveUri(typeof ref === 'string' ? ref : ref.uri);
  const manifest = await readManifest(dir);
  if (!manifest)
    throw storeError('MissingPart', `${dir}: no ${'_manifest.json'} (entry missing or unfinished)`);
  if (typeof ref !== 'string') {
    if (manifest.key !== ref.key || filesDigest(manifest.files) !== ref.sha256) {
      throw storeError('ChecksumMismatch', `${dir}: manifest does not match the reference (key ${ref.key})`);
    }
  }
  await checkSizes(dir, manifest);
  return { dir, manifest };
}

/** Re-hashes every file against the manifest; throws ChecksumMismatch naming the first bad file. */
export async function verify(ref: DatasetRef | string): Promise<DatasetRef> {
  const { dir, manifest } = await openEntry(ref);
  for (const f of manifest.files) {
    const path = join(dir, f.path);
    const sha = await sha256File(path);
    if (sha !== f.sha256) {
      throw storeError('ChecksumMismatch', `${path}: sha256 ${sha}, the manifest says ${f.sha256}`);
    }
  }
  return refOf(dir, manifest);
}

export interface StoreEntry {
  kind: string;
  key: string;
  dir: string;
  finished: boolean;
  bytes: number;
  modified: string;
}

async function dirBytes(dir: string): Promise<{ bytes: number; modified: number }> {
  let bytes = 0;
  let modified = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const s = await stat(join(e.parentPath, e.name));
    bytes += s.size;
    modified = Math.max(modified, s.mtimeMs);
  }
  return { bytes, modified };
}

/** Every entry under the store root, finished or not. */
export async function listEntries(root?: string): Promise<StoreEntry[]> {
  const base = storeRoot(root);
  const out: StoreEntry[] = [];
  const kinds = await readdir(base, { withFileTypes: true }).catch(() => []);
  for (const k of kinds) {
    if (!k.isDirectory()) continue;
    for (const e of await readdir(join(base, k.name), { withFileTypes: true })) {
      if (!e.isDirectory() || !/^[0-9a-f]{64}$/.test(e.name)) continue;
      const dir = join(base, k.name, e.name);
      const finished = await stat(join(dir, '_manifest.json')).then(
        () => true,
        () => false,
      );
      const { bytes, modified } = await dirBytes(dir);
      out.push({
        kind: k.name,
        key: e.name,
        dir,
        finished,
        bytes,
        modified: new Date(modified).toISOString(),
      });
    }
  }
  return out;
}

const KEY_IN_TEXT = /\b[0-9a-f]{64}\b/g;

/**
 * Entries no run references, for cleanup: a run references every 64-hex key written anywhere in the
 * JSON files under its run directory (spec, node results, report), and everything those entries
 * list as inputs, transitively. Unfinished entries are listed too (they may be in flight: delete
 * them only when no worker runs).
 */
export async function listUnreferenced(
  opts: { root?: string; runsDir?: string } = {},
): Promise<StoreEntry[]> {
  const runsDir = opts.runsDir ?? PATHS.runs;
  const referenced = new Set<string>();
  const files = await readdir(runsDir, { withFileTypes: true, recursive: true }).catch(() => []);
  for (const f of files) {
    if (!f.isFile() || !f.name.endsWith('.json')) continue;
    const text = await readFile(join(f.parentPath, f.name), 'utf8');
    for (const m of text.matchAll(KEY_IN_TEXT)) referenced.add(m[0]);
  }
  const entries = await listEntries(opts.root);
  const byKey = new Map(entries.map((e) => [e.key, e]));
  const queue = [...referenced];
  while (queue.length > 0) {
    const key = queue.pop() as string;
    const entry = byKey.get(key);
    if (!entry?.finished) continue;
    const manifest = await readManifest(entry.dir);
    for (const input of Object.values(manifest?.inputs ?? {})) {
      if (!referenced.has(input.key)) {
        referenced.add(input.key);
        queue.push(input.key);
      }
    }
  }
  return entries.filter((e) => !referenced.has(e.key));
}
