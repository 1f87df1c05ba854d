// The run index under var/runs/<run>/: one JSON per finished node, and the run's report.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { loadRunReport } from '../../engines/report/load';
import { writeReport } from '../../engines/report/write';
import { writeAtomic } from '../../engines/store/atomic';
import { PATHS } from '../../infra/paths';
import type { ReportData } from '../../schemas/report';
import type { Metrics, NodeResult } from '../../schemas/run';

export function runDir(runId: string): string {
  // Run ids may contain '/' (workflow ids); keep one directory per run.
  return join(PATHS.runs, runId.replaceAll('/', '_'));
}

export async function recordNode(input: {
  run_id: string;
  iteration: number;
  result: NodeResult;
}): Promise<string> {
  const dir = join(runDir(input.run_id), `iter-${input.iteration}`);
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${input.result.node_id}.json`);
  await writeAtomic(path, `${JSON.stringify(input.result, null, 2)}\n`);
  return path;
}

export interface IterationSummary {
  iteration: number;
  policy: string;
  metrics: Metrics;
  nodes: Record<string, { cached: boolean; metrics: Metrics }>;
}

/**
 * The run's report: report.json (what the workflow saw), then report.md and report.html rendered from
 * the run's directory (evaluation per iteration, selection, training figures). Returns report.md.
 */
export async function writeRunReport(input: {
  run_id: string;
  spec_name: string;
  iterations: IterationSummary[];
}): Promise<string> {
  const dir = runDir(input.run_id);
  await mkdir(dir, { recursive: true });
  await writeAtomic(join(dir, 'report.json'), `${JSON.stringify(input, null, 2)}\n`);
  let data: ReportData;
  try {
    data = await loadRunReport(dir);
  } catch (err) {
    // An unreadable node record must not fail a finished run: report what the workflow saw.
    const why = err instanceof Error ? err.message : String(err);
    data = {
      kind: 'run',
      id: input.run_id,
      title: `Run ${input.run_id}`,
      subtitle: `spec ${input.spec_name}; training figures left out: ${why}`,
      iterations: input.iterations.map((s) => ({
        iteration: s.iteration,
        policy: s.policy,
        metrics: s.metrics,
        regression: [],
        training: null,
      })),
    };
  }
  const files = await writeReport(dir, data);
  return files.markdown;
}
