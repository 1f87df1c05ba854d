// Store bench: TypeScript (apache-arrow + parquet-wasm + DuckDB) beside pyarrow on the same table.
// Every phase runs in its own process (its peak RSS is its own); prints a table and the ratios.
// Usage: npx tsx bench/store/run.ts [rows=200000] [groupRows=1000000] [readReps=3]
// The read comparison runs readReps times, TypeScript and pyarrow alternating (the machine is
// shared: load moves between runs); each side's figures are its median run by streaming time.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveUri } from '../../engines/store/locate';
import { TOOLS } from '../../infra/paths';

const rows = Number(process.argv[2] ?? 200_000);
const groupRows = Number(process.argv[3] ?? 1_000_000);
const readReps = Number(process.argv[4] ?? 3);
const root = mkdtempSync(join(tmpdir(), 'autocode-bench-store-'));
const here = import.meta.dirname;

type Result = Record<string, number | string>;
function phase(cmd: string, args: string[]): Result {
  const out = execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const line = out.trim().split('\n').pop() as string;
  return JSON.parse(line) as Result;
}
const ts = (name: string, n: number) => phase('npx', ['tsx', join(here, 'phase.ts'), name, root, String(n)]);
const py = (...args: string[]) => phase(TOOLS.python, [join(here, 'pyarrow_peer.py'), ...args]);
const f = (x: unknown, d = 1) => (typeof x === 'number' ? x.toFixed(d) : String(x ?? ''));

try {
  const load0 = loadavg();
  console.log(
    `load average before: ${load0.map((l) => l.toFixed(2)).join(' ')} (${rows} rows, group-by over ${groupRows})`,
  );
  const wRows = ts('write-rows', rows);
  const wArrow = ts('write-arrow', rows);
  const pyW = py('write', resolveUri(String(wRows.uri)), join(root, 'py.parquet'));
  const rWasm = ts('read-wasm', rows);
  const tsReads: Result[] = [];
  const pyReads: Result[] = [];
  for (let i = 0; i < readReps; i++) {
    tsReads.push(ts('read', rows));
    pyReads.push(py('read', resolveUri(String(wRows.uri))));
  }
  const median = (rs: Result[]) =>
    [...rs].sort((a, b) => Number(a.seconds) - Number(b.seconds))[rs.length >> 1] as Result;
  const rTs = median(tsReads);
  const rPy = median(pyReads);
  ts('write-small', groupRows);
  const gTs = ts('group-by', groupRows);
  const gPy = py('group-by', resolveUri(String(gTs.uri)));
  // Every read figure is in MB of the same Arrow data: the TypeScript batches' buffer bytes
  // (pyarrow's own batch.nbytes count is printed beside it).
  const mb = Number(rTs.arrow_mb);
  const at = (s: unknown, n = Number(rTs.rows)) => ({
    rows_per_s: n / Number(s),
    mb_per_s: mb / Number(s),
    seconds: Number(s),
  });
  const table = [
    ['ts write (row objects)', wRows],
    ['ts write (arrow batches)', wArrow],
    ['pyarrow write', pyW],
    ['ts read (native, DuckDB)', { ...rTs, ...at(rTs.seconds) }],
    ['ts read (parquet-wasm, old)', { ...rWasm, ...at(rWasm.seconds) }],
    ['pyarrow read (threads)', { ...rPy, ...at(rPy.seconds) }],
    ['pyarrow read (1 thread)', { ...at(rPy.one_thread_seconds) }],
  ] as const;
  console.log('\nphase                         rows/s     MB/s  seconds  peak RSS MB  file MB');
  for (const [name, r] of table) {
    const x = r as Result;
    console.log(
      `${name.padEnd(29)} ${f(x.rows_per_s, 0).padStart(7)} ${f(x.mb_per_s).padStart(8)} ${f(x.seconds, 2).padStart(8)} ${f(x.max_rss_mb, 0).padStart(12)} ${f(x.file_mb).padStart(8)}`,
    );
  }
  console.log(
    `\nread: the TypeScript entry's ${rTs.rows} rows (2 parts, 4096-row groups, zstd), every column, streamed as Arrow record batches of 2048 rows on both sides; MB = ${f(mb)} MB of Arrow buffers as the TypeScript batches hold them (pyarrow counts ${f(Number(rPy.arrow_mb))} MB for the same batches).`,
  );
  console.log(
    '  ts: streamDataset (DuckDB decodes, one copy into arrow-js buffers); old: parquet-wasm ParquetFile.stream + IPC into arrow-js (the store before); pyarrow: ParquetFile.iter_batches.',
  );
  console.log(
    `  ts with 4096-row batches (two chunks joined: one more copy): ${f(rTs.joined_4096_seconds, 2)} s`,
  );
  console.log(
    `projected read (query_id, method, reward) of ${rows} rows into Arrow: ts readDataset ${f(rTs.projected_seconds, 3)} s, pyarrow read_table ${f(rPy.projected_seconds, 3)} s`,
  );
  console.log(
    `rows as native objects (estimate's 5 columns) of ${rows} rows: ts readRows ${f(rTs.objects_seconds, 3)} s, pyarrow read_table + to_pylist ${f(rPy.objects_seconds, 3)} s`,
  );
  console.log(
    `group-by (query_id, method) -> mean reward, count over ${gTs.rows} rows: DuckDB ${f(gTs.seconds, 3)} s (${gTs.groups} groups, peak RSS ${gTs.max_rss_mb} MB), pyarrow ${f(gPy.seconds, 3)} s`,
  );
  const ratio = (a: Result, b: Result) => (Number(a.mb_per_s) / Number(b.mb_per_s)).toFixed(2);
  console.log(
    `\nwrite MB/s ratio vs pyarrow: row objects ${ratio(wRows, pyW)}, arrow batches ${ratio(wArrow, pyW)} (goal >= 0.5)`,
  );
  const rr = (s: unknown, peer: unknown) => (Number(peer) / Number(s)).toFixed(2);
  console.log(
    `read runs (ts s / pyarrow s, alternating): ${tsReads.map((t, i) => `${f(t.seconds, 2)} / ${f(pyReads[i]?.seconds, 2)}`).join(', ')}; per-run ratios ${tsReads.map((t, i) => rr(t.seconds, pyReads[i]?.seconds)).join(', ')}`,
  );
  console.log(
    `read MB/s ratio vs pyarrow (threads), medians: ${rr(rTs.seconds, rPy.seconds)} (goal >= 0.5); vs pyarrow on 1 thread ${rr(rTs.seconds, rPy.one_thread_seconds)}; the old parquet-wasm path ${rr(rWasm.seconds, rPy.seconds)}`,
  );
  console.log(
    `load average after: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
} finally {
  rmSync(root, { recursive: true, force: true });
}
