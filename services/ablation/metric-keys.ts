// The one place the ablation table reads evaluation metrics from (keys of engines/eval/metrics.ts,
// docs/evaluation.md). Each column lists the accepted key suffixes, first found wins, so a renamed
// key is added here beside the old one and old runs still render.
import type { Metrics } from '../../schemas/run';

/** `<set>.auto.accuracy`: greedy Pass@1 of the model's own choice, per iteration. */
export const AUTO_ACCURACY = ['auto.accuracy'] as const;

export type ColumnId = 'gain' | 'code_rate' | 'macc' | 'strict_align';

export interface Column {
  id: ColumnId;
  title: string;
  /** Suffixes after `<set>.`; the first one present is read. */
  keys: readonly string[];
  /** A difference of accuracies (shown signed) rather than a share. */
  signed: boolean;
}

/** The columns read at the last iteration. */
export const COLUMNS: readonly Column[] = [
  { id: 'gain', title: 'auto − best dictated', keys: ['auto.gain'], signed: true },
  { id: 'code_rate', title: 'auto code rate', keys: ['auto.code_rate'], signed: false },
  { id: 'macc', title: 'selection mAcc', keys: ['selection.macc', 'selection.m_acc'], signed: false },
  {
    id: 'strict_align',
    title: 'StrictAlign',
    keys: ['selection.strict_align', 'selection.align.strict_align', 'selection.strict_align_share'],
    signed: false,
  },
];

/** A metric of `set` by its accepted suffixes; null when none is recorded (or it is not a number). */
export function metricOf(metrics: Metrics, set: string, keys: readonly string[]): number | null {
  for (const k of keys) {
    const v = metrics[`${set}.${k}`];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return null;
}

/** The eval sets a run's metrics cover (families `<set>/<family>` left out), sorted. */
export function setsOf(metrics: Metrics): string[] {
  const sets = new Set<string>();
  for (const key of Object.keys(metrics))
    for (const suffix of AUTO_ACCURACY) {
      const set = key.endsWith(`.${suffix}`) ? key.slice(0, -suffix.length - 1) : null;
      if (set && !set.includes('/')) sets.add(set);
    }
  return [...sets].sort();
}
