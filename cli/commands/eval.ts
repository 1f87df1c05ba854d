// `autocode eval <checkpoint> --benchmarks …`: evaluates one checkpoint (a directory, or the last policy
// of an EM run) with the evalRun workflow on the running stack, follows it, and prints the tables.
import { isAbsolute, resolve } from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { Command } from 'commander';
import { metricsTables } from '../../engines/eval/table';
import { EXTRACTION_POLICIES, type ExtractionPolicy } from '../../schemas/grader';
import type { EvalProgress } from '../../schemas/progress';
import type { PromptPresetName } from '../../schemas/prompt';
import { TASK_QUEUES } from '../../schemas/queues';
import { LATEST_PREFIX } from '../../services/eval/checkpoint';
import type { EvalRunInput, EvalRunResult } from '../../workflows/eval-run';
import { withClient } from '../client';
import { oneOf, positiveInt } from '../options';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MODES = ['cot', 'code', 'auto'] as const;

export interface EvalOptions {
  benchmarks?: string[];
  run?: string;
  modes?: string;
  limit?: number;
  selectionLabels?: number;
  maxTokens?: number;
  maxRounds?: number;
  perFamily?: number;
  /** A prompt preset (schemas/prompt.ts), e.g. qwen25_math. */
  prompt?: string;
  /** The grader's extraction policy (absent: the evaluation's default, lenient). */
  extraction?: ExtractionPolicy;
}

/** The `--extraction` option of `autocode eval` and `autocode schedule create`. */
export const EXTRACTION_OPTION = {
  flags: '--extraction <policy>',
  description:
    "how a response's final answer is found: lenient (default: an unmarked last expression or number counts) or strict (only marked answers, as the rollouts' reward)",
  parse: oneOf('extraction', EXTRACTION_POLICIES),
} as const;

const list = (values: readonly string[]) =>
  values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);

/** The workflow input from the command line; relative checkpoint paths are taken from `cwd`. */
export function evalInput(checkpoint: string | undefined, o: EvalOptions, cwd = process.cwd()): EvalRunInput {
  if ((checkpoint === undefined) === (o.run === undefined))
    throw new Error('give exactly one of <checkpoint> (a directory or latest:<runId>) and --run <runId>');
  const benchmarks = list(o.benchmarks ?? []);
  if (benchmarks.length === 0)
    throw new Error('--benchmarks: name at least one (e.g. gsm8k,math500 or tiny_world)');
  let target: string;
  if (o.run !== undefined) target = `${LATEST_PREFIX}${o.run}`;
  else if ((checkpoint as string).startsWith(LATEST_PREFIX) || (checkpoint as string).startsWith('file://'))
    target = checkpoint as string;
  else
    target = isAbsolute(checkpoint as string) ? (checkpoint as string) : resolve(cwd, checkpoint as string);
  const input: EvalRunInput = { checkpoint: target, benchmarks };
  if (o.modes !== undefined) {
    const modes = list([o.modes]);
    const bad = modes.filter((m) => !(MODES as readonly string[]).includes(m));
    if (bad.length || modes.length === 0)
      throw new Error(`--modes: ${bad.join(', ') || '(none)'} not among ${MODES.join(', ')}`);
    input.modes = modes as EvalRunInput['modes'];
  }
  if (o.limit !== undefined) input.limit = o.limit;
  if (o.selectionLabels !== undefined) input.selection_labels = o.selectionLabels;
  if (o.maxTokens !== undefined) input.max_tokens = o.maxTokens;
  if (o.maxRounds !== undefined) input.max_rounds = o.maxRounds;
  if (o.perFamily !== undefined) input.tiny_world = { per_family: o.perFamily };
  if (o.prompt !== undefined) input.prompt = { preset: o.prompt as PromptPresetName };
  if (o.extraction !== undefined) input.extraction = o.extraction;
  return input;
}

export function defaultEvalId(now = new Date()): string {
  return `eval-${now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-')}`;
}

export function startEval(client: Client, input: EvalRunInput, evalId: string): Promise<WorkflowHandle> {
  return client.workflow.start('evalRun', {
    taskQueue: TASK_QUEUES.cpu,
    workflowId: evalId,
    args: [{ ...input, eval_id: evalId }],
  });
}

/** The innermost failure's message: an activity's own words rather than Temporal's wrappers. */
export function failureMessage(err: unknown): string {
  let e: unknown = err;
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  return e instanceof Error ? e.message : String(e);
}

/** What `autocode eval` prints at the end: where the report is and the metric tables. */
export function formatEvalResult(r: EvalRunResult): string {
  return [
    `evaluation ${r.eval_id}: checkpoint ${r.checkpoint.uri}`,
    '',
    ...metricsTables(r.metrics),
    '',
    `result: ${r.report}`,
  ].join('\n');
}

/** Follows an evaluation, printing each stage once, and returns its result. */
export async function followEval(
  handle: WorkflowHandle,
  print: (line: string) => void,
  intervalMs = 1000,
): Promise<EvalRunResult> {
  const result = handle.result() as Promise<EvalRunResult>;
  let done = false;
  void result.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  let last = '';
  while (!done) {
    try {
      const p = await handle.query<EvalProgress>('progress');
      const line = `${p.stage}: ${Object.entries(p.benchmarks)
        .map(([b, s]) => `${b} ${s}`)
        .join(', ')}`;
      if (line !== last) print(line);
      last = line;
    } catch {
      /* not started yet, or finished between the check and the query */
    }
    await Promise.race([result.catch(() => undefined), sleep(intervalMs)]);
  }
  return result;
}

export function register(program: Command): void {
  program
    .command('eval')
    .description('evaluate a checkpoint on benchmarks (greedy Pass@1 in cot, code and auto modes)')
    .argument('[checkpoint]', 'a checkpoint directory, or latest:<runId>')
    .option('-b, --benchmarks <names...>', 'registry names or tiny_world (comma or space separated)')
    .option('--run <runId>', 'evaluate the last policy of this EM run')
    .option('--modes <modes>', 'cot,code,auto (default all three)')
    .option('--limit <n>', 'first N queries per benchmark', positiveInt('limit'))
    .option(
      '--selection-labels <k>',
      'Monte-Carlo samples per query and method (paper: 10)',
      positiveInt('selection-labels'),
    )
    .option(
      '--prompt <preset>',
      'prompt preset: raw (default), qwen25_math, deepseek_math, llama31, … (docs/prompts.md)',
    )
    .option('--max-tokens <n>', 'token budget per response', positiveInt('max-tokens'))
    .option('--max-rounds <n>', 'code rounds per response', positiveInt('max-rounds'))
    .option('--per-family <n>', 'tiny_world queries per family (default 100)', positiveInt('per-family'))
    .option(EXTRACTION_OPTION.flags, EXTRACTION_OPTION.description, EXTRACTION_OPTION.parse)
    .option('--id <evalId>', 'evaluation id (default eval-<timestamp>)')
    .option('-d, --detach', 'start and return', false)
    .action(async (checkpoint: string | undefined, o: EvalOptions & { id?: string; detach: boolean }) => {
      const input = evalInput(checkpoint, o);
      const evalId = o.id ?? defaultEvalId();
      await withClient(async (client) => {
        const handle = await startEval(client, input, evalId);
        console.log(`started evaluation ${evalId} (Web UI: workflow ${evalId})`);
        if (o.detach) return;
        try {
          console.log(formatEvalResult(await followEval(handle, (l) => console.log(l))));
        } catch (err) {
          throw new Error(`evaluation ${evalId} failed: ${failureMessage(err)}`);
        }
      });
    });
}
