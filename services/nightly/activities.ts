// The nightly evaluation's bookkeeping: compare this night with the previous one and record it.

import { join } from 'node:path';
import { reportFromMetrics } from '../../engines/report/load';
import { writeReport } from '../../engines/report/write';
import type { NightlyRecord } from '../../schemas/nightly';
import type { Metrics, PolicyRef } from '../../schemas/run';
import { findRegressions } from './compare';
import { nightlyDir, readHistory, writeHistory } from './history';

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

/** The night's report (Markdown and HTML) beside its history, regressions highlighted; returns the HTML's path. */
export async function writeNightlyReport(input: {
  schedule: string;
  record: NightlyRecord;
}): Promise<string> {
  const { record } = input;
  const points = (v: number) => (v * 100).toFixed(1);
  const dropped = record.regressions.map((r) => `${r.metric} ${points(r.previous)} → ${points(r.current)}`);
  const subtitle = [
    `Checkpoint ${record.checkpoint.uri}; compared with ${record.previous_eval_id ?? 'nothing (first night)'}, threshold ${points(record.threshold)} points.`,
    record.regressions.length ? `REGRESSION: ${dropped.join('; ')}.` : 'No regression.',
  ].join(' ');
  const out = await writeReport(
    join(nightlyDir(input.schedule), record.eval_id.replaceAll('/', '_')),
    reportFromMetrics({
      id: record.eval_id,
      title: `Nightly ${input.schedule}: ${record.eval_id}`,
      subtitle,
      policy: record.checkpoint.key,
      metrics: record.metrics,
      regression: record.regressions.map((r) => r.metric),
    }),
  );
  return out.html;
}
