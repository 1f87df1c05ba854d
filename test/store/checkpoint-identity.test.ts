// The checkpoint identity shared with the Python worker: the pure stamp against the shared vectors
// (gpu/tests/test_identity.py checks the same file), a real directory whose key is pinned there too,
// and one folder stamped by both languages here, so a checkpoint from outside the store has one key.
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  checkpointStamp,
  listing,
  mtimeMsOf,
  type StampFile,
  stampJson,
  stampOf,
} from '../../engines/store/checkpoint-identity';
import { ROOT } from '../../infra/paths';
import { python } from './python';

interface Vectors {
  mtime_ms: { cases: [string, number][] };
  stamps: { about: string; path: string; files: StampFile[]; json: string; key: string }[];
  directory: {
    path: string;
    files: { name: string; text: string; mtime_ns: string }[];
    symlinks: { name: string; target: string }[];
    dirs: string[];
    listing: StampFile[];
    key: string;
  };
}

const vectors = JSON.parse(
  readFileSync(join(ROOT, 'test', 'vectors', 'checkpoint-identity.json'), 'utf8'),
) as Vectors;

const seconds = (ns: string | bigint) => Number(BigInt(ns)) / 1e9;

/** Creates the vectors' directory in place: each file complete, with its mtime, before it is renamed
 * in, so the Python suite building the same directory at the same time never sees it half-made. */
function materialize(d: Vectors['directory']): void {
  mkdirSync(d.path, { recursive: true });
  for (const [i, f] of d.files.entries()) {
    const tmp = join(d.path, `.tmp-${process.pid}-${i}`);
    writeFileSync(tmp, f.text, 'utf8');
    utimesSync(tmp, seconds(f.mtime_ns), seconds(f.mtime_ns));
    renameSync(tmp, join(d.path, f.name));
  }
  for (const l of d.symlinks) {
    const at = join(d.path, l.name);
    try {
      if (readlinkSync(at) === l.target) continue;
    } catch {
      /* not there yet */
    }
    const tmp = join(d.path, `.tmp-${process.pid}-link`);
    rmSync(tmp, { force: true });
    symlinkSync(l.target, tmp);
    renameSync(tmp, at);
  }
  for (const sub of d.dirs) {
    mkdirSync(join(d.path, sub), { recursive: true });
    writeFileSync(join(d.path, sub, 'inside.txt'), 'not part of the stamp');
  }
}

describe('checkpoint identity vectors', () => {
  it('floors nanoseconds to milliseconds as Python does, before 1970 too', () => {
    for (const [ns, ms] of vectors.mtime_ms.cases) expect(mtimeMsOf(BigInt(ns)), ns).toBe(ms);
  });

  it('stamps each listing to the expected text and key', () => {
    expect(vectors.stamps.length).toBeGreaterThanOrEqual(6);
    for (const v of vectors.stamps) {
      expect(stampJson(v.path, v.files), v.about).toBe(v.json);
      expect(stampOf(v.path, v.files), v.about).toBe(v.key);
    }
  });

  it('stamps a real directory (fixed mtimes, a dot-file, a subdirectory, a symlink) to the pinned key', () => {
    const d = vectors.directory;
    materialize(d);
    expect(listing(d.path).sort((a, b) => Buffer.compare(Buffer.from(a[0]), Buffer.from(b[0])))).toEqual(
      d.listing,
    );
    expect(checkpointStamp(d.path)).toBe(d.key);
  });
});

describe('checkpointStamp', () => {
  const root = mkdtempSync(join(tmpdir(), 'ckpt-identity-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('gives the key the Python worker gives the same folder', () => {
    const dir = join(root, 'user-ckpt');
    mkdirSync(join(dir, 'nested'), { recursive: true });
    writeFileSync(join(dir, 'config.json'), '{"model_type": "llama"}');
    writeFileSync(join(dir, 'model.safetensors'), Buffer.alloc(4096, 7));
    writeFileSync(join(dir, 'ünïcode.txt'), 'x');
    writeFileSync(join(dir, '.lock'), '');
    symlinkSync('config.json', join(dir, 'link.json'));
    symlinkSync('missing', join(dir, 'broken'));
    const code = [
      'import sys',
      'from autocode_gpu.inputs import checkpoint_identity',
      'print(checkpoint_identity({"uri": sys.argv[1]})[1]["key"])',
    ].join('\n');
    const key = checkpointStamp(dir);
    expect(python(code, [dir]).trim()).toBe(key);
    // Through a symlinked path too: both hash the real path.
    symlinkSync(dir, join(root, 'alias'));
    expect(checkpointStamp(join(root, 'alias'))).toBe(key);
    expect(python(code, [join(root, 'alias')]).trim()).toBe(key);
  });

  it('changes when a file is overwritten in place, and is the store key for a store entry', () => {
    const dir = join(root, 'latest');
    mkdirSync(dir);
    writeFileSync(join(dir, 'config.json'), '{}');
    utimesSync(join(dir, 'config.json'), 1_700_000_000, 1_700_000_000);
    const before = checkpointStamp(dir);
    utimesSync(join(dir, 'config.json'), 1_700_000_000.002, 1_700_000_000.002);
    expect(checkpointStamp(dir)).not.toBe(before);

    writeFileSync(join(dir, '_manifest.json'), JSON.stringify({ key: 'a'.repeat(64) }));
    expect(checkpointStamp(dir)).toBe('a'.repeat(64));
  });
});
