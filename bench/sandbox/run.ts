// bench/sandbox: executions/s and p50/p99 latency of the sandbox pool on the snippet corpus at
// pool sizes 1 and 2, beside, in the same run, (a) `python -c` per call and (b) the ToRA /
// Qwen2.5-Math process-pool approach (harness_pool.py: pool per call as the harnesses' apply, and
// a persistent pool). Every design runs the same snippets with the same concurrency and timeout.
//   npx tsx bench/sandbox/run.ts [--timeout-ms 1000] [--sizes 1,2]
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
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

/** `clients` callers, each taking the next snippet when its previous call returned. */
async function closedLoop(
  snippets: Snippet[],
  clients: number,
  call: (code: string) => Promise<string>,
): Promise<Measured> {
  const latencies = new Array<number>(snippets.length).fill(0);
  const outputs = new Array<string>(snippets.length).fill('');
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (let i = next++; i < snippets.length; i = next++) {
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

function harness(snippets: Snippet[], workers: number, timeoutMs: number, mode: string): Promise<Measured> {
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
      JSON.stringify({ snippets: snippets.map((s) => s.code), workers, timeout_ms: timeoutMs, mode }),
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
  p50_by_category: Record<string, number>;
  agree: number;
}

function row(design: string, size: number, snippets: Snippet[], m: Measured, reference: string[]): Row {
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
    p50_by_category: byCat,
    agree: m.outputs.filter((o, i) => o === reference[i]).length,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { 'timeout-ms': { type: 'string', default: '1000' }, sizes: { type: 'string', default: '1,2' } },
  });
  const timeoutMs = Number(values['timeout-ms']);
  const sizes = String(values.sizes).split(',').map(Number);
  const snippets = corpus();
  const info = sandboxInfo();
  console.log(
    `load average before: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  console.log(`isolation: ${info.isolation} (${info.detail})`);
  console.log(`corpus: ${snippets.length} snippets, timeout ${timeoutMs} ms\n`);
  const rows: Row[] = [];
  for (const size of sizes) {
    const t0 = performance.now();
    const pool = await SandboxPool.start({ size, timeoutMs });
    const startMs = performance.now() - t0;
    await Promise.all(Array.from({ length: size }, () => pool.run('print(1)')));
    const ours = await closedLoop(snippets, size, async (code) => {
      const r = await pool.run(code);
      return r.timed_out ? 'Timeout Error' : (r.error ?? r.stdout.trim());
    });
    await pool.close();
    const reference = ours.outputs;
    rows.push(row('sandbox pool (bubblewrap zygotes)', size, snippets, ours, reference));
    console.log(`  pool of ${size} started in ${startMs.toFixed(0)} ms (not in the figures)`);
    const b1 = await harness(snippets, size, timeoutMs, 'apply');
    rows.push(row('(b) harness process pool, pool per call', size, snippets, b1, reference));
    const b2 = await harness(snippets, size, timeoutMs, 'persistent');
    rows.push(row("(b') harness process pool, persistent", size, snippets, b2, reference));
    const a = await closedLoop(snippets, size, (code) => pythonC(code, timeoutMs));
    rows.push(row('(a) python -c per call', size, snippets, a, reference));
  }
  console.log(
    '\ndesign                                   size  exec/s   p50 ms   p99 ms  p50 arith/sympy/loop/timeout  same output',
  );
  for (const r of rows) {
    const c = r.p50_by_category;
    console.log(
      `${r.design.padEnd(40)} ${String(r.size).padStart(4)} ${r.execs_per_s.toFixed(1).padStart(7)} ${r.p50_ms
        .toFixed(1)
        .padStart(8)} ${r.p99_ms.toFixed(1).padStart(8)}  ${[c.arithmetic, c.sympy, c.loop, c.timeout]
        .map((x) => (x ?? 0).toFixed(0))
        .join('/')
        .padStart(28)}  ${r.agree}/${snippets.length}`,
    );
  }
  console.log('\nratios (sandbox pool exec/s ÷ peer exec/s, same size):');
  for (const size of sizes) {
    const ours = rows.find((r) => r.size === size && r.design.startsWith('sandbox')) as Row;
    for (const r of rows.filter((x) => x.size === size && x !== ours)) {
      console.log(`  size ${size}: vs ${r.design}: ${(ours.execs_per_s / r.execs_per_s).toFixed(2)}x`);
    }
  }
  console.log(
    `\nload average after: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
}

await main();
