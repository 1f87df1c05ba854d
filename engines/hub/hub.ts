// Hugging Face Hub I/O with @huggingface/hub: pull a model or dataset snapshot into the store,
// push a store entry (checkpoint or dataset) to a repo. Token: $HF_TOKEN; endpoint: $HF_ENDPOINT.
// Transfers use plain HTTP (LFS "basic"), not the Xet protocol.
import { createWriteStream, openAsBlob } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { downloadFile, HubApiError, listFiles, uploadFiles } from '@huggingface/hub';
import { type DatasetRef, MANIFEST_FILE } from '../../schemas/store';
import { contentKey, entryDir, lookup, openEntry, sealEntry, storeError } from '../store';
import { tempName } from '../store/manifest';

export const HUB_PULL = { activity: 'hubPull', version: '1' };
/** Where a pulled repo's own `_manifest.json` (a pushed store entry) lands in the snapshot. */
export const SOURCE_MANIFEST = '_source_manifest.json';

export interface HubAccess {
  hubUrl?: string;
  accessToken?: string;
}

export interface PullSpec extends HubAccess {
  repo: string;
  type: 'model' | 'dataset';
  /** Branch, tag or commit; default "main". */
  revision?: string;
  /** Only files whose path starts with one of these prefixes (default: all). */
  include?: string[];
  root?: string;
}

export interface PushSpec extends HubAccess {
  /** The store entry to upload: every file of its manifest, and the manifest. */
  entry: DatasetRef | string;
  repo: string;
  type: 'model' | 'dataset';
  branch?: string;
  /** Folder inside the repo (default: the repo root). */
  pathInRepo?: string;
  title?: string;
}

function access(opts: HubAccess) {
  const accessToken = opts.accessToken ?? process.env.HF_TOKEN;
  return {
    hubUrl: opts.hubUrl ?? process.env.HF_ENDPOINT,
    ...(accessToken ? { accessToken } : {}),
  };
}

/** Client-side faults (bad repo, path, token) cannot succeed on retry; 5xx and network errors may. */
function hubFailure(err: unknown, what: string): unknown {
  if (err instanceof HubApiError && err.statusCode >= 400 && err.statusCode < 500 && err.statusCode !== 429) {
    return storeError('InvalidInput', `${what}: Hub answered ${err.statusCode}: ${err.message}`, err);
  }
  if (err instanceof TypeError && /token|repo|Spaces|Datasets/.test(err.message)) {
    return storeError('InvalidInput', `${what}: ${err.message}`, err);
  }
  return err;
}

/**
 * Downloads a repo snapshot into the store (kind `checkpoints` for models, `snapshots` for datasets)
 * and returns its ref. The key is computed from the listed file ids, so an unchanged snapshot is a
 * cache hit without downloading anything.
 */
export async function pullSnapshot(spec: PullSpec): Promise<DatasetRef> {
  const repo = { type: spec.type, name: spec.repo } as const;
  const revision = spec.revision ?? 'main';
  const what = `pull ${spec.type} ${spec.repo}@${revision}`;
  const files: { path: string; oid: string; size: number }[] = [];
  try {
    for await (const f of listFiles({ repo, revision, recursive: true, ...access(spec) })) {
      if (f.type !== 'file') continue;
      if (spec.include && !spec.include.some((p) => f.path.startsWith(p))) continue;
      files.push({ path: f.path, oid: f.lfs?.oid ?? f.oid ?? '', size: f.size });
    }
  } catch (err) {
    throw hubFailure(err, what);
  }
  files.sort((a, b) => a.path.localeCompare(b.path));
  if (files.length === 0) throw storeError('InvalidInput', `${what}: no files to pull`);
  const kind = spec.type === 'model' ? 'checkpoints' : 'snapshots';
  const params = {
    repo: spec.repo,
    type: spec.type,
    revision,
    files: files.map((f) => [f.path, f.oid, f.size]),
  };
  const key = contentKey({ producer: HUB_PULL, params });
  const found = await lookup(kind, key, spec.root);
  if (found) return found;
  const dir = entryDir(kind, key, spec.root);
  for (const f of files) {
    // A pushed store entry carries its own manifest: keep it beside ours, under another name.
    const target = join(dir, f.path === MANIFEST_FILE ? SOURCE_MANIFEST : f.path);
    await mkdir(dirname(target), { recursive: true });
    const tmp = tempName(dirname(target), f.path.split('/').pop() as string);
    try {
      const blob = await downloadFile({ repo, path: f.path, revision, xet: false, ...access(spec) });
      if (!blob) throw storeError('InvalidInput', `${what}: ${f.path} listed but not found`);
      await pipeline(
        Readable.fromWeb(blob.stream() as import('node:stream/web').ReadableStream),
        createWriteStream(tmp),
      );
      await rename(tmp, target);
    } catch (err) {
      throw hubFailure(err, `${what}: ${f.path}`);
    } finally {
      await rm(tmp, { force: true });
    }
  }
  return sealEntry({
    kind,
    key,
    producer: HUB_PULL,
    params: { repo: spec.repo, type: spec.type, revision },
    root: spec.root,
  });
}

/** Uploads a store entry (verified sizes, its manifest included) as one commit; returns the commit. */
export async function pushEntry(spec: PushSpec): Promise<{ commit: string; url: string; files: number }> {
  const { dir, manifest } = await openEntry(spec.entry);
  const prefix = spec.pathInRepo ? `${spec.pathInRepo.replace(/\/+$/, '')}/` : '';
  const what = `push ${dir} to ${spec.type} ${spec.repo}`;
  const creds = access(spec);
  if (!creds.accessToken) throw storeError('InvalidInput', `${what}: no token (set HF_TOKEN)`);
  const files = await Promise.all(
    [...manifest.files.map((f) => f.path), '_manifest.json'].map(async (path) => ({
      path: `${prefix}${path}`,
      content: await openAsBlob(join(dir, path)),
    })),
  );
  try {
    const res = await uploadFiles({
      repo: { type: spec.type, name: spec.repo },
      files,
      branch: spec.branch,
      commitTitle: spec.title ?? `autocode: ${manifest.kind} ${manifest.key.slice(0, 12)}`,
      useXet: false,
      ...creds,
      accessToken: creds.accessToken,
    });
    if (!res) throw new Error(`${what}: the Hub returned no commit`);
    return { commit: res.commit.oid, url: res.commit.url, files: files.length };
  } catch (err) {
    throw hubFailure(err, what);
  }
}
