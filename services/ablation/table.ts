// The ablation table from the sweep's run records (pure: no I/O): per method and seed, auto Pass@1
// per iteration and, at the last iteration, auto − best dictated, auto code rate, selection mAcc and
// StrictAlign share; then mean ± sd over the seeds of each method (finished runs only).
import type { AblationMethod } from '../../schemas/ablation';
import type { Metrics } from '../../schemas/run';
import { AUTO_ACCURACY, COLUMNS, type ColumnId, metricOf, setsOf } from './metric-keys';

/** One run as the table sees it: its evaluation metrics per recorded iteration. */
export interface AblationRecord {
  run_id: string;
  method: AblationMethod;
  seed: number;
  /** The run completed (an unfinished run's rows are shown but left out of the means). */
  finished: boolean;
  iterations: { iteration: number; metrics: Metrics }[];
}

export interface TableRow {
  run_id: string;
  method: AblationMethod;
  seed: number;
  finished: boolean;
  /** auto Pass@1 at iterations 0..N (null: not recorded). */
  auto: (number | null)[];
  /** The columns at iteration N. */
  last: Record<ColumnId, number | null>;
}

export interface Stat {
  mean: number | null;
  /** Sample standard deviation (n − 1); null below two values. */
  sd: number | null;
  n: number;
}

export interface MethodSummary {
  method: AblationMethod;
  /** Finished runs (seeds) of the method: the means are over these. */
  seeds: number;
  auto: Stat[];
  last: Record<ColumnId, Stat>;
}

export interface AblationTable {
  id: string;
  iterations: number;
  /** Run ids not finished (shown, left out of the means). */
  unfinished: string[];
  sets: { set: string; rows: TableRow[]; summary: MethodSummary[] }[];
}

export function stat(values: readonly (number | null)[]): Stat {
  const xs = values.filter((v): v is number => v !== null);
  const n = xs.length;
  if (n === 0) return { mean: null, sd: null, n };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, sd: null, n };
  const sd = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1));
  return { mean, sd, n };
}

export function ablationTable(
  id: string,
  iterations: number,
  records: readonly AblationRecord[],
): AblationTable {
  const sets = [...new Set(records.flatMap((r) => r.iterations.flatMap((i) => setsOf(i.metrics))))].sort();
  const methods = [...new Set(records.map((r) => r.method))];
  return {
    id,
    iterations,
    unfinished: records.filter((r) => !r.finished).map((r) => r.run_id),
    sets: sets.map((set) => {
      const rows = records.map((r): TableRow => {
        const at = (k: number) => r.iterations.find((i) => i.iteration === k)?.metrics ?? {};
        const last = at(iterations);
        return {
          run_id: r.run_id,
          method: r.method,
          seed: r.seed,
          finished: r.finished,
          auto: Array.from({ length: iterations + 1 }, (_, k) => metricOf(at(k), set, AUTO_ACCURACY)),
          last: Object.fromEntries(
            COLUMNS.map((c) => [c.id, metricOf(last, set, c.keys)]),
          ) as TableRow['last'],
        };
      });
      const summary = methods.map((method): MethodSummary => {
        const done = rows.filter((r) => r.method === method && r.finished);
        return {
          method,
          seeds: done.length,
          auto: Array.from({ length: iterations + 1 }, (_, k) => stat(done.map((r) => r.auto[k] ?? null))),
          last: Object.fromEntries(COLUMNS.map((c) => [c.id, stat(done.map((r) => r.last[c.id]))])) as Record<
            ColumnId,
            Stat
          >,
        };
      });
      return { set, rows, summary };
    }),
  };
}

/** Percent with one decimal; signed for differences. */
function pct(v: number | null, signed = false): string {
  if (v === null) return '—';
  let s = (v * 100).toFixed(1);
  if (s === '-0.0') s = '0.0';
  return signed && !s.startsWith('-') && s !== '0.0' ? `+${s}` : s;
}

function meanSd(s: Stat, signed = false): string {
  if (s.mean === null) return '—';
  return s.sd === null ? pct(s.mean, signed) : `${pct(s.mean, signed)} ± ${(s.sd * 100).toFixed(1)}`;
}

export function renderAblationMarkdown(t: AblationTable): string {
  const out = [`# Ablation ${t.id}`, ''];
  out.push(
    `Greedy Pass@1 of the auto mode (the model's own choice) per EM iteration (0: the starting policy), ` +
      `then at iteration ${t.iterations}: auto − best dictated mode (points), the auto responses' code ` +
      'rate, selection mAcc and the StrictAlign share (with Monte-Carlo selection labels). Percent. ' +
      'mean ± sd: over the finished seeds of a method (sample sd, n − 1).',
    '',
  );
  if (t.sets.length === 0) out.push('No run has recorded an evaluation yet.', '');
  const iters = Array.from({ length: t.iterations + 1 }, (_, k) => `auto it${k}`);
  const header = ['method', 'seed', ...iters, ...COLUMNS.map((c) => c.title)];
  for (const s of t.sets) {
    out.push(`## ${s.set}`, '', `| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`);
    for (const m of s.summary) {
      for (const r of s.rows.filter((x) => x.method === m.method)) {
        const seed = r.finished ? String(r.seed) : `${r.seed} (unfinished)`;
        const cells = [...r.auto.map((v) => pct(v)), ...COLUMNS.map((c) => pct(r.last[c.id], c.signed))];
        out.push(`| ${[m.method, seed, ...cells].join(' | ')} |`);
      }
      const cells = [...m.auto.map((v) => meanSd(v)), ...COLUMNS.map((c) => meanSd(m.last[c.id], c.signed))];
      out.push(`| **${m.method}** | mean ± sd (${m.seeds}) | ${cells.join(' | ')} |`);
    }
    out.push('');
  }
  if (t.unfinished.length)
    out.push(
      `Unfinished (left out of the means; re-run the sweep to continue): ${t.unfinished.join(', ')}`,
      '',
    );
  return out.join('\n');
}
