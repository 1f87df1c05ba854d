// Every evaluation metric, computed from result rows in one pure function (no I/O): greedy Pass@1 and
// code rate per (set, mode), the auto mode's gain over the best dictated mode, and, given Monte-Carlo
// selection samples, the selection metrics of the paper (mAcc, per-class accuracy, accuracy within
// correct selections, and the alignment split of the correct auto responses: StrictAlign / AllowCode /
// MisAlign, paper §3.3). Key names and the reasoning behind each definition: docs/evaluation.md.
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

/**
 * A method "can succeed" on a query when at least one of its k samples was correct. The paper's oracle
 * (§3.3) uses code "only if it is the sole path to a correct response": a path exists when some sample
 * took it; 0 of k is the only estimate that says it does not.
 */
export function canSucceed(p: number): boolean {
  return p > 0;
}

/** The paper's oracle (§3.3): code only when code can succeed and cot cannot; otherwise cot. */
export function oracleOf(p_cot: number, p_code: number): Method {
  return canSucceed(p_code) && !canSucceed(p_cot) ? 'code' : 'cot';
}

export type Alignment = 'strict_align' | 'allow_code' | 'mis_align';

/** Alignment of a correct auto response's first-round choice with the oracle (paper §3.3). */
export function alignmentOf(choice: Method, p_cot: number, p_code: number): Alignment {
  if (choice === 'code' && canSucceed(p_cot) && canSucceed(p_code)) return 'allow_code';
  return choice === oracleOf(p_cot, p_code) ? 'strict_align' : 'mis_align';
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
  /** Correct auto responses by their alignment with the oracle. */
  aligned: Record<Alignment, number>;
}

function emptySelection(): SelectionTally {
  return {
    confusion: { cot: { cot: 0, code: 0 }, code: { cot: 0, code: 0 }, tie: { cot: 0, code: 0 } },
    agreed: 0,
    agreed_correct: 0,
    aligned: { strict_align: 0, allow_code: 0, mis_align: 0 },
  };
}

/** Selection metrics of one group from its tally (see docs/evaluation.md for the definitions). */
function selectionMetrics(prefix: string, t: SelectionTally): Metrics {
  const c = t.confusion;
  const nCot = c.cot.cot + c.cot.code;
  const nCode = c.code.cot + c.code.code;
  const nTie = c.tie.cot + c.tie.code;
  const n = nCot + nCode + nTie;
  const a = t.aligned;
  const nAligned = a.strict_align + a.allow_code + a.mis_align;
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
    // The paper classifies the correct responses only: the three shares are over them.
    [`${prefix}.selection.align_n`]: nAligned,
    [`${prefix}.selection.strict_align`]: ratio(a.strict_align, nAligned),
    [`${prefix}.selection.allow_code`]: ratio(a.allow_code, nAligned),
    [`${prefix}.selection.mis_align`]: ratio(a.mis_align, nAligned),
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
        if (r.correct) s.aligned[alignmentOf(choice, label.p_cot, label.p_code)]++;
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
