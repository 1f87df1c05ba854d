import { copyFileSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  entryDir,
  lookup,
  openWriter,
  readDataset,
  readRows,
  sha256File,
  verify,
  writeDataset,
} from '../../engines/store';
import { resolveUri } from '../../engines/store/locate';
import type { Row } from '../../schemas/datasets';
import type { DatasetRef } from '../../schemas/store';
import { keyFor, PRODUCER, rng, rolloutRow, tempStore } from './fixtures';
import { python } from './python';

const store = tempStore();
afterAll(() => store.cleanup());
const r = rng(7);
const rows: Row[] = Array.from({ length: 50 }, (_, i) => rolloutRow(r, i));

async function goodEntry(name: string): Promise<DatasetRef> {
  const params = { name };
  return writeDataset(
    { kind: 'rollouts', key: keyFor(params), producer: PRODUCER, params, root: store.root },
    rows,
    {
      rowsPerPart: 25,
    },
  );
}

/** Replaces part 1 of an entry with `file` and re-signs the manifest so only the schema is wrong. */
async function swapPart(ref: DatasetRef, file: string): Promise<void> {
  const part = join(resolveUri(ref.uri), 'part-00001.parquet');
  copyFileSync(file, part);
  const manifestPath = join(resolveUri(ref.uri), '_manifest.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  manifest.files[1].bytes = readFileSync(part).byteLength;
  manifest.files[1].sha256 = await sha256File(part);
  writeFileSync(manifestPath, JSON.stringify(manifest));
}

// pyarrow writes a rollouts-like file with `reward` dropped or stored as text.
const PY_BAD = `
import sys, pyarrow as pa, pyarrow.parquet as pq
t = pq.read_table(sys.argv[1])
if sys.argv[3] == "missing":
    t = t.drop_columns(["reward"])
else:
    i = t.schema.get_field_index("reward")
    t = t.set_column(i, "reward", pa.array([str(v) for v in t.column("reward").to_pylist()]))
pq.write_table(t, sys.argv[2])
`;

describe('bad input is a non-retryable error naming what is wrong', () => {
  it('a missing column names the file and the column', async () => {
    const ref = await goodEntry('missing');
    const bad = join(store.root, 'missing.parquet');
    python(PY_BAD, [join(resolveUri(ref.uri), 'part-00000.parquet'), bad, 'missing']);
    await swapPart(ref, bad);
    // The old ref no longer matches the re-signed manifest; read the entry by its directory.
    await expect(readDataset(ref)).rejects.toMatchObject({ type: 'ChecksumMismatch' });
    const err = await readDataset(ref.uri).catch((e) => e);
    expect(err).toMatchObject({ type: 'SchemaMismatch', nonRetryable: true });
    expect(err.message).toContain('part-00001.parquet');
    expect(err.message).toContain('column "reward"');
    expect(err.message).toContain('missing');
    // A projection that does not need the column still reads.
    expect((await readDataset(ref.uri, { columns: ['query_id'] })).numRows).toBe(50);
  });

  it('a mistyped column names the file, the column and both types', async () => {
    const ref = await goodEntry('mistyped');
    const bad = join(store.root, 'mistyped.parquet');
    python(PY_BAD, [join(resolveUri(ref.uri), 'part-00000.parquet'), bad, 'mistyped']);
    await swapPart(ref, bad);
    const err = await readRows(ref.uri).catch((e) => e);
    expect(err).toMatchObject({ type: 'SchemaMismatch', nonRetryable: true });
    expect(err.message).toMatch(
      /part-00001\.parquet: column "reward" has type Utf8 but rollouts v1 needs float32/,
    );
  });

  it('finish refuses a part with the wrong schema', async () => {
    const ref = await goodEntry('source');
    const bad = join(store.root, 'finish-missing.parquet');
    python(PY_BAD, [join(resolveUri(ref.uri), 'part-00000.parquet'), bad, 'missing']);
    const params = { name: 'finish' };
    const w = openWriter({
      kind: 'rollouts',
      key: keyFor(params),
      producer: PRODUCER,
      params,
      root: store.root,
    });
    await w.writePart(0, rows);
    copyFileSync(bad, join(w.dir, 'part-00001.parquet'));
    await expect(w.finish(2)).rejects.toMatchObject({
      type: 'SchemaMismatch',
      nonRetryable: true,
      message: expect.stringContaining('part-00001.parquet: column "reward"'),
    });
  });

  it('a truncated file: lookup and reads name it', async () => {
    const ref = await goodEntry('truncated');
    const part = join(resolveUri(ref.uri), 'part-00000.parquet');
    truncateSync(part, 200);
    await expect(lookup('rollouts', ref.key, store.root)).rejects.toMatchObject({
      type: 'ChecksumMismatch',
      message: expect.stringMatching(/part-00000\.parquet: 200 bytes, the manifest says \d+/),
    });
    // Re-signed to the truncated size, the Parquet reader itself refuses it.
    const manifestPath = join(resolveUri(ref.uri), '_manifest.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    manifest.files[0].bytes = 200;
    manifest.files[0].sha256 = await sha256File(part);
    writeFileSync(manifestPath, JSON.stringify(manifest));
    const err = await readDataset(ref.uri).catch((e) => e);
    expect(err).toMatchObject({ type: 'UnreadableParquet', nonRetryable: true });
    expect(err.message).toContain('part-00000.parquet');
  });

  it('a manifest whose sha256 does not match: verify names the file', async () => {
    const ref = await goodEntry('sha');
    const part = join(resolveUri(ref.uri), 'part-00001.parquet');
    const bytes = readFileSync(part);
    bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] as number) ^ 0xff;
    writeFileSync(part, bytes);
    const err = await verify(ref).catch((e) => e);
    expect(err).toMatchObject({ type: 'ChecksumMismatch', nonRetryable: true });
    expect(err.message).toMatch(/part-00001\.parquet: sha256 [0-9a-f]{64}, the manifest says [0-9a-f]{64}/);
  });

  it('a ref that does not match its manifest, an unknown kind, a bad row', async () => {
    const ref = await goodEntry('ref');
    await expect(readDataset({ ...ref, sha256: '0'.repeat(64) })).rejects.toMatchObject({
      type: 'ChecksumMismatch',
    });
    expect(() =>
      openWriter({ kind: 'rolouts' as 'rollouts', key: ref.key, producer: PRODUCER, params: {} }),
    ).toThrow(/unknown dataset kind "rolouts"/);
    const w = openWriter({
      kind: 'rollouts',
      key: keyFor({ row: 1 }),
      producer: PRODUCER,
      params: {},
      root: store.root,
    });
    const broken = rows.map((x, i) => (i === 30 ? { ...x, reward: 'yes' } : x));
    await expect(w.writePart(0, broken)).rejects.toMatchObject({
      type: 'InvalidRow',
      nonRetryable: true,
      message: 'rollouts row 30: column "reward" (float32) is "yes", not a number',
    });
    const missing = rows.map((x, i) => (i === 3 ? { ...x, query_id: undefined } : x));
    await expect(w.writePart(0, missing)).rejects.toMatchObject({
      message: expect.stringContaining('row 3: column "query_id"'),
    });
    expect(await w.existingParts()).toEqual([]);
    await expect(readDataset(entryDir('rollouts', keyFor({ nothing: 1 }), store.root))).rejects.toMatchObject(
      {
        type: 'MissingPart',
      },
    );
  });
});
