// Store bench: TypeScript (apache-arrow + parquet-wasm + DuckDB) beside pyarrow on the same table.
// Every phase runs in its own process (its peak RSS is its own); prints a table and the ratios.
// Usage: npx tsx bench/store/run.ts [rows=200000] [groupRows=1000000]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { TOOLS } from '../../infra/paths';

const rows = Number(process.argv[2] ?? 200_000);
const groupRows = Number(process.argv[3] ?? 1_000_000);
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
  const pyW = py('write', String(wRows.uri), join(root, 'py.parquet'));
  const rTs = ts('read', rows);
  const rPy = py('read', join(root, 'py.parquet'));
  ts('write-small', groupRows);
  const gTs = ts('group-by', groupRows);
  const gPy = py('group-by', String(gTs.uri));
  const table = [
    ['ts write (row objects)', wRows],
    ['ts write (arrow batches)', wArrow],
    ['pyarrow write', pyW],
    ['ts read (stream all cols)', rTs],
    ['pyarrow read (stream all)', rPy],
  ] as const;
  console.log('\nphase                      rows/s     MB/s  seconds  peak RSS MB  file MB');
  for (const [name, r] of table) {
    console.log(
      `${name.padEnd(26)} ${f(r.rows_per_s, 0).padStart(7)} ${f(r.mb_per_s).padStart(8)} ${f(r.seconds, 2).padStart(8)} ${f(r.max_rss_mb, 0).padStart(12)} ${f(r.file_mb).padStart(8)}`,
    );
  }
  console.log(
    `\nprojected read (query_id, method, reward) of ${rows} rows: ts ${f(rTs.projected_seconds, 3)} s, pyarrow ${f(rPy.projected_seconds, 3)} s`,
  );
  console.log(
    `group-by (query_id, method) -> mean reward, count over ${gTs.rows} rows: DuckDB ${f(gTs.seconds, 3)} s (${gTs.groups} groups, peak RSS ${gTs.max_rss_mb} MB), pyarrow ${f(gPy.seconds, 3)} s`,
  );
  const ratio = (a: Result, b: Result) => (Number(a.mb_per_s) / Number(b.mb_per_s)).toFixed(2);
  console.log(
    `\nwrite MB/s ratio vs pyarrow: row objects ${ratio(wRows, pyW)}, arrow batches ${ratio(wArrow, pyW)} (goal >= 0.5)`,
  );
  console.log(`read MB/s ratio vs pyarrow: ${ratio(rTs, rPy)}`);
  console.log(
    `load average after: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
} finally {
  rmSync(root, { recursive: true, force: true });
}
