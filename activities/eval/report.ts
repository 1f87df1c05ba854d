// var/evals/<eval_id>/: result.json (what evalRun returns, and the selection datasets) and report.md.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { VAR_DIR } from '../../infra/paths';
import type { Metrics, PolicyRef } from '../../schemas/run';
import type { DatasetRef } from '../../schemas/store';
import { metricsTables } from './table';

export function evalDir(evalId: string): string {
  // Workflow ids may contain '/'; keep one directory per evaluation.
  return join(VAR_DIR, 'evals', evalId.replaceAll('/', '_'));
}

async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, path);
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

/** Writes report.md, then result.json (last: its presence means the evaluation finished); returns its path. */
export async function writeEvalReport(input: EvalReportInput): Promise<string> {
  const dir = evalDir(input.eval_id);
  await mkdir(dir, { recursive: true });
  const path = join(dir, 'result.json');
  const md = [
    `# Evaluation ${input.eval_id}`,
    '',
    `Checkpoint: \`${input.checkpoint.uri}\` (${input.checkpoint_spec === input.checkpoint.uri ? 'given' : `from ${input.checkpoint_spec}`}; key ${input.checkpoint.key.slice(0, 12)})`,
    '',
    ...metricsTables(input.metrics),
    '',
    'Accuracy is greedy Pass@1 in percent; code rate is the share of responses that ran code. Selection',
    'labels come from Monte-Carlo samples of each dictated mode (docs/evaluation.md).',
    '',
  ];
  await writeAtomic(join(dir, 'report.md'), md.join('\n'));
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
