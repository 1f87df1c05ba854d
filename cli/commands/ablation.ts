// `autocode ablation`: the paper's ablation table on the tiny world. Starts the `ablationSweep`
// workflow (one emRun per method and seed, one after another, then the table), follows it, and prints
// the table. Running it again with the same --id resumes: finished runs are skipped, a failed run
// restarts with its finished nodes as cache hits. `--table` only renders what var/runs/ holds.
import type { Client, WorkflowHandle } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Command } from 'commander';
import {
  ABLATION_METHODS,
  type AblationProgress,
  type AblationResult,
  type AblationSweepInput,
} from '../../schemas/ablation';
import type { RunProgress } from '../../schemas/progress';
import { TASK_QUEUES } from '../../schemas/queues';
import { ablationPlan, writeAblationTable } from '../../services/ablation/activities';
import { withClient } from '../client';
import { positiveInt } from '../options';
import { parseOverrides } from '../overrides';
import { failureMessage } from './eval';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface AblationOptions {
  seeds?: string;
  methods?: string;
  iterations?: number;
  id: string;
  selectionLabels?: number;
  bootstrap?: string;
  set?: string[];
}

const list = (raw: string) =>
  raw
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);

/** The workflow input from the command line (unset flags keep the workflow's defaults). */
export function ablationInput(o: AblationOptions): AblationSweepInput & { id: string } {
  const input: AblationSweepInput & { id: string } = { id: o.id };
  if (o.seeds !== undefined) {
    const seeds = list(o.seeds).map(Number);
    if (seeds.length === 0 || seeds.some((s) => !Number.isInteger(s) || s < 0))
      throw new Error(`--seeds must be non-negative integers separated by commas, got ${o.seeds}`);
    input.seeds = seeds;
  }
  if (o.methods !== undefined) {
    const methods = list(o.methods);
    const bad = methods.filter((m) => !(ABLATION_METHODS as readonly string[]).includes(m));
    if (bad.length || methods.length === 0)
      throw new Error(`--methods: ${bad.join(', ') || '(none)'} not among ${ABLATION_METHODS.join(', ')}`);
    input.methods = methods as AblationSweepInput['methods'];
  }
  if (o.iterations !== undefined) input.iterations = o.iterations;
  if (o.selectionLabels !== undefined) input.selection_labels = o.selectionLabels;
  if (o.bootstrap !== undefined) {
    if (o.bootstrap !== 'shared' && o.bootstrap !== 'per_seed')
      throw new Error(`--bootstrap must be shared or per_seed, got ${o.bootstrap}`);
    input.bootstrap = o.bootstrap;
  }
  if (o.set?.length) input.overrides = parseOverrides(o.set);
  return input;
}

async function start(client: Client, input: AblationSweepInput & { id: string }): Promise<WorkflowHandle> {
  try {
    const handle = await client.workflow.start('ablationSweep', {
      taskQueue: TASK_QUEUES.cpu,
      workflowId: input.id,
      args: [input],
    });
    console.log(`started ablation sweep ${input.id} (Web UI: workflow ${input.id})`);
    return handle;
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    console.log(`ablation sweep ${input.id} is already running; following it`);
    return client.workflow.getHandle(input.id);
  }
}

/** One line per change: which run is going, and its stage. */
async function follow(client: Client, handle: WorkflowHandle): Promise<AblationResult> {
  const result = handle.result() as Promise<AblationResult>;
  let done = false;
  void result.then(
    () => (done = true),
    () => (done = true),
  );
  let last = '';
  while (!done) {
    try {
      const p = await handle.query<AblationProgress>('progress');
      const i = p.runs.findIndex((r) => r.state === 'running');
      let line = `${p.stage}`;
      if (i >= 0) {
        const run = p.runs[i] as AblationProgress['runs'][number];
        let sub = '';
        try {
          sub = `: ${(await client.workflow.getHandle(run.run_id).query<RunProgress>('progress')).stage}`;
        } catch {
          /* the child has not started yet */
        }
        line = `[${i + 1}/${p.runs.length}] ${run.run_id}${sub}`;
      }
      if (line !== last) console.log(line);
      last = line;
    } catch {
      /* not started yet, or finished between the check and the query */
    }
    await Promise.race([result.catch(() => undefined), sleep(2000)]);
  }
  return result;
}

export function register(program: Command): void {
  program
    .command('ablation')
    .description(
      'the ablation table: AutoCode, no self-reflective and plain RL, per seed, from one bootstrap',
    )
    .option('--seeds <list>', 'seeds of the EM iterations (default 0,1,2)')
    .option('--methods <list>', `subset of ${ABLATION_METHODS.join(',')} (default all)`)
    .option('--iterations <n>', 'EM iterations per run (default 2)', positiveInt('iterations'))
    .option('--id <name>', 'sweep id; runs are <id>-<method>-s<seed>', 'ablation')
    .option(
      '--selection-labels <k>',
      'Monte-Carlo samples per query and method (default 4)',
      positiveInt('selection-labels'),
    )
    .option('--bootstrap <mode>', 'shared (one checkpoint for every seed, default) or per_seed')
    .option('-s, --set <key=value...>', 'override a spec field in every run')
    .option('--table', 'only render the table from var/runs/ (no stack needed)', false)
    .option('-d, --detach', 'start and return', false)
    .action(async (o: AblationOptions & { table: boolean; detach: boolean }) => {
      const input = ablationInput(o);
      // Validates the input and every run's spec here, before anything is started or written.
      const plan = await ablationPlan(input);
      if (o.table) {
        const written = await writeAblationTable(plan);
        console.log(written.markdown);
        console.log(`table: ${written.table_md} (${written.table_json})`);
        return;
      }
      const skipped = plan.runs.filter((r) => r.finished).map((r) => r.run_id);
      console.log(`runs: ${plan.runs.map((r) => r.run_id).join(', ')}`);
      if (skipped.length) console.log(`finished already (skipped): ${skipped.join(', ')}`);
      await withClient(async (client) => {
        const handle = await start(client, input);
        if (o.detach) return;
        let result: AblationResult;
        try {
          result = await follow(client, handle);
        } catch (err) {
          throw new Error(`ablation sweep ${input.id}: ${failureMessage(err)}`);
        }
        console.log(result.markdown);
        console.log(`table: ${result.table_md} (${result.table_json})`);
      });
    });
}
