// The identity of a checkpoint directory: its store key when it is a store entry, else a stamp of its
// real path and files. gpu/src/autocode_gpu/identity.py computes the same stamp (the shared vectors in
// test/vectors/checkpoint-identity.json pin both), so one folder gets one key on either side. Hashing
// the weights would cost minutes on a large model; names, sizes and modification times are enough to
// see a directory overwritten in place (a trainer's `latest/`) as a new checkpoint.
import { type BigIntStats, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { MANIFEST_FILE } from '../../schemas/store';
import { sha256Hex } from './canonical';

/** One regular file of a checkpoint directory: name, size in bytes, mtime in whole milliseconds. */
export type StampFile = readonly [name: string, size: number, mtimeMs: number];

/** Whole milliseconds of a nanosecond time, floored as Python's `//` does (BigInt division truncates). */
export function mtimeMsOf(mtimeNs: bigint): number {
  const q = mtimeNs / 1_000_000n;
  return Number(q * 1_000_000n > mtimeNs ? q - 1n : q);
}

/** Code point order (= UTF-8 byte order, Python's str order), not JavaScript's UTF-16 unit order. */
const byCodePoint = (a: StampFile, b: StampFile) => Buffer.compare(Buffer.from(a[0]), Buffer.from(b[0]));

/** The exact text hashed: dot-names dropped, sorted by name, compact JSON. */
export function stampJson(path: string, files: readonly StampFile[]): string {
  const kept = files.filter(([name]) => !name.startsWith('.')).sort(byCodePoint);
  return JSON.stringify({ path, files: kept });
}

/** The key of a listing (pure: checked against Python's stamp_of by the shared vectors). */
export function stampOf(path: string, files: readonly StampFile[]): string {
  return sha256Hex(stampJson(path, files));
}

/** Each regular file directly in `dir` (symlinks followed, broken ones skipped; dot-names left out). */
export function listing(dir: string): StampFile[] {
  const out: StampFile[] = [];
  for (const name of readdirSync(dir)) {
    if (name.startsWith('.')) continue;
    let st: BigIntStats;
    try {
      st = statSync(join(dir, name), { bigint: true });
    } catch {
      continue; // a broken link, or removed since the listing
    }
    if (st.isFile()) out.push([name, Number(st.size), mtimeMsOf(st.mtimeNs)]);
  }
  return out;
}

/** The store key of a directory holding a store manifest; null for a checkpoint made elsewhere. */
function storeKey(dir: string): string | null {
  try {
    const manifest = JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8')) as { key?: unknown };
    if (typeof manifest.key === 'string' && manifest.key) return manifest.key;
  } catch {
    /* no manifest: not a store entry */
  }
  return null;
}

/** A checkpoint directory's identity: its store key, else stampOf(its real path, its listing). */
export function checkpointStamp(dir: string): string {
  const key = storeKey(dir);
  if (key) return key;
  const real = realpathSync(dir);
  return stampOf(real, listing(real));
}
