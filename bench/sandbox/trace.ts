// bench/sandbox/trace: where one execution's time goes, step by step (SandboxPool.runTraced), for
// one snippet of each corpus category on a pool of one slot: back to back (the next call as soon
// as the previous answer is in, as in the closed-loop bench) and spaced (a pause between calls,
// as when a rollout waits for the model between two programs).
//   npx tsx bench/sandbox/trace.ts [--runs 40] [--gap-ms 50] [--timeout-ms 5000]
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { type ExecTrace, SandboxPool } from '../../engines/sandbox/index';
import { corpus } from './corpus';

/** Consecutive steps whose gaps are printed: [label, from, to]. */
const SPANS: [string, string, string][] = [
  ['previous answer → reaped (teardown)', 'zygote.answered', 'zygote.reaped'],
  ['reaped → swept, /tmp checked', 'zygote.reaped', 'zygote.cleaned'],
  ['cleaned → next child forked', 'zygote.cleaned', 'zygote.ready'],
  ['call → request written (Node)', 'submitted', 'written'],
  ['request written → zygote read it', 'written', 'zygote.recv'],
  ['read → program handed to the child', 'zygote.recv', 'zygote.written'],
  ['handed → user code starts', 'zygote.written', 'zygote.user_start'],
  ['user code', 'zygote.user_start', 'zygote.user_end'],
  ['user code end → record seen', 'zygote.user_end', 'zygote.done'],
  ['record → answer sent (kill, sweep)', 'zygote.done', 'zygote.sent'],
  ['answer sent → parsed (Node)', 'zygote.sent', 'parsed'],
  ['call → answer parsed', 'submitted', 'parsed'],
];

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)] as number;
};

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '40' },
      'gap-ms': { type: 'string', default: '50' },
      'timeout-ms': { type: 'string', default: '5000' },
    },
  });
  const runs = Number(values.runs);
  const gapMs = Number(values['gap-ms']);
  console.log(
    `load average before: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  const pool = await SandboxPool.start(
    { size: 1, timeoutMs: Number(values['timeout-ms']) },
    { spareSlots: 0 },
  );
  const picks = new Map<string, string>();
  for (const s of corpus())
    if (s.category !== 'timeout' && !picks.has(s.category)) picks.set(s.category, s.code);
  for (const [mode, gap] of [
    ['back to back', 0],
    [`spaced ${gapMs} ms`, gapMs],
  ] as const) {
    for (const [category, code] of picks) {
      const traces: ExecTrace[] = [];
      for (let i = 0; i < runs; i++) {
        if (gap > 0) await new Promise((resolve) => setTimeout(resolve, gap));
        traces.push((await pool.runTraced(code)).trace);
      }
      console.log(`\n${category}, ${mode} (median of ${runs}, ms)`);
      for (const [label, from, to] of SPANS) {
        const gaps = traces
          .filter((t) => t[from] !== undefined && t[to] !== undefined)
          .map((t) => (t[to] as number) - (t[from] as number));
        if (gaps.length > 0) console.log(`  ${label.padEnd(40)} ${median(gaps).toFixed(2).padStart(8)}`);
      }
    }
  }
  await pool.close();
  console.log(
    `\nload average after: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
}

await main();
