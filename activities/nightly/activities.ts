// The nightly evaluation's bookkeeping: compare this night with the previous one and record it.

import { join } from 'node:path';
import type { NightlyRecord } from '../../schemas/nightly';
import type { Metrics, PolicyRef } from '../../schemas/run';
import { metricsTables } from '../eval/table';
import { findRegressions } from './compare';
import { nightlyDir, readHistory, writeAtomic, writeHistory } from './history';

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

/** The night's report beside its history: regressions first, then the evaluation's tables. */
export async function writeNightlyReport(input: {
  schedule: string;
  record: NightlyRecord;
}): Promise<string> {
  const { record } = input;
  const pct = (v: number) => (v * 100).toFixed(1);
  const lines = [
    `# Nightly ${input.schedule}: ${record.eval_id}`,
    '',
    `Checkpoint \`${record.checkpoint.uri}\` (key ${record.checkpoint.key.slice(0, 12)}), compared with ${record.previous_eval_id ?? 'nothing (first night)'}; threshold ${pct(record.threshold)} points.`,
    '',
  ];
  if (record.regressions.length === 0) lines.push('No regression.', '');
  else {
    lines.push(
      `**REGRESSION**: ${record.regressions.length} metric(s) dropped by more than the threshold.`,
      '',
      '| metric | previous | now | drop |',
      '|---|---|---|---|',
      ...record.regressions.map(
        (r) => `| ${r.metric} | ${pct(r.previous)} | ${pct(r.current)} | -${pct(r.drop)} |`,
      ),
      '',
    );
  }
  lines.push(...metricsTables(record.metrics), '');
  const path = join(nightlyDir(input.schedule), `${record.eval_id.replaceAll('/', '_')}.md`);
  await writeAtomic(path, lines.join('\n'));
  return path;
}
