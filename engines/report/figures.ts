// The report's tables and plot series, derived from ReportData once, so the Markdown and the HTML
// renderers show the same numbers. Pure functions, no I/O.
import type { ReportData, ReportIteration } from '../../schemas/report';

export const EVAL_MODES = ['cot', 'code', 'auto'] as const;
export const ROLLOUT_MODES = ['dictated_cot', 'dictated_code', 'native'] as const;
export const SELECTION_LABELS = ['cot', 'code', 'tie'] as const;
export const SELECTION_CHOICES = ['cot', 'code'] as const;

/** How a cell's value is shown: a fraction as percent, points of percent, or a count. */
export type CellFormat = 'pct' | 'points' | 'count';

export interface Cell {
  value: number | null;
  /** The metric key the value comes from (null when derived and not recorded). */
  key: string;
  format: CellFormat;
  regression: boolean;
}

export interface Column {
  id: string;
  header: string;
}

export interface TableRow {
  iteration: number;
  cells: Record<string, Cell>;
}

export interface BenchmarkTable {
  set: string;
  columns: Column[];
  rows: TableRow[];
}

/** Table 1 of the paper: Pass@1 per mode, auto's code rate, and auto minus the best dictated mode. */
export const TABLE1_COLUMNS: Column[] = [
  { id: 'cot', header: 'cot' },
  { id: 'code', header: 'code' },
  { id: 'auto', header: 'auto' },
  { id: 'code_rate', header: 'auto code rate' },
  { id: 'gain', header: 'auto - best dictated' },
];

/** Table 3 of the paper: selection against Monte-Carlo labels. */
export const TABLE3_COLUMNS: Column[] = [
  { id: 'n', header: 'n' },
  { id: 'macc', header: 'mAcc' },
  { id: 'acc_cot', header: 'acc cot' },
  { id: 'acc_code', header: 'acc code' },
  { id: 'acc_within_correct', header: 'acc within correct' },
  // The alignment split (paper §3.3) is over the correct auto responses: align_n of them.
  { id: 'align_n', header: 'correct' },
  { id: 'strict_align', header: 'StrictAlign' },
  { id: 'allow_code', header: 'AllowCode' },
  { id: 'mis_align', header: 'MisAlign' },
];

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function cell(it: ReportIteration, key: string, format: CellFormat, value?: number | null): Cell {
  return {
    value: value === undefined ? num(it.metrics[key]) : value,
    key,
    format,
    regression: it.regression.includes(key),
  };
}

const EVAL_KEY = /^(.+)\.(cot|code|auto)\.(accuracy|code_rate|gain)$/;
const SELECTION_KEY = /^(.+)\.selection\.(?:confusion\.)?[a-z_]+(?:\.[a-z]+)?$/;

/** Every benchmark (`<set>` or `<set>/<family>`) named by an evaluation or selection metric, sorted. */
export function benchmarks(data: ReportData): string[] {
  const sets = new Set<string>();
  for (const it of data.iterations) {
    for (const key of Object.keys(it.metrics)) {
      const set = EVAL_KEY.exec(key)?.[1] ?? selectionSet(key);
      if (set) sets.add(set);
    }
  }
  return [...sets].sort();
}

function selectionSet(key: string): string | undefined {
  if (!SELECTION_KEY.test(key)) return undefined;
  return key.slice(0, key.indexOf('.selection.'));
}

export function table1(data: ReportData, set: string): BenchmarkTable {
  const rows: TableRow[] = [];
  for (const it of data.iterations) {
    const acc = (mode: string) => cell(it, `${set}.${mode}.accuracy`, 'pct');
    const [cot, code, auto] = [acc('cot'), acc('code'), acc('auto')];
    if (cot.value === null && code.value === null && auto.value === null) continue;
    const recorded = num(it.metrics[`${set}.auto.gain`]);
    const derived =
      auto.value !== null && cot.value !== null && code.value !== null
        ? auto.value - Math.max(cot.value, code.value)
        : null;
    rows.push({
      iteration: it.iteration,
      cells: {
        cot,
        code,
        auto,
        code_rate: cell(it, `${set}.auto.code_rate`, 'pct'),
        gain: cell(it, `${set}.auto.gain`, 'points', recorded ?? derived),
      },
    });
  }
  return { set, columns: TABLE1_COLUMNS, rows };
}

export function table3(data: ReportData, set: string): BenchmarkTable {
  const rows: TableRow[] = [];
  for (const it of data.iterations) {
    const cells: Record<string, Cell> = {};
    for (const c of TABLE3_COLUMNS)
      cells[c.id] = cell(
        it,
        `${set}.selection.${c.id}`,
        c.id === 'n' || c.id === 'align_n' ? 'count' : 'pct',
      );
    if (Object.values(cells).some((c) => c.value !== null)) rows.push({ iteration: it.iteration, cells });
  }
  return { set, columns: TABLE3_COLUMNS, rows };
}

export interface Confusion {
  set: string;
  iteration: number;
  labels: readonly string[];
  choices: readonly string[];
  /** counts[label][choice] */
  counts: number[][];
}

/** The selection confusion (label × choice counts) of the last iteration that has one. */
export function confusion(data: ReportData, set: string): Confusion | null {
  for (const it of [...data.iterations].reverse()) {
    const key = (l: string, c: string) => `${set}.selection.confusion.${l}.${c}`;
    const present = SELECTION_LABELS.some((l) => SELECTION_CHOICES.some((c) => key(l, c) in it.metrics));
    if (!present) continue;
    return {
      set,
      iteration: it.iteration,
      labels: SELECTION_LABELS,
      choices: SELECTION_CHOICES,
      counts: SELECTION_LABELS.map((l) => SELECTION_CHOICES.map((c) => num(it.metrics[key(l, c)]) ?? 0)),
    };
  }
  return null;
}

export interface TrainingSeries {
  iterations: number[];
  /** Mean reward per rollout mode, one value per iteration (null: not recorded). */
  reward: Record<string, (number | null)[]>;
  samples: (number | null)[];
  exploratory: (number | null)[];
  reflective: (number | null)[];
  replay: (number | null)[];
  loss: (number | null)[];
  /** The behaviour record (behavior_logprobs): mean and max |sampler - recomputed| in nats, share above the threshold. */
  drift_mean: (number | null)[];
  drift_max: (number | null)[];
  drift_share: (number | null)[];
}

/** Per-iteration training figures of a run; null when no iteration recorded any. */
export function trainingSeries(data: ReportData): TrainingSeries | null {
  const its = data.iterations.filter((it) => it.training !== null);
  if (its.length === 0) return null;
  const synth = (k: string) => its.map((it) => num(it.training?.synthesize?.[k]));
  const modes = [...ROLLOUT_MODES, ...new Set(its.flatMap((it) => Object.keys(it.training?.reward ?? {})))];
  return {
    iterations: its.map((it) => it.iteration),
    reward: Object.fromEntries(
      [...new Set(modes)].map((m) => [m, its.map((it) => num(it.training?.reward[m]))]),
    ),
    samples: synth('samples'),
    exploratory: synth('exploratory'),
    reflective: synth('reflective'),
    replay: synth('replay'),
    loss: its.map((it) => {
      const u = it.training?.update;
      return num(u?.final_loss) ?? num(u?.loss) ?? num(u?.mean_loss);
    }),
    drift_mean: its.map((it) => num(it.training?.behavior?.drift_mean_abs)),
    drift_max: its.map((it) => num(it.training?.behavior?.drift_max_abs)),
    drift_share: its.map((it) => num(it.training?.behavior?.drift_share_above)),
  };
}

/** A cell's text: percent with one decimal, signed points, or an integer count; '-' when absent. */
export function formatValue(value: number | null, format: CellFormat): string {
  if (value === null) return '-';
  if (format === 'count') return String(Math.round(value));
  const pct = (value * 100).toFixed(1);
  return format === 'points' && value > 0 ? `+${pct}` : pct;
}

/** A log-prob difference in nats: 3 decimals, or 2 significant digits below 0.01 (float32 agrees to ~1e-6). */
export function formatNats(value: number | null): string {
  if (value === null) return '-';
  if (value === 0) return '0';
  return Math.abs(value) >= 0.01 ? value.toFixed(3) : value.toExponential(1);
}

/** Percent rounded to 0.1 for plots (null stays null: a gap in the line). */
export function pct(value: number | null): number | null {
  return value === null ? null : Math.round(value * 1000) / 10;
}

/** Every regression flagged in the report, as (iteration, key). */
export function regressions(data: ReportData): { iteration: number; key: string }[] {
  return data.iterations.flatMap((it) => it.regression.map((key) => ({ iteration: it.iteration, key })));
}
