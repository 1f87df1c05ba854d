// `autocode run | watch | resume | runs`: start EM runs, follow them, restart failed ones, list them.
import type { Client, WorkflowExecutionDescription, WorkflowHandle } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/common';
import { msToNumber, optionalTsToMs } from '@temporalio/common/lib/time';
import proto from '@temporalio/proto';
import type { Command } from 'commander';
import { isNodeKind, NODE_KINDS } from '../../nodes/registry';
import { loadSpec } from '../../pipelines/load';
import { SpecError } from '../../pipelines/validate';
import { GPU_ACTIVITY_NAMES } from '../../schemas/gpu-activities';
import type { IterationProgress, RunProgress } from '../../schemas/progress';
import { LIVENESS, NAMESPACE, TASK_QUEUES } from '../../schemas/queues';
import type { EmRunInput, EmRunResult } from '../../workflows/em-run';
import { withClient } from '../client';
import { parseOverrides } from '../overrides';
import { type PendingView, pendingLine, stalled, workersGone } from '../progress';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function defaultRunId(specName: string, now = new Date()): string {
  return `${specName}-${now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-')}`;
}

export async function startRun(client: Client, input: EmRunInput, runId: string): Promise<WorkflowHandle> {
  return client.workflow.start('emRun', {
    taskQueue: TASK_QUEUES.cpu,
    workflowId: runId,
    args: [{ ...input, run_id: runId }],
  });
}

/** The SDK's timestamp conversion, with null for a missing timestamp. */
const msOf = (t: Parameters<typeof optionalTsToMs>[0]): number | null => optionalTsToMs(t) ?? null;

interface Pending {
  /** By activity id: a node's id (callNode sets it). */
  byId: Map<string, PendingView>;
  /** By activity type: the run's own activities (bootstrap, serving, ...). */
  byType: Map<string, PendingView>;
}

/** A workflow's running activities, heartbeats decoded. */
function pendingOf(desc: WorkflowExecutionDescription): Pending {
  const out: Pending = { byId: new Map(), byType: new Map() };
  for (const a of desc.raw.pendingActivities ?? []) {
    const raw = a.heartbeatDetails?.payloads?.[0]?.data;
    let details: unknown;
    try {
      details = raw ? JSON.parse(Buffer.from(raw).toString()) : undefined;
    } catch {
      details = undefined;
    }
    const name = a.activityType?.name ?? '';
    const view = {
      name,
      attempt: a.attempt ?? 1,
      startedMs: msOf(a.lastStartedTime),
      lastHeartbeatMs: msOf(a.lastHeartbeatTime),
      heartbeatTimeoutMs: msToNumber(LIVENESS.heartbeat_timeout),
      details,
    };
    out.byType.set(name, view);
    if (a.activityId) out.byId.set(a.activityId, view);
  }
  return out;
}

/**
 * One screen of a run's state (stage, iteration, the current iteration's nodes and their heartbeats),
 * and the running activities whose heartbeats stopped.
 */
export async function describeRun(
  client: Client,
  runId: string,
): Promise<{ screen: string; stalled: (PendingView & { queue: string })[] }> {
  const handle = client.workflow.getHandle(runId);
  const desc = await handle.describe();
  const lines = [`run ${runId}: ${desc.status.name}`];
  const stuck: (PendingView & { queue: string })[] = [];
  const now = Date.now();
  const note = (p: PendingView) => {
    if (stalled(p, now)) stuck.push({ ...p, queue: queueOf(p.name) });
    return pendingLine(p, now);
  };
  let progress: RunProgress | undefined;
  try {
    progress = await handle.query<RunProgress>('progress');
  } catch {
    /* a closed run whose worker is gone cannot answer queries */
  }
  if (progress) {
    lines.push(
      `  stage ${progress.stage}, iteration ${progress.iteration}/${progress.iterations}, policy ${progress.policy?.key.slice(0, 12) ?? '-'}`,
    );
    // The run's own long activities (bootstrap SFT, serving, the starting policy's evaluation).
    for (const p of pendingOf(desc).byType.values()) lines.push(`    running  ${p.name}: ${note(p)}`);
    for (const e of progress.evaluations) {
      const acc = Object.entries(e.metrics)
        .filter(([k]) => /\.(cot|code|auto)\.accuracy$/.test(k) && !k.includes('/'))
        .map(([k, v]) => `${k.replace('.accuracy', '')} ${typeof v === 'number' ? (v * 100).toFixed(1) : v}`)
        .join('  ');
      lines.push(`  eval iter ${e.iteration}: ${acc}`);
    }
    if (progress.iteration > 0 && desc.status.name === 'RUNNING') {
      const child = client.workflow.getHandle(`${runId}/iter-${progress.iteration}`);
      try {
        const it = await child.query<IterationProgress>('progress');
        const pending = pendingOf(await child.describe());
        for (const [id, n] of Object.entries(it.nodes)) {
          const p = n.state === 'running' ? (pending.byId.get(id) ?? pending.byType.get(n.uses)) : undefined;
          if (p && n.heartbeat_timeout) p.heartbeatTimeoutMs = msToNumber(n.heartbeat_timeout);
          const line = p ? note(p) : '';
          lines.push(`    ${n.state.padEnd(8)} ${id} (${n.uses})${line ? ` ${line}` : ''}`);
        }
      } catch {
        /* the child has not started yet */
      }
    }
  }
  return { screen: lines.join('\n'), stalled: stuck };
}

/** The queue an activity type runs on: the node kinds' own, the gpu worker's other activities, else cpu. */
function queueOf(activity: string): string {
  const kind = isNodeKind(activity) ? NODE_KINDS[activity].queue : null;
  return kind ?? ((GPU_ACTIVITY_NAMES as readonly string[]).includes(activity) ? 'gpu' : 'cpu');
}

/** When each queue was last polled by a worker (null: no poller known). */
async function lastPolls(client: Client, queues: readonly string[]): Promise<Record<string, number | null>> {
  const out: Record<string, number | null> = {};
  for (const q of new Set(queues)) {
    const res = await client.workflowService.describeTaskQueue({
      namespace: NAMESPACE,
      taskQueue: { name: q },
      taskQueueType: proto.temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
    });
    const times = (res.pollers ?? []).map((p) => msOf(p.lastAccessTime) ?? 0);
    out[q] = times.length ? Math.max(...times) : null;
  }
  return out;
}

async function watch(client: Client, runId: string, intervalMs: number): Promise<EmRunResult | undefined> {
  const handle = client.workflow.getHandle(runId);
  const tty = process.stdout.isTTY;
  let last = '';
  for (;;) {
    const { screen, stalled: stuck } = await describeRun(client, runId);
    if (screen !== last) {
      if (tty) process.stdout.write('\x1b[2J\x1b[H');
      console.log(screen);
      last = screen;
    }
    if (stuck.length > 0) {
      const gone = workersGone(
        stuck,
        await lastPolls(
          client,
          stuck.map((p) => p.queue),
        ),
        Date.now(),
      );
      if (gone) throw new Error(`run ${runId} is stuck: ${gone}`);
    }
    const status = (await handle.describe()).status.name;
    if (status !== 'RUNNING') {
      if (status === 'COMPLETED') return handle.result() as Promise<EmRunResult>;
      throw new Error(`run ${runId} ended ${status}; restart it with: autocode resume ${runId}`);
    }
    await sleep(intervalMs);
  }
}

/** There is nothing to watch in a run that has ended: one line saying how it ended. */
async function refuseEnded(client: Client, runId: string): Promise<void> {
  const handle = client.workflow.getHandle(runId);
  const status = await handle
    .describe()
    .then((d) => d.status.name)
    .catch((err: unknown) => {
      if (err instanceof WorkflowNotFoundError)
        throw new Error(`no run ${runId} on this server (\`autocode runs\` lists them)`);
      throw err;
    });
  if (status === 'RUNNING') return;
  if (status === 'COMPLETED') {
    const result = (await handle.result()) as EmRunResult;
    throw new Error(`run ${runId} has already completed; its report: ${result.report}`);
  }
  throw new Error(`run ${runId} has already ended ${status}; restart it with: autocode resume ${runId}`);
}

/** Watches a run to its end and prints where its report is. */
async function follow(client: Client, runId: string, intervalMs: number): Promise<void> {
  const result = await watch(client, runId, intervalMs).catch((err: unknown) => {
    if (err instanceof WorkflowNotFoundError)
      throw new Error(`no run ${runId} on this server (\`autocode runs\` lists them)`);
    throw err;
  });
  console.log(`report: ${result?.report}`);
}

/** The input a run was started with, from its history (works for any run the server still keeps). */
export async function runInput(client: Client, runId: string): Promise<EmRunInput> {
  const history = await client.workflow.getHandle(runId).fetchHistory();
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  const payload = started?.input?.payloads?.[0]?.data;
  if (!payload) throw new Error(`run ${runId} has no recorded input`);
  const input = JSON.parse(Buffer.from(payload).toString()) as EmRunInput;
  delete input.carry;
  return input;
}

export async function resumeRun(client: Client, runId: string): Promise<WorkflowHandle> {
  const desc = await client.workflow.getHandle(runId).describe();
  if (desc.status.name === 'RUNNING')
    throw new Error(`run ${runId} is still running: watch it with autocode watch ${runId}`);
  if (desc.status.name === 'COMPLETED') throw new Error(`run ${runId} completed; nothing to resume`);
  // Same input, same workflow id: every finished node and shard is found at its content address.
  return startRun(client, await runInput(client, runId), runId);
}

export function register(program: Command): void {
  program
    .command('run')
    .description('start an EM run from a pipeline spec and follow it')
    .argument('<spec>', 'a name under pipelines/ (tiny, autocode, ...) or a path')
    .option('-s, --set <key=value...>', 'override a spec field')
    .option('--id <runId>', 'run id (default: <spec>-<timestamp>)')
    .option('-d, --detach', 'start and return', false)
    .action(async (spec: string, o: { set?: string[]; id?: string; detach: boolean }) => {
      const overrides = parseOverrides(o.set ?? []);
      let name: string;
      try {
        name = loadSpec(spec, overrides).name; // fail fast, before anything is started or written
      } catch (err) {
        if (!(err instanceof SpecError)) throw err;
        console.error(err.message);
        process.exitCode = 1;
        return;
      }
      const runId = o.id ?? defaultRunId(name);
      await withClient(async (client) => {
        try {
          await startRun(client, { spec, overrides }, runId);
        } catch (err) {
          if (err instanceof WorkflowExecutionAlreadyStartedError)
            throw new Error(`run ${runId} is already running`);
          throw err;
        }
        console.log(`started run ${runId} (Web UI: workflow ${runId})`);
        if (o.detach) return;
        await follow(client, runId, 2000);
      });
    });
  program
    .command('watch')
    .description('live progress of a run until it ends')
    .argument('<run>')
    .option('--interval <ms>', 'refresh interval', '2000')
    .action(async (runId: string, o: { interval: string }) => {
      await withClient(async (client) => {
        await refuseEnded(client, runId);
        await follow(client, runId, Number(o.interval));
      });
    });
  program
    .command('resume')
    .description('restart a failed run: finished nodes and rollout shards are reused')
    .argument('<run>')
    .option('-d, --detach', 'start and return', false)
    .action(async (runId: string, o: { detach: boolean }) => {
      await withClient(async (client) => {
        await resumeRun(client, runId);
        console.log(`resumed run ${runId}`);
        if (o.detach) return;
        await follow(client, runId, 2000);
      });
    });
  program
    .command('runs')
    .description('list EM runs')
    .option('-n, --limit <n>', 'at most this many', '20')
    .action(async (o: { limit: string }) => {
      await withClient(async (client) => {
        let n = 0;
        for await (const w of client.workflow.list({ query: "WorkflowType = 'emRun'" })) {
          const stage = w.searchAttributes?.AutocodeStage?.[0] ?? '';
          console.log(
            `${w.workflowId.padEnd(36)} ${w.status.name.padEnd(11)} ${w.startTime.toISOString()} ${stage}`,
          );
          if (++n >= Number(o.limit)) break;
        }
        if (n === 0) console.log('no runs');
      });
    });
}
