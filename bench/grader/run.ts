// Grader benchmark, per labelled corpus (default test/grader/corpus.jsonl and the corpora modelled
// on model outputs, MODEL_OUTPUT_CORPORA; a missing default is skipped with a note): this grader's accuracy
// under strict and lenient extraction and its answers/s, math-verify's accuracy and answers/s on the
// same cases in the same run, the speed ratio, the per-class table and every disagreement with the
// labels; then a summary table over the corpora (the README's) and the hostile set's latency.
//
// math-verify runs in the bench's own Python environment (var/bench/math-verify, built from
// bench/grader/requirements.lock when missing or stale; the project's environment does not carry it),
// unless --python names another one that has math-verify==0.9.0.
//
// Run: npx tsx bench/grader/run.ts [--corpus PATH]... [--python PATH] [--passes N]
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { warmUp } from '../../engines/grader/compare';
import { type ExtractionPolicy, grade, isEquivalent } from '../../engines/grader/index';
import { clearParseCache } from '../../engines/grader/scalar';
import { ROOT, TOOLS, VAR_DIR } from '../../infra/paths';
import { CORPUS_PATH, type CorpusCase, MODEL_OUTPUT_CORPORA, readCorpus } from '../../test/grader/corpus';
import { hostileCases } from '../../test/grader/hostile';

const POLICIES: readonly ExtractionPolicy[] = ['strict', 'lenient'];
const RUNNER = join(ROOT, 'bench', 'grader', 'math_verify_runner.py');
const MV_LOCK = join(ROOT, 'bench', 'grader', 'requirements.lock');
const MV_ENV = join(VAR_DIR, 'bench', 'math-verify');

// --- command line.
interface Args {
  corpora: string[];
  explicit: boolean;
  python: string | undefined;
  passes: number;
}

function parseArgs(argv: readonly string[]): Args {
  const corpora: string[] = [];
  let python: string | undefined;
  let passes = 5;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] as string;
    const value = argv[i + 1];
    if (!['--corpus', '--python', '--passes'].includes(flag))
      throw new Error(`unknown argument ${flag} (use --corpus PATH, --python PATH, --passes N)`);
    if (value === undefined) throw new Error(`${flag} needs a value`);
    i++;
    if (flag === '--corpus') corpora.push(resolve(value));
    else if (flag === '--python') python = value;
    else {
      passes = Number(value);
      if (!Number.isInteger(passes) || passes < 1)
        throw new Error(`--passes must be a positive integer, got ${value}`);
    }
  }
  const explicit = corpora.length > 0;
  if (!explicit)
    corpora.push(fileURLToPath(CORPUS_PATH), ...MODEL_OUTPUT_CORPORA.map((u) => fileURLToPath(u)));
  return { corpora, explicit, python, passes };
}

// --- math-verify's environment: the bench's own, built when missing or stale.
function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, UV_PYTHON_DOWNLOADS: 'never' } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
}

function benchPython(): string {
  const python = join(MV_ENV, 'bin', 'python');
  const stamp = join(MV_ENV, '.lock-sha256');
  const want = createHash('sha256').update(readFileSync(MV_LOCK)).digest('hex');
  if (existsSync(python) && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === want) return python;
  console.log(`note: building math-verify's environment ${MV_ENV} from bench/grader/requirements.lock`);
  rmSync(MV_ENV, { recursive: true, force: true });
  if (existsSync(TOOLS.uv)) {
    run(TOOLS.uv, ['venv', '--quiet', '--python', 'python3', MV_ENV]);
    run(TOOLS.uv, ['pip', 'sync', '--quiet', '--python', python, MV_LOCK]);
  } else {
    run('python3', ['-m', 'venv', MV_ENV]);
    run(python, [
      '-m',
      'pip',
      'install',
      '--quiet',
      '--disable-pip-version-check',
      '--require-hashes',
      '-r',
      MV_LOCK,
    ]);
  }
  writeFileSync(stamp, `${want}\n`);
  return python;
}

// --- this grader.
interface Graded {
  equal: boolean | null;
  extracted: string | null;
  reason: string;
  why: string;
}

function gradeCase(c: CorpusCase, extraction: ExtractionPolicy): Graded {
  if (c.response !== undefined) return grade(c.gold, c.response, { extraction });
  const v = isEquivalent(c.gold, c.pred as string);
  return {
    equal: v.equal,
    extracted: c.pred as string,
    reason: v.reason,
    why: 'a final answer, compared as given',
  };
}

interface PolicyRun {
  verdicts: Graded[];
  /** Median seconds of the timed passes, and every pass. */
  seconds: number;
  passes: number[];
  latencies: number[];
}

function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number;
}

/** `passes` timed passes per policy, interleaved (so the load drifts alike), each from a cold parse cache. */
function gradeCorpus(cases: readonly CorpusCase[], passes: number): Record<ExtractionPolicy, PolicyRun> {
  for (const policy of POLICIES) for (const c of cases.slice(0, 40)) gradeCase(c, policy);
  const out = Object.fromEntries(
    POLICIES.map((p) => [p, { verdicts: [], seconds: 0, passes: [], latencies: [] } as PolicyRun]),
  ) as Record<ExtractionPolicy, PolicyRun>;
  for (let pass = 0; pass < passes; pass++) {
    for (const policy of POLICIES) {
      clearParseCache();
      const verdicts: Graded[] = [];
      const latencies: number[] = [];
      const start = performance.now();
      for (const c of cases) {
        const t = performance.now();
        verdicts.push(gradeCase(c, policy));
        latencies.push(performance.now() - t);
      }
      const r = out[policy];
      r.passes.push((performance.now() - start) / 1000);
      if (pass === 0) {
        r.verdicts = verdicts;
        r.latencies = latencies;
      }
    }
  }
  for (const policy of POLICIES) out[policy].seconds = percentile(out[policy].passes, 50);
  return out;
}

// --- math-verify, in a child process, on the same file.
interface MvResult {
  id: string;
  standard: boolean;
  best: boolean;
  extracted: string | null;
}
interface MvRun {
  version: string;
  seconds: number;
  byId: Map<string, MvResult>;
}

function mathVerify(python: string, corpus: string): MvRun {
  const mv = spawnSync(python, [RUNNER, corpus], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (mv.status !== 0) {
    console.error(mv.stderr);
    throw new Error(
      `math-verify runner failed (python: ${python}); --python must name a Python with math-verify==0.9.0`,
    );
  }
  const out = JSON.parse(mv.stdout) as { version: string; seconds: number; results: MvResult[] };
  return { version: out.version, seconds: out.seconds, byId: new Map(out.results.map((r) => [r.id, r])) };
}

// --- report.
/** A corpus path as printed: relative to the repository root when inside it. */
function shown(path: string): string {
  const rel = relative(ROOT, path);
  return rel && !rel.startsWith('..') ? rel : path;
}

interface CorpusFigures {
  name: string;
  cases: number;
  correct: Record<ExtractionPolicy, number>;
  rate: Record<ExtractionPolicy, number>;
  mvCorrect: number;
  mvRate: number;
  mvVersion: string;
}

const count = (xs: readonly boolean[]) => xs.filter(Boolean).length;
const pct = (n: number, of: number) => `${((100 * n) / of).toFixed(1)}%`;
const clip = (s: string | null, n = 100) =>
  s === null ? 'null' : JSON.stringify((s.length > n ? `${s.slice(0, n)}…` : s).replace(/\n/g, '⏎'));
const rateText = (r: number) => (r >= 100 ? r.toFixed(0) : r.toFixed(1));

function reportCorpus(path: string, cases: readonly CorpusCase[], args: Args, python: string): CorpusFigures {
  const name = shown(path);
  const responses = cases.filter((c) => c.response !== undefined).length;
  console.log('');
  console.log(`## ${name}: ${cases.length} cases (${cases.length - responses} pred, ${responses} response)`);
  const ours = gradeCorpus(cases, args.passes);
  const mv = mathVerify(python, path);
  // Reward semantics: only equal === true counts as equal.
  const right = Object.fromEntries(
    POLICIES.map((p) => [p, cases.map((c, i) => (ours[p].verdicts[i]?.equal === true) === c.equal)]),
  ) as Record<ExtractionPolicy, boolean[]>;
  const mvStd = cases.map((c) => mv.byId.get(c.id)?.standard === c.equal);
  const mvBest = cases.map((c) => mv.byId.get(c.id)?.best === c.equal);
  const n = cases.length;
  const rate = Object.fromEntries(POLICIES.map((p) => [p, n / ours[p].seconds])) as Record<
    ExtractionPolicy,
    number
  >;
  const mvRate = n / mv.seconds;

  console.log('');
  console.log('| grader | correct | accuracy | answers/s | speed vs math-verify |');
  console.log('|---|---|---|---|---|');
  for (const p of POLICIES)
    console.log(
      `| this grader, ${p} extraction | ${count(right[p])}/${n} | ${pct(count(right[p]), n)} | ${rateText(rate[p])} | ${(rate[p] / mvRate).toFixed(1)}x |`,
    );
  console.log(
    `| math-verify ${mv.version} ($…$ wrapped, documented usage) | ${count(mvStd)}/${n} | ${pct(count(mvStd), n)} | ${rateText(mvRate)} | 1.0x |`,
  );
  console.log(
    `| math-verify ${mv.version} (any of raw/$…$ wrappings) | ${count(mvBest)}/${n} | ${pct(count(mvBest), n)} | – | – |`,
  );
  console.log('');
  for (const p of POLICIES) {
    const r = ours[p];
    console.log(
      `this grader, ${p}: median of ${args.passes} passes ${r.seconds.toFixed(3)} s (all: ${r.passes.map((t) => t.toFixed(3)).join(', ')}); per-answer latency p50 ${percentile(r.latencies, 50).toFixed(2)} ms, p99 ${percentile(r.latencies, 99).toFixed(2)} ms, max ${Math.max(...r.latencies).toFixed(2)} ms; undecided ${r.verdicts.filter((v) => v.equal === null).length}`,
    );
  }
  console.log(`math-verify: ${mv.seconds.toFixed(2)} s for one pass`);

  console.log('');
  console.log('| class | cases | strict | lenient | math-verify |');
  console.log('|---|---|---|---|---|');
  for (const cls of [...new Set(cases.map((c) => c.class))]) {
    const idx = cases.map((c, i) => (c.class === cls ? i : -1)).filter((i) => i >= 0);
    const of = (xs: boolean[]) => idx.filter((i) => xs[i]).length;
    console.log(`| ${cls} | ${idx.length} | ${of(right.strict)} | ${of(right.lenient)} | ${of(mvStd)} |`);
  }

  for (const p of POLICIES) {
    const wrong = cases.map((c, i) => [c, i] as const).filter(([, i]) => !right[p][i]);
    console.log('');
    console.log(`Disagreements with the labels, this grader, ${p} extraction (${wrong.length}):`);
    for (const [c, i] of wrong) {
      const v = ours[p].verdicts[i] as Graded;
      console.log(
        `- ${c.id} [${c.class}] gold ${clip(c.gold)} extracted ${clip(v.extracted)} → ${v.equal} (label ${c.equal}); reason ${v.reason}; why: ${v.why}${c.note ? `; note: ${c.note}` : ''}`,
      );
    }
  }
  const mvWrong = cases.filter((_, i) => !mvStd[i]);
  console.log('');
  console.log(`Disagreements with the labels, math-verify documented usage (${mvWrong.length}):`);
  for (const c of mvWrong) {
    const r = mv.byId.get(c.id);
    console.log(
      `- ${c.id} [${c.class}] gold ${clip(c.gold)} extracted ${clip(r?.extracted ?? null)} → ${r?.standard ?? 'missing'} (label ${c.equal})`,
    );
  }
  return {
    name,
    cases: n,
    correct: { strict: count(right.strict), lenient: count(right.lenient) },
    rate,
    mvCorrect: count(mvStd),
    mvRate,
    mvVersion: mv.version,
  };
}

/**
 * The hostile set under strict extraction, then its responses again under lenient (pred cases are the
 * same under both) from a cold parse cache; runaway golds stay remembered, as in a worker.
 */
function hostile(): void {
  console.log('');
  console.log('Hostile set (time bound 100 ms per comparison): strict, then lenient for the responses');
  const lat: Record<ExtractionPolicy, number[]> = { strict: [], lenient: [] };
  const wrong: Record<ExtractionPolicy, number> = { strict: 0, lenient: 0 };
  const cases = hostileCases();
  const timed = (c: (typeof cases)[number], p: ExtractionPolicy) => {
    const t = performance.now();
    const r =
      c.response !== undefined
        ? grade(c.gold, c.response, { extraction: p })
        : isEquivalent(c.gold, c.pred as string);
    const ms = performance.now() - t;
    lat[p].push(ms);
    if (r.equal !== null && r.equal !== c.expect) wrong[p]++;
    return `${ms.toFixed(1).padStart(7)} ms ${String(r.equal).padEnd(5)} ${r.reason.padEnd(16)}`;
  };
  const strict = cases.map((c) => timed(c, 'strict'));
  clearParseCache();
  const lenient = cases.map((c) => (c.response !== undefined ? timed(c, 'lenient') : ''));
  cases.forEach((c, i) => {
    console.log(`  ${c.name.padEnd(42)} strict ${strict[i]}${lenient[i] ? ` | lenient ${lenient[i]}` : ''}`);
  });
  for (const p of POLICIES)
    console.log(
      `hostile, ${p}: ${lat[p].length} ${p === 'lenient' ? 'responses' : 'cases'}, max ${Math.max(...lat[p]).toFixed(1)} ms, p50 ${percentile(lat[p], 50).toFixed(1)} ms, wrong verdicts ${wrong[p]}`,
    );
}

function summary(figures: readonly CorpusFigures[], args: Args): void {
  const load = loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
  const mvVersion = figures[0]?.mvVersion ?? '?';
  const cell = (k: number, n: number) => `${k}/${n} (${pct(k, n)})`;
  console.log('');
  console.log(
    `## Summary (load average ${load}, node ${process.version}, math-verify ${mvVersion}; this grader: median of ${args.passes} passes per policy, math-verify: one pass)`,
  );
  console.log('');
  console.log(
    `| corpus | cases | this grader, strict | this grader, lenient | math-verify ${mvVersion} | answers/s strict | answers/s lenient | answers/s math-verify | speed vs math-verify (strict / lenient) |`,
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const f of figures)
    console.log(
      `| ${f.name} | ${f.cases} | ${cell(f.correct.strict, f.cases)} | ${cell(f.correct.lenient, f.cases)} | ${cell(f.mvCorrect, f.cases)} | ${rateText(f.rate.strict)} | ${rateText(f.rate.lenient)} | ${rateText(f.mvRate)} | ${(f.rate.strict / f.mvRate).toFixed(1)}x / ${(f.rate.lenient / f.mvRate).toFixed(1)}x |`,
    );
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const corpora: { path: string; cases: CorpusCase[] }[] = [];
  for (const path of args.corpora) {
    if (!existsSync(path)) {
      if (args.explicit) throw new Error(`--corpus ${path}: no such file`);
      console.log(`note: skipping ${shown(path)}: not found`);
      continue;
    }
    corpora.push({ path, cases: readCorpus(path) });
  }
  if (corpora.length === 0) throw new Error('no corpus to score');
  const python = args.python ?? benchPython();
  console.log(
    `grader bench: ${corpora.map((c) => `${shown(c.path)} (${c.cases.length})`).join(', ')}; load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}, node ${process.version}`,
  );
  warmUp();
  const figures = corpora.map((c) => reportCorpus(c.path, c.cases, args, python));
  hostile();
  summary(figures, args);
}

main();
