// The execution cache on the tiny run's rollouts: the rollouts nodes of `pipelines/tiny.yaml`, run
// through the node kind itself (nodes/rollouts.ts via the kernel, as the worker runs them: the
// three nodes of an iteration at once, sharing the worker's sandbox pool and the run's cache),
// sampling the tiny run's own policies from the embedded policy server (`python -m
// autocode_gpu.server`, CPU), on the run's train queries. Once with the cache (one run: both
// iterations share it) and once with `execution_cache: false`, each in a store of its own;
// prints each node's exec_cache metrics, the totals, and whether the rows of both passes agree.
//
//   npx tsx bench/sandbox/exec-cache.ts --checkpoints <policy of iteration 1>,<policy of iteration 2>
//     [--spec tiny] [--passes on,off]
//
// The policies are checkpoint directories of a finished tiny run (`bash infra/demo.sh`): iteration
// k samples from the policy iteration k-1 produced (the bootstrapped one for iteration 1), whose
// keys `var/runs/<run>/report.json` lists per iteration.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { ROOT, TOOLS } from '../../infra/paths';

const { values } = parseArgs({
  options: {
    checkpoints: { type: 'string' },
    spec: { type: 'string', default: 'tiny' },
    passes: { type: 'string', default: 'on,off' },
  },
});
if (!values.checkpoints) {
  console.error('usage: npx tsx bench/sandbox/exec-cache.ts --checkpoints <dir1>,<dir2> [--spec tiny]');
  process.exit(2);
}
const checkpoints = values.checkpoints.split(',').map((p) => resolve(p));
const passes = (values.passes as string).split(',') as ('on' | 'off')[];

const work = mkdtempSync(join(tmpdir(), 'autocode-exec-cache-bench-'));
process.env.AUTOCODE_STORE = join(work, 'store-on');
const { loadSpec } = await import('../../pipelines/load');
const { queriesDataset } = await import('../../services/run/prepare');
const { runNode } = await import('../../nodes/kernel');
const { NODE_KINDS } = await import('../../nodes/registry');
const { readRows } = await import('../../engines/store/reader');
const { closeSharedSandboxPool, sharedSandboxPool } = await import('../../engines/sandbox/shared');
const { executionCacheFor } = await import('../../engines/sandbox/cache');

type Metrics = Record<string, unknown>;
interface NodeRun {
  pass: 'on' | 'off';
  iteration: number;
  node: string;
  wall_s: number;
  metrics: Metrics;
  rows: Record<string, unknown>[];
}

/** The embedded policy server on one checkpoint; resolves its base URL once it listens. */
async function serve(checkpoint: string): Promise<{ url: string; stop(): Promise<void> }> {
  const child = spawn(
    TOOLS.python,
    ['-m', 'autocode_gpu.server', '--model', checkpoint, '--port', '0', '--device', 'cpu'],
    { env: { ...process.env, PYTHONPATH: join(ROOT, 'gpu', 'src') }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout });
  const url = await new Promise<string>((ok, fail) => {
    lines.on('line', (line) => {
      if (line.startsWith('serving ')) ok(line.trim().split(' ').at(-1) as string);
    });
    child.once('exit', (code) => fail(new Error(`the policy server exited (${code})`)));
  });
  return {
    url: url.replace(/\/v1\/?$/, ''),
    stop: () =>
      new Promise((done) => {
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
}

const spec = loadSpec(values.spec as string);
const rolloutNodes = spec.iteration.nodes.filter((n) => n.uses === 'rollouts');
const pool = await sharedSandboxPool();
console.log(
  `spec ${spec.name}: ${rolloutNodes.map((n) => n.id).join(', ')}; sandbox pool size ${pool.options.size}, timeout ${pool.options.timeoutMs} ms`,
);
console.log(
  `load before: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);

const num = (m: Metrics, k: string) => Number(m[`exec_cache.${k}`] ?? 0);
const HEADER = [
  'pass',
  'iter',
  'node',
  'executions',
  'hits',
  'misses',
  'uncacheable',
  'not_stored',
  'hit rate',
  'saved s',
  'sandbox s',
  'node wall s',
];
const WIDTHS = [4, 4, 15, 10, 5, 6, 11, 10, 8, 8, 9, 11];
const line = (cells: string[]) => cells.map((c, i) => c.padStart(WIDTHS[i] as number)).join('  ');
/** executions, hits, misses, uncacheable, not_stored, saved s, sandbox s, wall s */
const figures = (r: NodeRun): number[] => [
  num(r.metrics, 'executions'),
  num(r.metrics, 'hits'),
  num(r.metrics, 'misses'),
  num(r.metrics, 'uncacheable'),
  num(r.metrics, 'not_stored'),
  num(r.metrics, 'saved_s'),
  num(r.metrics, 'sandbox_s'),
  r.wall_s,
];
function cells(v: number[], pass: string): string[] {
  const [executions, hits, misses, uncacheable, notStored, saved, sandbox, wall] = v as number[];
  const s = (x: number | undefined, d: number) => (x as number).toFixed(d);
  if (pass === 'off') return [String(executions), '-', '-', '-', '-', '-', '-', s(sandbox, 2), s(wall, 1)];
  const rate = executions === 0 ? 0 : (hits as number) / (executions as number);
  return [
    String(executions),
    String(hits),
    String(misses),
    String(uncacheable),
    String(notStored),
    `${(100 * rate).toFixed(1)}%`,
    s(saved, 2),
    s(sandbox, 2),
    s(wall, 1),
  ];
}
function printRuns(done: NodeRun[]): void {
  for (const r of done)
    console.log(line([r.pass, String(r.iteration), r.node, ...cells(figures(r), r.pass)]));
}

const runs: NodeRun[] = [];
console.log(line(HEADER));
for (const pass of passes) {
  process.env.AUTOCODE_STORE = join(work, `store-${pass}`);
  const train = await queriesDataset(spec.queries.train);
  const runId = `bench-exec-cache-${pass}`;
  for (const [i, checkpoint] of checkpoints.entries()) {
    const iteration = i + 1;
    const server = await serve(checkpoint);
    try {
      const started = performance.now();
      const done = await Promise.all(
        rolloutNodes.map(async (n) => {
          const t0 = performance.now();
          const result = await runNode(NODE_KINDS.rollouts, {
            run_id: runId,
            iteration,
            seed: spec.seed,
            node_id: n.id,
            uses: 'rollouts',
            params: { ...(n.params as object), execution_cache: pass === 'on' } as never,
            policy: { uri: checkpoint, key: basename(checkpoint) },
            inference: {
              urls: [server.url],
              model: 'policy',
              concurrency: 64,
              timeout_ms: 600_000,
              attempts: 6,
              backoff_ms: 250,
              backoff_max_ms: 8000,
            },
            train,
            eval: [],
            inputs: {},
          });
          const rows = await readRows(result.dataset as never);
          return {
            pass,
            iteration,
            node: n.id,
            wall_s: (performance.now() - t0) / 1000,
            metrics: result.metrics,
            rows,
          };
        }),
      );
      runs.push(...done);
      printRuns(done);
      console.log(
        `pass ${pass}, iteration ${iteration}: rollouts ${((performance.now() - started) / 1000).toFixed(1)} s, load ${loadavg()
          .map((x) => x.toFixed(2))
          .join(' ')}`,
      );
    } finally {
      await server.stop();
    }
  }
  if (pass === 'on') {
    const c = executionCacheFor(runId);
    console.log(`run cache after the pass: ${c.size} entries, ${(c.bytes / 1024).toFixed(0)} KiB`);
  }
}
console.log(
  `load after: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}\n`,
);
for (const pass of passes) {
  const sum = runs
    .filter((r) => r.pass === pass)
    .map(figures)
    .reduce((t, v) => t.map((x, i) => x + (v[i] as number)), new Array<number>(8).fill(0));
  console.log(line(HEADER));
  // Nodes of an iteration run at once: their wall times do not add up (the per-iteration lines say it).
  console.log(line([pass, 'all', 'total', ...cells(sum, pass).slice(0, -1), '-']));
}

if (passes.includes('on') && passes.includes('off')) {
  // Same seeds, same policies: the rows agree wherever the sampler gave the same tokens.
  let same = 0;
  let total = 0;
  let sameTools = 0;
  let withTools = 0;
  const key = (r: Record<string, unknown>) => `${r.query_id}/${r.mode}/${r.sample}`;
  for (const on of runs.filter((r) => r.pass === 'on')) {
    const off = runs.find((r) => r.pass === 'off' && r.iteration === on.iteration && r.node === on.node);
    if (!off) continue;
    const byKey = new Map(off.rows.map((r) => [key(r), r]));
    for (const r of on.rows) {
      const o = byKey.get(key(r));
      total++;
      const identical = o !== undefined && o.response_text === r.response_text;
      if (identical) same++;
      if (Number(r.code_calls) > 0) {
        withTools++;
        if (identical) sameTools++;
      }
    }
  }
  console.log(
    `\nrows with the same response text in both passes: ${same}/${total} (with code calls: ${sameTools}/${withTools})`,
  );
}

await closeSharedSandboxPool();
rmSync(work, { recursive: true, force: true });
