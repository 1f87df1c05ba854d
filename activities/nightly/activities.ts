// The nightly evaluation's bookkeeping: compare this night with the previous one and record it.
import type { NightlyRecord } from '../../schemas/nightly';
import type { Metrics, PolicyRef } from '../../schemas/run';
import { findRegressions } from './compare';
import { readHistory, writeHistory } from './history';

export interface RecordNightlyInput {
  schedule: string;
  eval_id: string;
  checkpoint: PolicyRef;
  metrics: Metrics;
  threshold: number;
}

/** Idempotent: a night already recorded (a retried activity, a reset workflow) is returned as is. */
export async function recordNightly(input: RecordNightlyInput): Promise<NightlyRecord> {
  const history = await readHistory(input.schedule);
  const seen = history.find((r) => r.eval_id === input.eval_id);
  if (seen) return seen;
  const previous = history.at(-1) ?? null;
  const record: NightlyRecord = {
    eval_id: input.eval_id,
    at: new Date().toISOString(),
    checkpoint: input.checkpoint,
    metrics: input.metrics,
    previous_eval_id: previous?.eval_id ?? null,
    threshold: input.threshold,
    regressions: previous ? findRegressions(previous.metrics, input.metrics, input.threshold) : [],
  };
  await writeHistory(input.schedule, [...history, record]);
  return record;
}
