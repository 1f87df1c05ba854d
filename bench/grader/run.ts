// Grader benchmark: accuracy on the labelled corpus and answers/s, for this grader and, in the
// same run, math-verify (Python, spawned), every disagreement listed with its verdict; then the
// latency of the hostile set. Run: npx tsx bench/grader/run.ts [--python PATH] [--passes N]
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { warmUp } from '../../engines/grader/compare';
import { grade, isEquivalent } from '../../engines/grader/index';
import { clearParseCache } from '../../engines/grader/scalar';
import { type CorpusCase, readCorpus } from '../../test/grader/corpus';
import { hostileCases } from '../../test/grader/hostile';

interface MvResult {
  id: string;
  standard: boolean;
  best: boolean;
  extracted: string | null;
}

const root = fileURLToPath(new URL('../../', import.meta.url));
const corpusPath = `${root}test/grader/corpus.jsonl`;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? (process.argv[i + 1] as string) : fallback;
}

const python = arg('python', `${root}.venv/bin/python`);
const passes = Number(arg('passes', '5'));

const cases: CorpusCase[] = readCorpus(corpusPath);

function run(c: { gold: string; pred?: string; response?: string }) {
  return c.response !== undefined ? grade(c.gold, c.response) : isEquivalent(c.gold, c.pred as string);
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number;
}

const load = loadavg()
  .map((x) => x.toFixed(2))
  .join(' ');

// --- this grader: warm-up outside the timing, then `passes` timed passes from a cold cache.
warmUp();
for (const c of cases.slice(0, 40)) run(c);
const times: number[] = [];
let verdicts: Array<boolean | null> = [];
let reasons: string[] = [];
let latencies: number[] = [];
for (let p = 0; p < passes; p++) {
  clearParseCache();
  const v: Array<boolean | null> = [];
  const r: string[] = [];
  const lat: number[] = [];
  const start = performance.now();
  for (const c of cases) {
    const t = performance.now();
    const out = run(c);
    lat.push(performance.now() - t);
    v.push(out.equal);
    r.push(out.reason);
  }
  times.push((performance.now() - start) / 1000);
  if (p === 0) {
    verdicts = v;
    reasons = r;
    latencies = lat;
  }
}
const ourSeconds = percentile(times, 50);

// --- math-verify, in a child process, same corpus.
const mv = spawnSync(python, [`${root}bench/grader/math_verify_runner.py`, corpusPath], {
  encoding: 'utf8',
  maxBuffer: 64 * 1024 * 1024,
});
if (mv.status !== 0) {
  console.error(mv.stderr);
  throw new Error(
    `math-verify runner failed (python: ${python}); pass --python to point at a venv with math-verify==0.9.0`,
  );
}
const mvOut = JSON.parse(mv.stdout) as { version: string; seconds: number; results: MvResult[] };
const mvById = new Map(mvOut.results.map((r) => [r.id, r]));

// --- accuracy (reward semantics: only equal === true counts as equal).
const ours = cases.map((c, i) => (verdicts[i] === true) === c.equal);
const mvStd = cases.map((c) => mvById.get(c.id)?.standard === c.equal);
const mvBest = cases.map((c) => mvById.get(c.id)?.best === c.equal);
const count = (xs: boolean[]) => xs.filter(Boolean).length;
const pct = (n: number) => `${((100 * n) / cases.length).toFixed(1)}%`;
const ourRate = cases.length / ourSeconds;
const mvRate = cases.length / mvOut.seconds;

console.log(`grader bench — corpus ${cases.length} cases, load average ${load}, node ${process.version}`);
console.log('');
console.log('| grader | correct | accuracy | answers/s | speed vs math-verify |');
console.log('|---|---|---|---|---|');
console.log(
  `| this grader | ${count(ours)}/${cases.length} | ${pct(count(ours))} | ${ourRate.toFixed(0)} | ${(ourRate / mvRate).toFixed(1)}x |`,
);
console.log(
  `| math-verify ${mvOut.version} ($…$ wrapped, documented usage) | ${count(mvStd)}/${cases.length} | ${pct(count(mvStd))} | ${mvRate.toFixed(1)} | 1.0x |`,
);
console.log(
  `| math-verify ${mvOut.version} (any of raw/$…$ wrappings) | ${count(mvBest)}/${cases.length} | ${pct(count(mvBest))} | – | – |`,
);
console.log('');
console.log(
  `this grader: median of ${passes} passes ${ourSeconds.toFixed(3)} s (all: ${times.map((t) => t.toFixed(3)).join(', ')}); per-answer latency p50 ${percentile(latencies, 50).toFixed(2)} ms, p99 ${percentile(latencies, 99).toFixed(2)} ms, max ${Math.max(...latencies).toFixed(2)} ms; undecided ${verdicts.filter((v) => v === null).length}`,
);
console.log(`math-verify: ${mvOut.seconds.toFixed(2)} s for one pass`);

// --- per class.
console.log('');
console.log('| class | cases | this grader | math-verify |');
console.log('|---|---|---|---|');
for (const cls of [...new Set(cases.map((c) => c.class))]) {
  const idx = cases.map((c, i) => (c.class === cls ? i : -1)).filter((i) => i >= 0);
  const o = idx.filter((i) => ours[i]).length;
  const m = idx.filter((i) => mvStd[i]).length;
  console.log(`| ${cls} | ${idx.length} | ${o} | ${m} |`);
}

// --- every disagreement, with who matches the hand label.
console.log('');
console.log('Disagreements with math-verify (documented usage); verdict = who matches the hand label:');
let dis = 0;
cases.forEach((c, i) => {
  const o = verdicts[i] === true;
  const m = mvById.get(c.id)?.standard === true;
  if (o === m) return;
  dis++;
  const who = o === c.equal ? 'this grader right' : 'math-verify right';
  const input = (c.pred ?? `response …${(c.response ?? '').slice(-60)}`).replace(/\n/g, '⏎');
  console.log(
    `- ${c.id} gold ${JSON.stringify(c.gold)} vs ${JSON.stringify(input)}: label ${c.equal}, ours ${verdicts[i]} (${reasons[i]}), math-verify ${m} → ${who}`,
  );
});
console.log(`${dis} disagreements`);

// --- hostile set latency (this grader only; math-verify's own timeouts are 5 s per call).
console.log('');
console.log('Hostile set (time bound 100 ms per comparison):');
const hostile = hostileCases();
const hostileLat: number[] = [];
let wrong = 0;
for (const c of hostile) {
  const t = performance.now();
  const r = run(c);
  const ms = performance.now() - t;
  hostileLat.push(ms);
  if (r.equal !== null && r.equal !== c.expect) wrong++;
  console.log(
    `  ${ms.toFixed(1).padStart(7)} ms  ${String(r.equal).padEnd(5)} ${r.reason.padEnd(16)} ${c.name}`,
  );
}
console.log(
  `hostile: ${hostile.length} cases, max ${Math.max(...hostileLat).toFixed(1)} ms, p50 ${percentile(hostileLat, 50).toFixed(1)} ms, wrong verdicts ${wrong}`,
);
