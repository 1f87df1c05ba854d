// Where entries live and how their manifests are read and written. The manifest is the last file
// written into an entry (temp name + rename), so its presence means the entry is finished.
import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';
import { type DatasetRef, MANIFEST_FILE, Manifest, type ManifestFile } from '../../schemas/store';
import { canonicalJson, sha256Hex } from './canonical';
import { storeError } from './errors';
import { markStoreRoot, refUri, resolveUri } from './locate';
import { storeRoot } from './root';

export { storeRoot };

export function entryDir(kind: string, key: string, root?: string): string {
  if (!/^[a-z][a-z0-9_]*$/.test(kind)) throw storeError('InvalidInput', `bad store kind "${kind}"`);
  if (!/^[0-9a-f]{64}$/.test(key)) throw storeError('InvalidInput', `bad store key "${key}" (64 hex digits)`);
  return join(storeRoot(root), kind, key);
}

export function partName(index: number): string {
  if (!Number.isInteger(index) || index < 0 || index > 99_999) {
    throw storeError('InvalidInput', `part index ${index} is not an integer in [0, 99999]`);
  }
  return `part-${String(index).padStart(5, '0')}.parquet`;
}

export const PART_PATTERN = /^part-(\d{5})\.parquet$/;
export const TEMP_PREFIX = '.tmp-';

/** A temporary name beside `finalName`, unique per process and call; names the writer for cleanup. */
export function tempName(dir: string, finalName: string): string {
  return join(
    dir,
    `${TEMP_PREFIX}${finalName}.${hostTag()}.${process.pid}.${randomBytes(4).toString('hex')}`,
  );
}

/** This host's name with no dots, as it appears in temp names. */
export function hostTag(): string {
  return hostname().replace(/[^A-Za-z0-9-]/g, '_');
}

/** sha256 of the canonical files list: the entry's content hash (DatasetRef.sha256). */
export function filesDigest(files: readonly ManifestFile[]): string {
  return sha256Hex(canonicalJson(files));
}

/** The manifest of `dir` (a directory or a ref's uri), or null when the entry is not finished. */
export async function readManifest(dirOrUri: string): Promise<Manifest | null> {
  const dir = resolveUri(dirOrUri);
  const path = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw storeError('ManifestInvalid', `${path}: not JSON (${(err as Error).message})`);
  }
  const parsed = Manifest.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw storeError('ManifestInvalid', `${path}: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
  }
  if (parsed.data.key !== basename(dir)) {
    throw storeError('ManifestInvalid', `${path}: key ${parsed.data.key} does not match its directory`);
  }
  return parsed.data;
}

export async function writeManifest(dir: string, manifest: Manifest): Promise<void> {
  const final = join(dir, MANIFEST_FILE);
  const tmp = tempName(dir, MANIFEST_FILE);
  try {
    await writeFile(tmp, `${JSON.stringify(manifest, null, 2)}\n`, { flush: true });
    await rename(tmp, final);
    markStoreRoot(dir);
  } finally {
    await rm(tmp, { force: true });
  }
}

export function refOf(dir: string, manifest: Manifest): DatasetRef {
  return {
    kind: manifest.kind,
    key: manifest.key,
    uri: refUri(dir),
    sha256: filesDigest(manifest.files),
    rows: manifest.rows,
    schema_version: manifest.schema_version,
  };
}
