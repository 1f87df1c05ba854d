// Where the main job's minutes go: a per-stage wall-clock table of a finished run, from the Temporal
// histories (activity scheduled / started / closed times, child workflows), the stack's logs and the
// step stamps of bench/main-job/run-main-job.sh, and the store's part files (one per shard).
//
//   AUTOCODE_TEMPORAL_PORT=17800 AUTOCODE_VAR=var/h-perf-1 npx tsx bench/main-job/profile.ts [--run ID] [--json FILE]
//
// Needs the run's stack up (its histories live in that Temporal server).
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { withClient } from '../../cli/client';
import { resolveUri } from '../../engines/store';
import { PATHS, VAR_DIR } from '../../infra/paths';
import { type ActivitySpan, fetchTree, type WorkflowSpan } from './history';
import { type Interval, type Stamp, stackTimes, union } from './stages';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}

function latestRun(): string {
  const dir = PATHS.runs;
  const runs = existsSync(dir) ? readdirSync(dir).filter((d) => existsSync(join(dir, d, 'spec.json'))) : [];
  if (runs.length === 0) throw new Error(`no run under ${dir}: pass --run <workflow id>`);
  return runs.map((r) => ({ r, t: statSync(join(dir, r)).mtimeMs })).sort((a, b) => b.t - a.t)[0]
    ?.r as string;
}

const sec = (a: number | null, b: number | null) => (a === null || b === null ? null : (b - a) / 1000);
const fmt = (s: number | null) => (s === null ? '-' : s.toFixed(1));

interface Row {
  stage: string;
  start_s: number | null;
  wall_s: number | null;
  wait_s?: number | null;
  note?: string;
}

/** A name for an activity of the run, in the paper's words where it is a node. */
function label(a: ActivitySpan, iteration: number): string {
  const where = iteration === 0 ? '' : `iter ${iteration} `;
  switch (a.type) {
    case 'prepareRun':
      return 'prepare (spec, query sets)';
    case 'policy_sft':
      return 'bootstrap SFT';
    case 'policy_load':
      return `${where}serve policy (policy_load)`;
    case 'recordNode':
      return `${where}record node`;
    case 'writeRunReport':
      return 'report';
    default:
      if (iteration === 0 && a.type === 'evaluate') return 'evaluate starting policy (iter 0)';
      return `${where}${a.activity_id} (${a.type})`;
  }
}

interface Part {
  path: string;
  mtime: number;
}

/** A dataset's part files by write time (each one shard, written atomically when it finished). */
function partsOf(uri: string): Part[] {
  if (!existsSync(uri)) return [];
  return readdirSync(uri)
    .filter((f) => /^part-\d+\.parquet$/.test(f))
    .map((f) => ({ path: join(uri, f), mtime: statSync(join(uri, f)).mtimeMs }))
    .sort((a, b) => a.mtime - b.mtime);
}

/** Per-shard durations of the datasets an activity wrote during its own span (not found cached). */
function shardLines(a: ActivitySpan): string[] {
  const r = a.result as {
    dataset?: { uri: string; kind: string } | null;
    extra?: Record<string, { uri: string; kind: string }>;
  } | null;
  if (!r || a.started_ms === null || a.closed_ms === null) return [];
  const refs = [...(r.dataset ? [['output', r.dataset] as const] : []), ...Object.entries(r.extra ?? {})];
  const out: string[] = [];
  for (const [name, ref] of refs) {
    const parts = partsOf(resolveUri(ref.uri)).filter(
      (p) => p.mtime >= (a.started_ms as number) - 1000 && p.mtime <= (a.closed_ms as number) + 1000,
    );
    if (parts.length === 0) continue;
    const ds: number[] = [];
    let prev = a.started_ms;
    for (const p of parts) {
      ds.push((p.mtime - prev) / 1000);
      prev = p.mtime;
    }
    const sorted = [...ds].sort((x, y) => x - y);
    const median = sorted[Math.floor(sorted.length / 2)] as number;
    out.push(
      `      ${name} (${ref.kind}): ${parts.length} shards, first ends +${fmt(ds[0] ?? null)} s, median ${fmt(median)} s, max ${fmt(sorted.at(-1) ?? null)} s, last written +${fmt((prev - a.started_ms) / 1000)} s`,
    );
  }
  return out;
}

function iterationOf(w: WorkflowSpan): number {
  const m = /\/iter-(\d+)$/.exec(w.workflow_id);
  return m ? Number(m[1]) : 0;
}

async function main(): Promise<void> {
  const runId = arg('--run') ?? latestRun();
  const stampsFile = join(VAR_DIR, 'main-job-stamps.jsonl');
  const allStamps: Stamp[] = existsSync(stampsFile)
    ? readFileSync(stampsFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Stamp)
    : [];
  const tree = await withClient((client) => fetchTree(client, runId));
  const root = tree[0] as WorkflowSpan;
  // The stamps and the stack's logs belong to this run only if its `autocode run` started it (within
  // a minute); another run on the same stack gets the workflow figures alone.
  const stampedRun = allStamps.find((s) => s.step === 'run' && s.event === 'start')?.t_ms;
  const ours = stampedRun !== undefined && root.start_ms >= stampedRun && root.start_ms - stampedRun < 60_000;
  const stamps = ours ? allStamps : [];
  const jobStart = stamps.find((s) => s.step === 'job' && s.event === 'start')?.t_ms ?? root.start_ms;
  const rel = (t: number | null) => (t === null ? null : (t - jobStart) / 1000);
  const rows: Row[] = [];
  const detail: string[] = [];

  // Before the run: the stack coming up (logs, stack.json) and the smoke check.
  for (const s of ours ? stackTimes(stamps, VAR_DIR, root.start_ms) : []) {
    rows.push({ stage: s.stage, start_s: rel(s.start), wall_s: sec(s.start, s.end), note: s.note });
  }

  // The run: emRun's own activities and each iteration child, in time order.
  const runEnd = Math.max(...tree.map((w) => w.close_ms ?? 0));
  // Blocks in time order: each emRun activity on its own, each iteration child with its activities.
  const blocks: { at: number; rows: Row[] }[] = [];
  for (const w of tree) {
    const k = iterationOf(w);
    const childRows: Row[] = [];
    const records = { n: 0, s: 0 };
    if (k > 0) {
      const busy = union(w.activities.map((a): Interval => [a.scheduled_ms, a.closed_ms ?? a.scheduled_ms]));
      const wall = sec(w.start_ms, w.close_ms);
      childRows.push({
        stage: `iteration ${k} (child workflow ${w.workflow_id})`,
        start_s: rel(w.start_ms),
        wall_s: wall,
        note: `not covered by an activity: ${fmt(wall === null ? null : wall - busy / 1000)} s (workflow tasks)`,
      });
    }
    for (const a of w.activities) {
      const wall = sec(a.scheduled_ms, a.closed_ms);
      if (a.type === 'recordNode') {
        // Bookkeeping (one per node, milliseconds each): summed into one line per workflow.
        records.n++;
        records.s += wall ?? 0;
        continue;
      }
      const sft =
        a.type === 'policy_sft'
          ? (a.result as { metrics?: Record<string, number> & { cached?: boolean } })?.metrics
          : null;
      const m = (a.result as { metrics?: Record<string, unknown> } | null)?.metrics ?? {};
      const notes = [
        a.attempt > 1 ? `attempt ${a.attempt}` : '',
        a.status !== 'completed' ? a.status : '',
        sft && !sft.cached
          ? `train ${fmt(sft.train_seconds ?? null)} s, ${sft.steps} steps, ${Math.round(sft.tokens_per_s ?? 0)} tok/s`
          : '',
        typeof m.rows === 'number' && a.type === 'rollouts' ? `${m.rows} rows, ${m.tokens} tokens` : '',
        (a.result as { cached?: boolean } | null)?.cached || sft?.cached ? 'cached' : '',
      ].filter(Boolean);
      const row: Row = {
        stage: `${k > 0 ? '  ' : ''}${label(a, k)}`,
        start_s: rel(a.scheduled_ms),
        wall_s: wall,
        wait_s: sec(a.scheduled_ms, a.started_ms),
        note: notes.join('; '),
      };
      if (k > 0) childRows.push(row);
      else blocks.push({ at: a.scheduled_ms, rows: [row] });
      const shards = shardLines(a);
      if (shards.length > 0) detail.push(`  ${label(a, k)}:`, ...shards);
    }
    const rec: Row = {
      stage: `${k > 0 ? '  ' : ''}${k > 0 ? `iter ${k} ` : ''}record node ×${records.n} (run index)`,
      start_s: null,
      wall_s: records.s,
    };
    if (k > 0) blocks.push({ at: w.start_ms, rows: [...childRows, rec] });
    else if (records.n > 0) blocks.push({ at: w.close_ms ?? w.start_ms, rows: [rec] });
  }
  for (const b of blocks.sort((x, y) => x.at - y.at)) rows.push(...b.rows);
  const runStart = stamps.find((s) => s.step === 'run' && s.event === 'start')?.t_ms ?? null;
  const runDone = stamps.find((s) => s.step === 'run' && s.event === 'end')?.t_ms ?? null;
  if (runStart !== null) {
    rows.push({
      stage: 'autocode run: CLI start → workflow started',
      start_s: rel(runStart),
      wall_s: sec(runStart, root.start_ms),
    });
  }
  rows.push({
    stage: 'emRun workflow (all of the run)',
    start_s: rel(root.start_ms),
    wall_s: sec(root.start_ms, runEnd),
  });
  if (runDone !== null)
    rows.push({ stage: 'run closed → CLI exit', start_s: rel(runEnd), wall_s: sec(runEnd, runDone) });
  const jobEnd = stamps.find((s) => s.step === 'job' && s.event === 'end')?.t_ms ?? runDone ?? runEnd;
  rows.push({ stage: 'MAIN JOB TOTAL', start_s: 0, wall_s: sec(jobStart, jobEnd) });

  const width = Math.max(...rows.map((r) => r.stage.length));
  console.log(
    `main job profile: run ${runId}, var ${VAR_DIR}; load average now ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  console.log(
    `${'stage'.padEnd(width)}  ${'start s'.padStart(8)}  ${'wall s'.padStart(8)}  ${'wait s'.padStart(7)}  note`,
  );
  for (const r of rows) {
    console.log(
      `${r.stage.padEnd(width)}  ${fmt(r.start_s).padStart(8)}  ${fmt(r.wall_s).padStart(8)}  ${(r.wait_s === undefined ? '' : fmt(r.wait_s)).padStart(7)}  ${r.note ?? ''}`,
    );
  }
  if (detail.length > 0) {
    console.log('\nshards (part files written inside the activity; durations between consecutive parts):');
    for (const l of detail) console.log(l);
  }
  // Totals by kind of work over the whole run: where the minutes go.
  const byKind = new Map<string, number>();
  for (const w of tree) {
    for (const a of w.activities) {
      const s = sec(a.scheduled_ms, a.closed_ms) ?? 0;
      const kind = a.type === 'evaluate' ? 'evaluate' : a.type;
      byKind.set(kind, (byKind.get(kind) ?? 0) + s);
    }
  }
  console.log('\nactivity wall time by kind (summed; parallel nodes overlap):');
  for (const [k, s] of [...byKind].sort((a, b) => b[1] - a[1]))
    console.log(`  ${k.padEnd(20)} ${fmt(s).padStart(8)} s`);
  const json = arg('--json');
  if (json) writeFileSync(json, `${JSON.stringify({ run_id: runId, rows, tree }, null, 2)}\n`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
