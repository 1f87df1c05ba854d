// var/evals/<eval_id>/: result.json (what evalRun returns, and the selection datasets) and report.md.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { VAR_DIR } from '../../infra/paths';
import type { Metrics, PolicyRef } from '../../schemas/run';
import type { DatasetRef } from '../../schemas/store';
import { reportFromMetrics } from '../report/load';
import { writeReport } from '../report/write';
import { writeAtomic } from '../store/atomic';

export function evalDir(evalId: string): string {
  // Workflow ids may contain '/'; keep one directory per evaluation.
  return join(VAR_DIR, 'evals', evalId.replaceAll('/', '_'));
}

export interface EvalReportInput {
  eval_id: string;
  checkpoint_spec: string;
  checkpoint: PolicyRef;
  metrics: Metrics;
  summary: DatasetRef;
  results: Record<string, DatasetRef>;
  selection: Record<string, DatasetRef>;
}

/** Writes report.md and report.html, then result.json (last: its presence means the evaluation finished); returns its path. */
export async function writeEvalReport(input: EvalReportInput): Promise<string> {
  const dir = evalDir(input.eval_id);
  await mkdir(dir, { recursive: true });
  const path = join(dir, 'result.json');
  const origin = input.checkpoint_spec === input.checkpoint.uri ? 'given' : `from ${input.checkpoint_spec}`;
  await writeReport(
    dir,
    reportFromMetrics({
      id: input.eval_id,
      metrics: input.metrics,
      subtitle: `Checkpoint ${input.checkpoint.uri} (${origin})`,
      policy: input.checkpoint.key,
    }),
  );
  const result = {
    eval_id: input.eval_id,
    checkpoint: input.checkpoint,
    metrics: input.metrics,
    summary: input.summary,
    results: input.results,
    selection: input.selection,
    report: path,
  };
  await writeAtomic(path, `${JSON.stringify(result, null, 2)}\n`);
  return path;
}
