// bench/sandbox: executions/s and p50/p99 latency of the sandbox pool on the snippet corpus at
// pool sizes 1, 2 and 4, beside, in the same run, (a) `python -c` per call and (b) the ToRA /
// Qwen2.5-Math process-pool approach (harness_pool.py: pool per call as the harnesses' apply, and
// a persistent pool). Every design runs the same snippets with the same concurrency and timeout.
// Then, for the sandbox and (b)/(b'): the 99 snippets that finish, without the runaway (whose
// timeout bounds every design's wall time otherwise); and the sandbox with twice as many callers
// as slots, so that work queues behind the runaway, without and with the runaway spare.
// Last, calls spaced by a pause (as when a rollout waits for the model between two programs): the
// latency of one call when the pool is not saturated. `--baseline DIR` adds, in every section but
// the queued one, the sandbox of another checkout (DIR/engines/sandbox, e.g. the commit before).
//   npx tsx bench/sandbox/run.ts [--timeout-ms 5000] [--sizes 1,2,4] [--no-python-c]
//                                [--baseline DIR] [--gap-ms 20]
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { SandboxPool, sandboxInfo } from '../../engines/sandbox/index';
import { TOOLS } from '../../infra/paths';
import { corpus, type Snippet } from './corpus';

interface Measured {
  wall_s: number;
  latencies_ms: number[];
  outputs: string[];
}

const HARNESS = fileURLToPath(new URL('./harness_pool.py', import.meta.url));

/**
 * `clients` callers, each taking the next snippet when its previous call returned (after a pause
 * of `gapMs`, not counted).
 */
async function closedLoop(
  snippets: Snippet[],
  clients: number,
  call: (code: string) => Promise<string>,
  gapMs = 0,
): Promise<Measured> {
  const latencies = new Array<number>(snippets.length).fill(0);
  const outputs = new Array<string>(snippets.length).fill('');
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (let i = next++; i < snippets.length; i = next++) {
        if (gapMs > 0) await new Promise((resolve) => setTimeout(resolve, gapMs));
        const t = performance.now();
        outputs[i] = await call((snippets[i] as Snippet).code);
        latencies[i] = performance.now() - t;
      }
    }),
  );
  return { wall_s: (performance.now() - t0) / 1000, latencies_ms: latencies, outputs };
}

function pythonC(code: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(TOOLS.python, ['-c', code], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      err += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') resolve('Timeout Error');
      else resolve(code === 0 ? out.trim() : (err.trim().split('\n').pop() ?? ''));
    });
  });
}

function harness(
  snippets: Snippet[],
  workers: number,
  timeoutMs: number,
  mode: string,
  gapMs = 0,
): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const child = spawn(TOOLS.python, [HARNESS], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`harness_pool.py exited ${code}`));
      const r = JSON.parse(out) as { wall_s: number; latencies_ms: number[]; outputs: [string, string][] };
      resolve({ ...r, outputs: r.outputs.map(([res, report]) => res.trim() || report) });
    });
    child.stdin.end(
      JSON.stringify({
        snippets: snippets.map((s) => s.code),
        workers,
        timeout_ms: timeoutMs,
        mode,
        gap_ms: gapMs,
      }),
    );
  });
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] as number;
}

interface Row {
  design: string;
  size: number;
  execs_per_s: number;
  p50_ms: number;
  p99_ms: number;
  /** Over the snippets that did not time out. */
  p99_finished_ms: number;
  p50_by_category: Record<string, number>;
  agree: number;
}

function row(design: string, size: number, snippets: Snippet[], m: Measured, reference: string[]): Row {
  const finished = m.latencies_ms.filter((_, i) => m.outputs[i] !== 'Timeout Error');
  const byCat: Record<string, number> = {};
  for (const cat of ['arithmetic', 'sympy', 'loop', 'timeout']) {
    byCat[cat] = percentile(
      m.latencies_ms.filter((_, i) => snippets[i]?.category === cat),
      50,
    );
  }
  return {
    design,
    size,
    execs_per_s: snippets.length / m.wall_s,
    p50_ms: percentile(m.latencies_ms, 50),
    p99_ms: percentile(m.latencies_ms, 99),
    p99_finished_ms: finished.length > 0 ? percentile(finished, 99) : 0,
    p50_by_category: byCat,
    agree: m.outputs.filter((o, i) => o === reference[i]).length,
  };
}

const SANDBOX = 'sandbox pool (bubblewrap, warm child)';

function printRows(rows: Row[], total: number): void {
  console.log(
    'design                                   size  exec/s   p50 ms   p99 ms  p99 fin  p50 arith/sympy/loop/timeout  same output',
  );
  for (const r of rows) {
    const c = r.p50_by_category;
    console.log(
      `${r.design.padEnd(40)} ${String(r.size).padStart(4)} ${r.execs_per_s.toFixed(1).padStart(7)} ${r.p50_ms
        .toFixed(1)
        .padStart(8)} ${r.p99_ms.toFixed(1).padStart(8)} ${r.p99_finished_ms.toFixed(1).padStart(8)}  ${[
        c.arithmetic,
        c.sympy,
        c.loop,
        c.timeout,
      ]
        .map((x) => (x === undefined || Number.isNaN(x) ? '-' : x.toFixed(0)))
        .join('/')
        .padStart(28)}  ${r.agree}/${total}`,
    );
  }
}

function printRatios(rows: Row[], sizes: number[]): void {
  console.log('\nratios (sandbox pool exec/s ÷ peer exec/s, same size):');
  for (const size of sizes) {
    const ours = rows.find((r) => r.size === size && r.design === SANDBOX) as Row;
    for (const r of rows.filter((x) => x.size === size && x !== ours && !x.design.startsWith('sandbox,'))) {
      console.log(`  size ${size}: vs ${r.design}: ${(ours.execs_per_s / r.execs_per_s).toFixed(2)}x`);
    }
  }
}

/** What the bench needs of a pool: this checkout's SandboxPool, or a baseline's. */
interface BenchPool {
  run(code: string): Promise<{ stdout: string; error: string | null; timed_out: boolean }>;
  close(): Promise<void>;
  readonly size: number;
}
type StartPool = (
  opts: { size: number; timeoutMs: number },
  settings: { spareSlots: number },
) => Promise<BenchPool>;

const sandboxCall = (pool: BenchPool) => async (code: string) => {
  const r = await pool.run(code);
  return r.timed_out ? 'Timeout Error' : (r.error ?? r.stdout.trim());
};

/** A pool of `size` slots, started and warmed (not in the figures); with its spares warm too. */
async function warmPool(
  start: StartPool,
  size: number,
  timeoutMs: number,
  spareSlots: number,
): Promise<[BenchPool, number]> {
  const t0 = performance.now();
  const pool = await start({ size, timeoutMs }, { spareSlots });
  const startMs = performance.now() - t0;
  // One call more than slots: work waits, which starts the spares; then wait until they are warm.
  await Promise.all(Array.from({ length: size + (spareSlots > 0 ? 1 : 0) }, () => pool.run('print(1)')));
  for (let i = 0; i < 1200 && pool.size < size + spareSlots; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return [pool, startMs];
}

async function measure(
  start: StartPool,
  snippets: Snippet[],
  size: number,
  timeoutMs: number,
  opts: { callers?: number; spareSlots?: number; gapMs?: number } = {},
): Promise<Measured> {
  const [pool] = await warmPool(start, size, timeoutMs, opts.spareSlots ?? 0);
  try {
    return await closedLoop(snippets, opts.callers ?? size, sandboxCall(pool), opts.gapMs ?? 0);
  } finally {
    await pool.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'timeout-ms': { type: 'string', default: '5000' },
      sizes: { type: 'string', default: '1,2,4' },
      'no-python-c': { type: 'boolean', default: false },
      baseline: { type: 'string' },
      'gap-ms': { type: 'string', default: '20' },
    },
  });
  const timeoutMs = Number(values['timeout-ms']);
  const gapMs = Number(values['gap-ms']);
  const sizes = String(values.sizes).split(',').map(Number);
  const snippets = corpus();
  const finishing = snippets.filter((s) => s.category !== 'timeout');
  const info = sandboxInfo();
  const ours: StartPool = (opts, settings) => SandboxPool.start(opts, settings);
  let baseline: StartPool | undefined;
  const baselineName = values.baseline ? `sandbox before (${basename(resolve(values.baseline))})` : '';
  if (values.baseline) {
    const url = pathToFileURL(join(resolve(values.baseline), 'engines', 'sandbox', 'index.ts')).href;
    const mod = (await import(url)) as { SandboxPool: { start(opts: object): Promise<BenchPool> } };
    baseline = (opts) => mod.SandboxPool.start(opts);
  }
  const load = () =>
    loadavg()
      .map((x) => x.toFixed(2))
      .join(' ');
  console.log(`load average before: ${load()}`);
  console.log(`isolation: ${info.isolation} (${info.detail})`);
  console.log(`corpus: ${snippets.length} snippets, timeout ${timeoutMs} ms\n`);
  const rows: Row[] = [];
  const finRows: Row[] = [];
  const queuedRows: Row[] = [];
  const spacedRows: Row[] = [];
  for (const size of sizes) {
    // 1. The whole corpus, `size` closed-loop callers, every design.
    const t0 = performance.now();
    const mine = await measure(ours, snippets, size, timeoutMs);
    const reference = mine.outputs;
    rows.push(row(SANDBOX, size, snippets, mine, reference));
    console.log(
      `  size ${size}: sandbox ran in ${(performance.now() - t0).toFixed(0)} ms with its start; load ${load()}`,
    );
    if (baseline)
      rows.push(
        row(baselineName, size, snippets, await measure(baseline, snippets, size, timeoutMs), reference),
      );
    const b1 = await harness(snippets, size, timeoutMs, 'apply');
    rows.push(row('(b) harness process pool, pool per call', size, snippets, b1, reference));
    const b2 = await harness(snippets, size, timeoutMs, 'persistent');
    rows.push(row("(b') harness process pool, persistent", size, snippets, b2, reference));
    if (!values['no-python-c']) {
      const a = await closedLoop(snippets, size, (code) => pythonC(code, timeoutMs));
      rows.push(row('(a) python -c per call', size, snippets, a, reference));
    }
    // 2. The 99 snippets that finish: what each design spends per execution.
    const fin = await measure(ours, finishing, size, timeoutMs);
    finRows.push(row(SANDBOX, size, finishing, fin, fin.outputs));
    if (baseline) {
      finRows.push(
        row(baselineName, size, finishing, await measure(baseline, finishing, size, timeoutMs), fin.outputs),
      );
    }
    const fb1 = await harness(finishing, size, timeoutMs, 'apply');
    finRows.push(row('(b) harness process pool, pool per call', size, finishing, fb1, fin.outputs));
    const fb2 = await harness(finishing, size, timeoutMs, 'persistent');
    finRows.push(row("(b') harness process pool, persistent", size, finishing, fb2, fin.outputs));
    // 3. Twice as many callers as slots: work queues behind the runaway.
    for (const spareSlots of [0, 1]) {
      const q = await measure(ours, snippets, size, timeoutMs, { callers: 2 * size, spareSlots });
      const label =
        spareSlots === 0 ? 'sandbox, 2x callers, no spare' : 'sandbox, 2x callers, 1 runaway spare';
      queuedRows.push(row(label, size, snippets, q, reference));
    }
    console.log(`  size ${size} done; load ${load()}`);
  }
  // 4. Spaced calls: one caller, a pause before each call; latency only.
  const sp = await measure(ours, finishing, 1, timeoutMs, { gapMs });
  spacedRows.push(row(SANDBOX, 1, finishing, sp, sp.outputs));
  if (baseline) {
    spacedRows.push(
      row(
        baselineName,
        1,
        finishing,
        await measure(baseline, finishing, 1, timeoutMs, { gapMs }),
        sp.outputs,
      ),
    );
  }
  spacedRows.push(
    row(
      '(b) harness process pool, pool per call',
      1,
      finishing,
      await harness(finishing, 1, timeoutMs, 'apply', gapMs),
      sp.outputs,
    ),
  );
  spacedRows.push(
    row(
      "(b') harness process pool, persistent",
      1,
      finishing,
      await harness(finishing, 1, timeoutMs, 'persistent', gapMs),
      sp.outputs,
    ),
  );

  console.log(`\nthe corpus (${snippets.length} snippets, ${sizes.join('/')} callers = pool size):`);
  printRows(rows, snippets.length);
  printRatios(rows, sizes);
  console.log(`\nthe ${finishing.length} snippets that finish (runaway left out):`);
  printRows(finRows, finishing.length);
  printRatios(finRows, sizes);
  console.log('\nthe corpus with twice as many callers as slots (work queues behind the runaway):');
  printRows(queuedRows, snippets.length);
  console.log(
    `\nthe ${finishing.length} snippets that finish, one caller pausing ${gapMs} ms before each call (latency; exec/s not meaningful):`,
  );
  printRows(spacedRows, finishing.length);
  console.log(`\nload average after: ${load()}`);
}

await main();
