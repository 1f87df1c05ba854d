// The reference forms one host writes and every host reads (docs/store.md): the same strings from
// TypeScript and Python for the same directory, malformed refs refused for good, content keys free of
// any host's paths.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { toActivityFailure } from '../../nodes/failure';
import { python } from './python';

const base = mkdtempSync(join(tmpdir(), 'autocode-refs-'));
const root = join(base, 'store');
mkdirSync(root);
process.env.AUTOCODE_STORE = root;
afterAll(() => rmSync(base, { recursive: true, force: true }));
const KEY = 'a'.repeat(64);
const { markStoreRoot, readRows, refUri, resolveUri, StoreUnavailable, writeDataset } = await import(
  '../../engines/store'
);
markStoreRoot(join(root, 'rollouts', KEY)); // as the first manifest written there does
const { keyFor, PRODUCER, rng, rolloutRow } = await import('./fixtures');

const PY_FORMS = `
import json, sys
from autocode_gpu import store
print(json.dumps([store.ref_uri(p) for p in sys.argv[1:]]))
`;

describe('store references', () => {
  it('TypeScript and Python write the same uri for the same directory', () => {
    const dirs = [join(root, 'rollouts', KEY), join(base, 'other store', 'ckpt é'), join(root, '..', 'x')];
    const ts = dirs.map(refUri);
    expect(ts[0]).toBe(`store:rollouts/${KEY}`);
    expect(ts[1]).toBe(`file://${base}/other%20store/ckpt%20%C3%A9`);
    expect(ts[2]).toBe(`file://${base}/x`);
    expect(JSON.parse(python(PY_FORMS, dirs))).toEqual(ts);
    expect(ts.slice(0, 2).map((uri) => resolveUri(uri))).toEqual(dirs.slice(0, 2));
  });

  it('a store root reached through a symlink names entries relative to it', () => {
    const link = join(base, 'link-root');
    symlinkSync(root, link);
    expect(refUri(join(link, 'rollouts', KEY))).toBe(`store:rollouts/${KEY}`);
  });

  it('refuses malformed refs for good, naming them', () => {
    for (const uri of [
      'store:',
      'store:rollouts/../../etc',
      'store:/abs',
      's3://bucket/key',
      'file://host/x',
    ]) {
      let err: unknown;
      try {
        resolveUri(uri);
      } catch (e) {
        err = e;
      }
      expect(err, uri).toMatchObject({ nonRetryable: true, type: 'InvalidInput' });
      expect((err as Error).message).toContain(uri);
    }
  });

  it('an unavailable root becomes a retryable Temporal failure of type StoreUnavailable', async () => {
    const r = rng(3);
    const ref = await writeDataset(
      { kind: 'rollouts', key: keyFor({ refs: 1 }), producer: PRODUCER, params: {} },
      Array.from({ length: 4 }, (_, i) => rolloutRow(r, i)),
    );
    expect(await readRows(ref)).toHaveLength(4);
    process.env.AUTOCODE_STORE = join(base, 'not-mounted');
    try {
      const failed = await readRows(ref).then(
        () => null,
        (e: unknown) => e,
      );
      expect(failed).toBeInstanceOf(StoreUnavailable);
      // What the cpu worker's interceptor hands Temporal: not marked non-retryable, the type kept.
      const failure = toActivityFailure(failed);
      expect((failure as { nonRetryable?: boolean }).nonRetryable ?? false).toBe(false);
      expect(failure.name).toBe('StoreUnavailable');
      expect(failure.constructor.name).toBe('StoreUnavailable');
    } finally {
      process.env.AUTOCODE_STORE = root;
    }
    expect(await readRows(ref)).toHaveLength(4);
  });
});
