// Every evaluation metric, computed from result rows in one pure function (no I/O): greedy Pass@1 and
// code rate per (set, mode), the auto mode's gain over the best dictated mode, and, given Monte-Carlo
// selection samples, the selection metrics of the paper (mAcc, per-class accuracy, accuracy within
// correct selections, StrictAlign / AllowCode / MisAlign). Key names: docs/evaluation.md.
import type { Method } from '../../schemas/rollout';
import type { Metrics } from '../../schemas/run';
import type { EvalMode, EvalResultRow, SelectionSample, SummaryRow } from './types';

export type SelectionLabel = Method | 'tie';

/** Per-query Monte-Carlo estimate: fraction correct of the k samples of each method, and its label. */
export interface QueryLabel {
  p_cot: number;
  p_code: number;
  label: SelectionLabel;
}

/** The better method by sampled accuracy; equal (both 0 included) is a tie. */
export function labelOf(p_cot: number, p_code: number): SelectionLabel {
  if (p_code > p_cot) return 'code';
  if (p_cot > p_code) return 'cot';
  return 'tie';
}

/** Labels of every (benchmark, query) with at least one sample of each dictated method. */
export function selectionLabels(samples: readonly SelectionSample[]): Map<string, QueryLabel> {
  const acc = new Map<string, { cot: [number, number]; code: [number, number] }>();
  for (const s of samples) {
    if (s.mode === 'native') continue;
    const k = queryKey(s.benchmark, s.query_id);
    const a = acc.get(k) ?? { cot: [0, 0], code: [0, 0] };
    const slot = s.mode === 'dictated_cot' ? a.cot : a.code;
    slot[0] += s.reward === 1 ? 1 : 0;
    slot[1] += 1;
    acc.set(k, a);
  }
  const out = new Map<string, QueryLabel>();
  for (const [k, a] of acc) {
    if (a.cot[1] === 0 || a.code[1] === 0) continue;
    const p_cot = a.cot[0] / a.cot[1];
    const p_code = a.code[0] / a.code[1];
    out.set(k, { p_cot, p_code, label: labelOf(p_cot, p_code) });
  }
  return out;
}

function queryKey(benchmark: string, queryId: string): string {
  return `${benchmark}\u0000${queryId}`;
}

const round = (v: number) => Number(v.toFixed(4));
const ratio = (a: number, b: number): number | null => (b > 0 ? round(a / b) : null);

interface ModeTally {
  n: number;
  correct: number;
  code: number;
}

interface SelectionTally {
  /** confusion[label][choice] */
  confusion: Record<SelectionLabel, Record<Method, number>>;
  /** Queries where choice = label (ties excluded), and how many of those the auto response got right. */
  agreed: number;
  agreed_correct: number;
}

function emptySelection(): SelectionTally {
  return {
    confusion: { cot: { cot: 0, code: 0 }, code: { cot: 0, code: 0 }, tie: { cot: 0, code: 0 } },
    agreed: 0,
    agreed_correct: 0,
  };
}

/** Selection metrics of one group from its tally (see docs/evaluation.md for the definitions). */
function selectionMetrics(prefix: string, t: SelectionTally): Metrics {
  const c = t.confusion;
  const nCot = c.cot.cot + c.cot.code;
  const nCode = c.code.cot + c.code.code;
  const nTie = c.tie.cot + c.tie.code;
  const n = nCot + nCode + nTie;
  const accCot = ratio(c.cot.cot, nCot);
  const accCode = ratio(c.code.code, nCode);
  const classes = [nCot ? c.cot.cot / nCot : null, nCode ? c.code.code / nCode : null].filter(
    (v): v is number => v !== null,
  );
  const m: Metrics = {
    [`${prefix}.selection.n`]: n,
    [`${prefix}.selection.acc_cot`]: accCot,
    [`${prefix}.selection.acc_code`]: accCode,
    [`${prefix}.selection.macc`]: classes.length
      ? round(classes.reduce((a, b) => a + b, 0) / classes.length)
      : null,
    [`${prefix}.selection.acc_within_correct`]: ratio(t.agreed_correct, t.agreed),
    // The hard max sends ties to cot: choosing cot on a tie is aligned, choosing code is allowed.
    [`${prefix}.selection.strict_align`]: ratio(c.cot.cot + c.code.code + c.tie.cot, n),
    [`${prefix}.selection.allow_code`]: ratio(c.tie.code, n),
    [`${prefix}.selection.mis_align`]: ratio(c.cot.code + c.code.cot, n),
  };
  for (const label of ['cot', 'code', 'tie'] as const)
    for (const choice of ['cot', 'code'] as const)
      m[`${prefix}.selection.confusion.${label}.${choice}`] = c[label][choice];
  return m;
}

export interface EvalMetricsInput {
  /** Greedy result rows of every set. */
  results: readonly EvalResultRow[];
  /** Monte-Carlo samples (dictated modes, k per query and method); absent: no selection metrics. */
  samples?: readonly SelectionSample[];
  /** The family of a set's query (tiny-world sets are also reported per family), or null. */
  familyOf?: (benchmark: string, queryId: string) => string | null;
  /** Key of the policy evaluated, written into the summary rows. */
  policy: string;
}

export interface EvalMetrics {
  summary: SummaryRow[];
  metrics: Metrics;
}

/**
 * Groups are each set and, where queries carry one, each `<set>/<family>`. Per group and mode: n,
 * correct, accuracy, code rate. Per group with all three modes: `auto.gain`. Per group with selection
 * labels and auto responses: the selection metrics, over the queries that have both.
 */
export function evalMetrics(input: EvalMetricsInput): EvalMetrics {
  const familyOf = input.familyOf ?? (() => null);
  const groupsOf = (r: { benchmark: string; query_id: string }) => {
    const f = familyOf(r.benchmark, r.query_id);
    return f ? [r.benchmark, `${r.benchmark}/${f}`] : [r.benchmark];
  };
  const modes = new Map<string, Map<EvalMode, ModeTally>>();
  const labels = input.samples ? selectionLabels(input.samples) : null;
  const selection = new Map<string, SelectionTally>();
  for (const r of input.results) {
    const label = r.mode === 'auto' ? labels?.get(queryKey(r.benchmark, r.query_id)) : undefined;
    const choice: Method = r.method === 'code' ? 'code' : 'cot';
    for (const g of groupsOf(r)) {
      const byMode = modes.get(g) ?? new Map<EvalMode, ModeTally>();
      const t = byMode.get(r.mode) ?? { n: 0, correct: 0, code: 0 };
      t.n++;
      if (r.correct) t.correct++;
      if (r.method === 'code') t.code++;
      byMode.set(r.mode, t);
      modes.set(g, byMode);
      if (label) {
        const s = selection.get(g) ?? emptySelection();
        s.confusion[label.label][choice]++;
        if (label.label === choice) {
          s.agreed++;
          if (r.correct) s.agreed_correct++;
        }
        selection.set(g, s);
      }
    }
  }

  const summary: SummaryRow[] = [];
  const metrics: Metrics = {};
  for (const [g, byMode] of modes) {
    const acc = (m: EvalMode) => {
      const t = byMode.get(m);
      return t?.n ? t.correct / t.n : undefined;
    };
    const extra: Metrics = {};
    const [cot, code, auto] = [acc('cot'), acc('code'), acc('auto')];
    if (cot !== undefined && code !== undefined && auto !== undefined)
      extra[`${g}.auto.gain`] = round(auto - Math.max(cot, code));
    const sel = selection.get(g);
    if (sel) Object.assign(extra, selectionMetrics(g, sel));
    for (const [mode, t] of byMode) {
      const accuracy = t.n ? t.correct / t.n : 0;
      const codeRate = t.n ? t.code / t.n : 0;
      metrics[`${g}.${mode}.accuracy`] = round(accuracy);
      metrics[`${g}.${mode}.code_rate`] = round(codeRate);
      summary.push({
        benchmark: g,
        mode,
        n: t.n,
        correct: t.correct,
        accuracy,
        code_rate: codeRate,
        policy: input.policy,
        // The group's gain and selection metrics ride on its auto row.
        metrics: mode === 'auto' && Object.keys(extra).length ? JSON.stringify(extra) : null,
      });
    }
    Object.assign(metrics, extra);
  }
  return { summary, metrics };
}
