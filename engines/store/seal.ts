// Finishing an entry whose files are not Parquet parts (checkpoints, Hub snapshots): every file
// under the entry directory (temp files excepted) is hashed into the manifest, written last.
import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { DatasetRef, InputRef, Manifest, ManifestFile, Producer } from '../../schemas/store';
import { MANIFEST_FILE } from '../../schemas/store';
import { sha256File } from './canonical';
import { storeError } from './errors';
import { entryDir, readManifest, refOf, TEMP_PREFIX, writeManifest } from './manifest';

export interface SealSpec {
  kind: string;
  key: string;
  producer: Producer;
  params: Record<string, unknown>;
  inputs?: Record<string, InputRef | DatasetRef>;
  schemaVersion?: number;
  root?: string;
}

export async function sealEntry(spec: SealSpec): Promise<DatasetRef> {
  const dir = entryDir(spec.kind, spec.key, spec.root);
  const done = await readManifest(dir);
  if (done) return refOf(dir, done);
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => {
    throw storeError('MissingPart', `${dir}: no such entry directory to seal`);
  });
  const files: ManifestFile[] = [];
  const paths = entries
    .filter((e) => e.isFile() && !e.name.startsWith(TEMP_PREFIX))
    .map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join('/'))
    .filter((p) => p !== MANIFEST_FILE)
    .sort();
  for (const path of paths) {
    const full = join(dir, path);
    files.push({ path, rows: 0, bytes: (await stat(full)).size, sha256: await sha256File(full) });
  }
  const inputs: Manifest['inputs'] = {};
  for (const [name, ref] of Object.entries(spec.inputs ?? {}))
    inputs[name] = { kind: ref.kind, key: ref.key, sha256: ref.sha256 };
  const manifest: Manifest = {
    kind: spec.kind,
    schema_version: spec.schemaVersion ?? 0,
    key: spec.key,
    inputs,
    params: spec.params,
    rows: 0,
    files,
    created_at: new Date().toISOString(),
    producer: spec.producer,
  };
  await writeManifest(dir, manifest);
  return refOf(dir, manifest);
}
