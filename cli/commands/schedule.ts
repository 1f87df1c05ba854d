// `autocode schedule create | list | pause | unpause | delete | trigger`: nightly evaluations on
// Temporal Schedules. Each schedule starts `nightlyEval`, which evaluates the checkpoint, compares
// it with the previous night and marks regressions.
import { type Client, ScheduleNotFoundError, ScheduleOverlapPolicy } from '@temporalio/client';
import type { Command } from 'commander';
import type { ExtractionPolicy } from '../../schemas/grader';
import { DEFAULT_REGRESSION_THRESHOLD } from '../../schemas/nightly';
import { TASK_QUEUES } from '../../schemas/queues';
import { benchmarkSources } from '../../services/eval/benchmarks';
import { resolveCheckpoint } from '../../services/eval/checkpoint';
import { readHistory } from '../../services/nightly/history';
import type { NightlyEvalInput, NightlyEvalResult } from '../../workflows/nightly-eval';
import { withClient } from '../client';
import { type CalendarOptions, checkName, ScheduleSpecError, scheduleSpec } from '../schedule-spec';
import { EXTRACTION_OPTION, evalInput } from './eval';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PREFIX = 'nightly-';

export const scheduleId = (name: string) => `${PREFIX}${name}`;

export interface CreateOptions extends CalendarOptions {
  checkpoint: string;
  benchmarks: string;
  modes?: string;
  limit?: number;
  selectionLabels?: number;
  threshold?: number;
  /** How far back missed nights are still run after downtime (Temporal duration, e.g. "1 day"). */
  catchup?: string;
  paused?: boolean;
  /** tiny_world queries per family (default 100). */
  perFamily?: number;
  /** External inference servers (comma-separated base URLs) that load each night's checkpoint. */
  endpoints?: string;
  /** The model name those servers serve. */
  model?: string;
  maxConcurrency?: number;
  /** The grader's extraction policy (absent: lenient, the evaluation's default). */
  extraction?: ExtractionPolicy;
}

/** The workflow input the schedule starts each night; every field checked before anything is created. */
export function nightlyInput(name: string, o: CreateOptions): NightlyEvalInput {
  const threshold = o.threshold ?? DEFAULT_REGRESSION_THRESHOLD;
  if (!(threshold >= 0 && threshold <= 1)) {
    throw new ScheduleSpecError(
      `--threshold ${threshold}: an absolute accuracy drop between 0 and 1 (0.02 = 2 points)`,
    );
  }
  const evaluation = evalInput(o.checkpoint, {
    benchmarks: [o.benchmarks],
    modes: o.modes,
    limit: o.limit,
    selectionLabels: o.selectionLabels,
    perFamily: o.perFamily,
    extraction: o.extraction,
  });
  if (o.endpoints !== undefined) {
    const urls = o.endpoints
      .split(',')
      .map((u) => u.trim())
      .filter(Boolean);
    if (urls.length === 0 || !o.model) {
      throw new ScheduleSpecError(
        '--endpoints needs at least one URL and --model the name the servers serve',
      );
    }
    evaluation.inference = { endpoints: { urls, model: o.model, max_concurrency: o.maxConcurrency ?? 64 } };
  }
  // Fail now, not at 2 a.m.: the checkpoint and the benchmarks must exist when the schedule is made.
  resolveCheckpoint(evaluation.checkpoint);
  benchmarkSources(evaluation.benchmarks);
  return {
    schedule: checkName(name),
    eval: evaluation,
    regression_threshold: threshold,
  };
}

export async function createSchedule(client: Client, name: string, o: CreateOptions): Promise<string> {
  const spec = scheduleSpec(o);
  const input = nightlyInput(name, o);
  const handle = await client.schedule.create({
    scheduleId: scheduleId(name),
    spec,
    action: {
      type: 'startWorkflow',
      workflowType: 'nightlyEval',
      taskQueue: TASK_QUEUES.cpu,
      // Temporal appends the scheduled time to this id, so each night has its own workflow.
      workflowId: scheduleId(name),
      args: [input],
    },
    policies: {
      // A night still running when the next is due: skip the next rather than pile up GPU work.
      overlap: ScheduleOverlapPolicy.SKIP,
      catchupWindow: (o.catchup ?? '1 day') as '1 day',
    },
    state: o.paused ? { paused: true, note: 'created paused' } : {},
  });
  return handle.scheduleId;
}

export interface ScheduleRow {
  name: string;
  paused: boolean;
  next: Date | null;
  calendar: string;
  last: { eval_id: string; regression: boolean; at: string } | null;
}

export async function listSchedules(client: Client): Promise<ScheduleRow[]> {
  const rows: ScheduleRow[] = [];
  for await (const s of client.schedule.list()) {
    if (!s.scheduleId.startsWith(PREFIX)) continue;
    const name = s.scheduleId.slice(PREFIX.length);
    const history = await readHistory(name).catch(() => []);
    const last = history.at(-1);
    const cal = s.spec?.calendars?.[0];
    const two = (n: number | undefined) => String(n ?? 0).padStart(2, '0');
    rows.push({
      name,
      paused: s.state.paused,
      next: s.info.nextActionTimes[0] ?? null,
      calendar: cal
        ? `${two(cal.hour[0]?.start)}:${two(cal.minute[0]?.start)} ${describeDays(cal.dayOfWeek)} ${s.spec?.timezone ?? 'UTC'}`
        : `${s.spec?.timezone ?? 'UTC'}`,
      last: last ? { eval_id: last.eval_id, regression: last.regressions.length > 0, at: last.at } : null,
    });
  }
  return rows.sort((a, b) => a.name.localeCompare(b.name));
}

function describeDays(ranges: { start: string; end: string }[]): string {
  if (
    ranges.length === 0 ||
    (ranges.length === 1 && ranges[0]?.start === 'SUNDAY' && ranges[0]?.end === 'SATURDAY')
  ) {
    return 'daily';
  }
  return ranges
    .map((r) => (r.start === r.end ? r.start : `${r.start}-${r.end}`).toLowerCase().replace(/day/g, ''))
    .join(',');
}

/** Starts a night now and returns its workflow id (found among the schedule's recent actions). */
export async function triggerSchedule(client: Client, name: string): Promise<string> {
  const handle = client.schedule.getHandle(scheduleId(name));
  const before = new Set(
    (await describe(client, name)).info.recentActions.map((a) => a.action.workflow.workflowId),
  );
  await handle.trigger(ScheduleOverlapPolicy.ALLOW_ALL);
  for (let i = 0; i < 150; i++) {
    const fresh = (await handle.describe()).info.recentActions
      .map((a) => a.action.workflow.workflowId)
      .find((id) => !before.has(id));
    if (fresh) return fresh;
    await sleep(200);
  }
  throw new Error(`schedule ${name}: triggered, but no new run appeared within 30 s`);
}

/** The schedule's description; an unknown name is an error listing the schedules that exist. */
async function describe(client: Client, name: string) {
  try {
    return await client.schedule.getHandle(scheduleId(name)).describe();
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
    const names = (await listSchedules(client).catch(() => [])).map((s) => s.name);
    throw new Error(`no schedule named ${JSON.stringify(name)}; schedules: ${names.join(', ') || '(none)'}`);
  }
}

async function onSchedule(
  name: string,
  fn: (h: ReturnType<Client['schedule']['getHandle']>) => Promise<void>,
) {
  await withClient(async (client) => {
    await describe(client, name);
    await fn(client.schedule.getHandle(scheduleId(name)));
  });
}

function printNight(r: NightlyEvalResult): void {
  console.log(
    `night ${r.eval_id}: checkpoint ${r.checkpoint.key.slice(0, 12)}, compared with ${r.previous_eval_id ?? '(first night)'}`,
  );
  if (r.regression) {
    console.log(`REGRESSION: ${r.regressions.length} metric(s) dropped`);
    for (const g of r.regressions) {
      console.log(
        `  ${g.metric}: ${(g.previous * 100).toFixed(1)} -> ${(g.current * 100).toFixed(1)} (-${(g.drop * 100).toFixed(1)})`,
      );
    }
  } else console.log('no regression');
  console.log(`report: ${r.report}`);
}

const num = (v: string) => Number(v);

export function register(program: Command): void {
  const schedule = program
    .command('schedule')
    .description('nightly evaluation schedules (Temporal Schedules)');
  schedule
    .command('create <name>')
    .description('evaluate a checkpoint every night and mark regressions against the previous night')
    .requiredOption(
      '--checkpoint <ckpt>',
      "a checkpoint directory, or latest:<runId> (the run's newest policy)",
    )
    .requiredOption('--benchmarks <list>', 'comma-separated benchmark names (e.g. tiny_world,gsm8k)')
    .option('--modes <list>', 'cot,code,auto (default all three)')
    .option('--limit <n>', 'first N queries per benchmark', num)
    .option('--selection-labels <k>', 'Monte-Carlo samples per method for selection metrics', num)
    .option(
      '--threshold <drop>',
      'absolute accuracy drop marked as a regression',
      num,
      DEFAULT_REGRESSION_THRESHOLD,
    )
    .option('--at <HH:MM>', 'time of day (24 h; default 02:00)')
    .option('--days <days>', 'daily (default), mon-fri, sat,sun, ...')
    .option('--tz <zone>', "IANA time zone (default: this machine's)")
    .option('--cron <expr>', 'a cron expression instead of --at/--days')
    .option('--catchup <duration>', 'run nights missed during downtime up to this far back', '1 day')
    .option('--per-family <n>', 'tiny_world queries per family (default 100)', num)
    .option(EXTRACTION_OPTION.flags, EXTRACTION_OPTION.description, EXTRACTION_OPTION.parse)
    .option(
      '--endpoints <urls>',
      'external inference servers that load each checkpoint (default: the embedded server)',
    )
    .option('--model <name>', 'the model name the --endpoints servers serve')
    .option('--max-concurrency <n>', 'requests in flight per server', num)
    .option('--paused', 'create it paused', false)
    .action(async (name: string, o: CreateOptions) => {
      const id = await withClient((c) => createSchedule(c, name, o));
      const rows = await withClient(listSchedules);
      const row = rows.find((r) => r.name === name);
      console.log(`created schedule ${id}: ${row?.calendar ?? ''}, next ${row?.next?.toISOString() ?? '-'}`);
    });
  schedule
    .command('list')
    .description('schedules, their next night and the last result')
    .action(async () => {
      const rows = await withClient(listSchedules);
      if (rows.length === 0) console.log('no schedules (autocode schedule create <name> ...)');
      for (const r of rows) {
        const last = r.last
          ? `${r.last.eval_id}${r.last.regression ? ' REGRESSION' : ' ok'}`
          : 'no night yet';
        console.log(
          `${r.name.padEnd(20)} ${r.paused ? 'paused ' : 'active '} ${r.calendar.padEnd(28)} next ${r.next?.toISOString() ?? '-'}  last ${last}`,
        );
      }
    });
  schedule
    .command('pause <name>')
    .description('stop starting nights (trigger still runs one)')
    .option('--note <text>', 'why', 'paused from the CLI')
    .action(async (name: string, o: { note: string }) => {
      await onSchedule(name, (h) => h.pause(o.note));
      console.log(`paused ${name}`);
    });
  schedule
    .command('unpause <name>')
    .description('start nights on the calendar again')
    .action(async (name: string) => {
      await onSchedule(name, (h) => h.unpause('unpaused from the CLI'));
      console.log(`unpaused ${name}`);
    });
  schedule
    .command('delete <name>')
    .description('remove the schedule (its history under var/nightly/ stays)')
    .action(async (name: string) => {
      await onSchedule(name, (h) => h.delete());
      console.log(`deleted ${name} (its history under var/nightly/ is kept)`);
    });
  schedule
    .command('trigger <name>')
    .description('run a night now')
    .option('--no-wait', 'start it and return')
    .action(async (name: string, o: { wait: boolean }) => {
      await withClient(async (client) => {
        const id = await triggerSchedule(client, name);
        console.log(`started ${id} (Web UI: workflow ${id})`);
        if (o.wait) printNight((await client.workflow.getHandle(id).result()) as NightlyEvalResult);
      });
    });
}
