// Child process of hosts.test.ts: one "host" of the shared store, run in its own mount and UTS
// namespace (its own hostname, the store bind-mounted at its own root). Prints one JSON line.
// Usage: node --import tsx test/store/host-worker.ts write <seed> | read <ref-json> | retry <ref-json> <flag>
// `retry` reads until it succeeds, like Temporal retrying the activity: after the first failure it
// writes <flag> (the parent's cue to mount the store) and tries again every 100 ms.
import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { readRows, resolveUri, writeDataset } from '../../engines/store';
import type { DatasetRef } from '../../schemas/store';
import { keyFor, PRODUCER, rng, rolloutRow } from './fixtures';

const [cmd, arg, flag] = process.argv.slice(2) as [string, string, string | undefined];

async function read(ref: DatasetRef) {
  const rows = await readRows(ref, { columns: ['query_id', 'sample'] });
  return { host: hostname(), dir: resolveUri(ref.uri), rows: rows.map((r) => `${r.query_id}/${r.sample}`) };
}

async function main(): Promise<unknown> {
  if (cmd === 'write') {
    const r = rng(Number(arg));
    const rows = Array.from({ length: 40 }, (_, i) => rolloutRow(r, i));
    const ref = await writeDataset(
      { kind: 'rollouts', key: keyFor({ seed: arg }), producer: PRODUCER, params: { seed: arg } },
      rows,
    );
    return { host: hostname(), ref, dir: resolveUri(ref.uri) };
  }
  const ref = JSON.parse(arg) as DatasetRef;
  if (cmd === 'read') return read(ref);
  const failures: { name: string; message: string }[] = [];
  for (let attempt = 1; attempt <= 100; attempt++) {
    try {
      return { ...(await read(ref)), attempts: attempt, failures };
    } catch (err) {
      failures.push({ name: (err as Error).name, message: (err as Error).message });
      if (attempt === 1) writeFileSync(flag as string, 'failed once\n');
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { failures };
}

main().then(
  (out) => console.log(JSON.stringify(out)),
  (err: Error) =>
    console.log(JSON.stringify({ host: hostname(), error: { name: err.name, message: err.message } })),
);
