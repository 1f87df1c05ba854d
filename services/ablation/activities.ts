// The ablation sweep's two CPU activities: plan it (validate the input and every run's spec, find
// the runs that already finished) and write its table from what the runs left under var/runs/.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { loadRunReport } from '../../engines/report/load';
import { writeAtomic } from '../../engines/store/atomic';
import { PATHS, VAR_DIR } from '../../infra/paths';
import {
  type AblationPlan,
  type AblationRun,
  AblationSweepInput,
  type AblationSweepInput as SweepInput,
} from '../../schemas/ablation';
import { resolveRunSpec } from '../run/prepare';
import { planRuns, runFinished, SWEEP_OWNED } from './plan';
import { type AblationRecord, type AblationTable, ablationTable, renderAblationMarkdown } from './table';

/** var/ablations/<id>/: the sweep's table.md and table.json. */
export const ABLATIONS_DIR = join(VAR_DIR, 'ablations');

function invalidInput(message: string): ApplicationFailure {
  return ApplicationFailure.create({ message, type: 'InvalidInput', nonRetryable: true });
}

/** Validates the sweep's input and every run's spec (nothing is started when one is wrong). */
export async function ablationPlan(input: SweepInput & { id: string }): Promise<AblationPlan> {
  const parsed = AblationSweepInput.safeParse(input);
  if (!parsed.success) throw invalidInput(`ablation sweep input: ${z.prettifyError(parsed.error)}`);
  const sweep = parsed.data;
  const owned = Object.keys(sweep.overrides).filter((k) => SWEEP_OWNED.includes(k));
  if (owned.length)
    throw invalidInput(
      `ablation sweep input: overrides: ${owned.join(', ')} set by the sweep itself ` +
        '(use iterations, seeds, selection_labels, bootstrap)',
    );
  const id = sweep.id ?? input.id;
  const runs = planRuns(sweep, id, (run) => runFinished(PATHS.runs, run, sweep.iterations));
  for (const run of runs) {
    try {
      resolveRunSpec({ run_id: run.run_id, spec: run.spec, overrides: run.overrides });
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw ApplicationFailure.create({
        message: `${run.run_id} (pipelines/${run.spec}.yaml with the sweep's overrides): ${why}`,
        type: 'InvalidSpec',
        nonRetryable: true,
      });
    }
  }
  return { id, iterations: sweep.iterations, runs };
}

/** The table's input: each planned run's recorded evaluations (none yet: an empty record). */
export async function ablationRecords(
  runs: readonly Omit<AblationRun, 'finished'>[],
  iterations: number,
  runsRoot: string = PATHS.runs,
): Promise<AblationRecord[]> {
  const out: AblationRecord[] = [];
  for (const run of runs) {
    const dir = join(runsRoot, run.run_id.replaceAll('/', '_'));
    let recorded: AblationRecord['iterations'] = [];
    if (existsSync(dir)) {
      try {
        recorded = (await loadRunReport(dir)).iterations.map((i) => ({
          iteration: i.iteration,
          metrics: i.metrics,
        }));
      } catch {
        /* started but nothing recorded yet */
      }
    }
    out.push({
      run_id: run.run_id,
      method: run.method,
      seed: run.seed,
      finished: runFinished(runsRoot, run, iterations),
      iterations: recorded,
    });
  }
  return out;
}

export interface WrittenTable {
  table: AblationTable;
  markdown: string;
  table_md: string;
  table_json: string;
}

/** Renders the sweep's table from var/runs/ and writes var/ablations/<id>/table.{md,json}. */
export async function writeAblationTable(
  plan: AblationPlan,
  root: string = ABLATIONS_DIR,
): Promise<WrittenTable> {
  const table = ablationTable(plan.id, plan.iterations, await ablationRecords(plan.runs, plan.iterations));
  const markdown = renderAblationMarkdown(table);
  const dir = join(root, plan.id);
  const table_md = join(dir, 'table.md');
  const table_json = join(dir, 'table.json');
  await writeAtomic(table_json, `${JSON.stringify({ ...table, runs: plan.runs }, null, 2)}\n`);
  await writeAtomic(table_md, markdown);
  return { table, markdown, table_md, table_json };
}
