// Many workers on many hosts: the small tiny-world run (test/helpers/small-spec.ts) on 4 test hosts
// (network namespaces: 2 cpu hosts with the TypeScript worker, 2 gpu hosts with the Python worker),
// the Temporal server on the bridge's address, the store one shared directory. An undisturbed run,
// then a run where the gpu host training the policy is killed mid-training and one cpu host is killed
// during the rollouts (every process of the host, kill -9), with the product's default timeouts. The
// disturbed run must end with the same rows (count and ids, from the store), no duplicate, the
// rollout shards finished before the kill kept (each interrupted activity redoes at most its one
// shard in flight), and the training resumed on the other gpu host from its step checkpoint in the
// shared store. Each gpu worker runs one activity at a time.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRows } from '../../engines/store/reader';
import type { RunProgress } from '../../schemas/progress';
import { TASK_QUEUES } from '../../schemas/queues';
import type { NodeResult } from '../../schemas/run';
import type { EmRunResult } from '../../workflows/em-run';
import { smallSpec } from '../helpers/small-spec';
import { partStamps } from '../helpers/store-files';
import { type Cluster, type ClusterWorker, startCluster, stepFiles } from './cluster';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const msOf = (t: Parameters<typeof optionalTsToMs>[0]) => optionalTsToMs(t) ?? 0;
const GPU_ACTIVITIES = new Set(['policy_sft', 'policy_load', 'behavior_logprobs', 'policy_update']);

interface Kill {
  host: string;
  at: number;
  /** Activity ids (node ids) the killed worker was running. */
  activities: string[];
  /** Rollout parts on disk right after the kill. */
  parts: Map<string, string>;
  /** The update's latest step checkpoint when its host was killed. */
  step: number;
}

interface Outcome {
  runDir: string;
  store: string;
  result: EmRunResult;
  kills: Kill[];
  /** Each workflow's history (emRun, then its iteration): event ids are per history, never joined across. */
  histories: Awaited<ReturnType<typeof historyOf>>[];
}

/**
 * The small spec, its policy training checkpointed every step so a kill lands between checkpoints.
 * In this spec the policy trained on the gpu hosts is the bootstrap: its barely trained model answers
 * every training query wrongly, so the update's train set is empty (12 of 12 queries dropped as
 * all-wrong) and it trains nothing. The bootstrap runs the same trainer (trainer.py `train`, step
 * files in <store>/_work/<key>/), so it stands for "a training killed on its gpu host".
 */
function spec(): Record<string, unknown> {
  // biome-ignore lint/suspicious/noExplicitAny: a parsed YAML document, edited field by field
  const s = smallSpec() as Record<string, any>;
  s.policy.bootstrap.with = { ...s.policy.bootstrap.with, checkpoint_every: 1 };
  return s;
}

async function historyOf(c: Cluster, id: string) {
  return (await c.client.workflow.getHandle(id).fetchHistory()).events ?? [];
}

async function runOn(c: Cluster, name: string, disturb: boolean): Promise<Outcome> {
  const varDir = mkdtempSync(join(tmpdir(), `autocode-multihost-${name}-`));
  const store = join(varDir, 'store');
  const env = { AUTOCODE_VAR: varDir, AUTOCODE_STORE: store, AUTOCODE_SANDBOX_SIZE: '1' };
  const fresh: ClusterWorker[] = c.net.hosts.map((h) =>
    c.startWorker(h, h.name.startsWith('cpu') ? 'cpu' : 'gpu', env),
  );
  await c.waitForPollers(fresh);
  const runId = `multihost-${name}`;
  const handle = await c.client.workflow.start('emRun', {
    taskQueue: TASK_QUEUES.cpu,
    workflowId: runId,
    args: [{ spec_inline: spec() }],
  });
  const kills: Kill[] = [];
  const pending = async (id: string) =>
    ((await c.client.workflow.getHandle(id).describe()).raw.pendingActivities ?? []).map((a) => ({
      id: a.activityId ?? '',
      type: a.activityType?.name ?? '',
      worker: a.lastWorkerIdentity ?? '',
      beatMs: msOf(a.lastHeartbeatTime),
    }));
  const done = handle.result().then(
    () => true,
    () => true,
  );
  let finished = false;
  void done.then(() => {
    finished = true;
  });
  const kill = async (worker: ClusterWorker, activities: string[]) => {
    const step = Math.max(0, ...stepFiles(store));
    const at = Date.now();
    await worker.host.kill();
    kills.push({ host: worker.host.name, at, activities, parts: partStamps(store, 'rollouts'), step });
  };
  const alive = (identity: string) => {
    const p = c.workerOf(identity)?.process;
    return !!p && p.exitCode === null && p.signalCode === null;
  };
  while (disturb && !finished && kills.length < 2) {
    await sleep(250);
    let running: Awaited<ReturnType<typeof pending>>;
    try {
      const progress = await handle.query<RunProgress>('progress');
      running = await pending(progress.iteration === 1 ? `${runId}/iter-1` : runId);
    } catch {
      continue; // the iteration has not started yet
    }
    running = running.filter((a) => alive(a.worker));
    if (kills.length === 0) {
      // The gpu host training the policy, once it has saved a step checkpoint in the shared store.
      const training = running.find((a) => a.type === 'policy_sft' || a.type === 'policy_update');
      if (!training || stepFiles(store).length === 0) continue;
      await kill(c.workerOf(training.worker) as ClusterWorker, [training.type]);
    } else {
      // A cpu host at work on the rollouts, once some shard is on disk.
      const busy = running.find((a) => a.type === 'rollouts' && a.beatMs > 0);
      if (!busy || partStamps(store, 'rollouts').size === 0) continue;
      const worker = c.workerOf(busy.worker) as ClusterWorker;
      await kill(
        worker,
        running.filter((a) => a.worker === busy.worker).map((a) => a.id),
      );
    }
  }
  const result = (await handle.result()) as EmRunResult;
  const histories = [await historyOf(c, runId), await historyOf(c, `${runId}/iter-1`)];
  await c.stopWorkers();
  return { runDir: join(varDir, 'runs', runId), store, result, kills, histories };
}

const record = (o: Outcome, iter: number, node: string) =>
  JSON.parse(readFileSync(join(o.runDir, `iter-${iter}`, `${node}.json`), 'utf8')) as NodeResult;

/** Rows of a node's dataset, sorted by their id. */
async function rowsOf(o: Outcome, iter: number, node: string, id: (r: Record<string, unknown>) => string) {
  // References are relative to the store root, read from the environment when the read starts.
  process.env.AUTOCODE_STORE = o.store;
  const rows = await readRows(record(o, iter, node).dataset!);
  return rows.map((r) => ({ id: id(r), row: r })).sort((a, b) => a.id.localeCompare(b.id));
}

/** Per gpu worker, the [start, close] of each gpu activity's last attempt, from one workflow's history. */
function gpuIntervals(events: Outcome['histories'][number], out: Map<string, [number, number][]>): void {
  const scheduled = new Map<string, string>();
  const started = new Map<string, { worker: string; at: number }>();
  for (const e of events) {
    const id = String(e.eventId);
    if (e.activityTaskScheduledEventAttributes) {
      scheduled.set(id, e.activityTaskScheduledEventAttributes.activityType?.name ?? '');
    }
    const s = e.activityTaskStartedEventAttributes;
    if (s && GPU_ACTIVITIES.has(scheduled.get(String(s.scheduledEventId)) ?? '')) {
      started.set(id, { worker: s.identity ?? '', at: msOf(e.eventTime) });
    }
    const closed =
      e.activityTaskCompletedEventAttributes ??
      e.activityTaskFailedEventAttributes ??
      e.activityTaskTimedOutEventAttributes;
    const from = closed && started.get(String(closed.startedEventId));
    if (from) out.set(from.worker, [...(out.get(from.worker) ?? []), [from.at, msOf(e.eventTime)]]);
  }
}

describe('many workers on many hosts: 2 cpu + 2 gpu test hosts', { timeout: 1_500_000 }, () => {
  let c: Cluster;
  beforeAll(async () => {
    c = await startCluster(['cpu-1', 'cpu-2', 'gpu-1', 'gpu-2']);
  });
  afterAll(async () => {
    await c?.destroy();
  });

  it('a cpu host killed in the rollouts and a gpu host in the update: same rows, no duplicate, little redone', async () => {
    const t0 = Date.now();
    const calm = await runOn(c, 'calm', false);
    const t1 = Date.now();
    const hit = await runOn(c, 'disturbed', true);
    const t2 = Date.now();
    console.log(
      `multihost: undisturbed run ${((t1 - t0) / 1000).toFixed(0)} s, disturbed ${((t2 - t1) / 1000).toFixed(0)} s; kills ${JSON.stringify(hit.kills.map((k) => ({ host: k.host, activities: k.activities, parts: k.parts.size, step: k.step })))}`,
    );
    expect(hit.kills.map((k) => k.host.split('-')[0])).toEqual(['gpu', 'cpu']);
    expect(hit.result.iterations.map((i) => i.iteration)).toEqual([0, 1]);

    // The same content keys for every node of the iteration.
    for (const file of readdirSync(join(calm.runDir, 'iter-1'))) {
      const node = file.replace(/\.json$/, '');
      const [a, b] = [record(calm, 1, node), record(hit, 1, node)];
      expect(b.dataset?.key, node).toBe(a.dataset?.key);
      expect(b.checkpoint?.key, node).toBe(a.checkpoint?.key);
    }
    // The same rows, by count and id, each id once; rollouts equal but for log-prob float noise.
    const rolloutId = (r: Record<string, unknown>) => `${r.query_id}/${r.mode}/${r.sample}`;
    for (const node of ['rollouts_cot', 'rollouts_code', 'rollouts_native']) {
      const [a, b] = [await rowsOf(calm, 1, node, rolloutId), await rowsOf(hit, 1, node, rolloutId)];
      expect(new Set(b.map((r) => r.id)).size, `${node}: no duplicate`).toBe(b.length);
      expect(
        b.map((r) => r.id),
        node,
      ).toEqual(a.map((r) => r.id));
      b.forEach(({ row: { behavior_logprobs: lb, ...restB } }, i) => {
        const { behavior_logprobs: la, ...restA } = a[i]!.row;
        expect(restB, node).toEqual(restA);
        const [x, y] = [la as number[], lb as number[]];
        expect(y.length).toBe(x.length);
        for (let k = 0; k < x.length; k++) expect(Math.abs(y[k]! - x[k]!)).toBeLessThan(1e-4);
      });
    }
    const evalId = (r: Record<string, unknown>) => `${r.benchmark}/${r.query_id}/${r.mode}`;
    for (const iter of [0, 1]) {
      const [a, b] = [
        await rowsOf(calm, iter, 'evaluate', evalId),
        await rowsOf(hit, iter, 'evaluate', evalId),
      ];
      expect(new Set(b.map((r) => r.id)).size).toBe(b.length);
      expect(
        b.map((r) => r.id),
        `evaluate of iteration ${iter}`,
      ).toEqual(a.map((r) => r.id));
    }

    // The cpu kill: every rollout part finished before it is untouched, and each interrupted
    // rollouts activity's last attempt found them all (so it redid at most the one shard in flight).
    const [gpuKill, cpuKill] = hit.kills as [Kill, Kill];
    const after = partStamps(hit.store, 'rollouts');
    for (const [part, stamp] of cpuKill.parts) expect(after.get(part), part).toBe(stamp);
    const interrupted = cpuKill.activities.filter((id) => id.startsWith('rollouts'));
    expect(interrupted.length).toBeGreaterThan(0);
    for (const id of interrupted) {
      const r = record(hit, 1, id);
      const key = r.dataset!.key;
      const before = [...cpuKill.parts.keys()].filter((p) => p.startsWith(`${key}/`)).length;
      expect(r.metrics.shards_reused, id).toBe(before);
    }
    console.log(
      `multihost: cpu kill interrupted ${interrupted.join(', ')}; ${cpuKill.parts.size} finished shards kept, at most ${interrupted.length} (one per interrupted activity) redone`,
    );

    // The gpu kill: the training resumed from its step checkpoint in the shared store, on the other
    // gpu host. History records an activity's last attempt only: its worker, attempt and result.
    const trained = gpuKill.activities[0] as string;
    const isTrained = (e: Outcome['histories'][number][number]) =>
      e.activityTaskScheduledEventAttributes?.activityType?.name === trained;
    const history = hit.histories.find((h) => h.some(isTrained)) ?? [];
    const scheduled = new Set(history.filter(isTrained).map((e) => String(e.eventId)));
    const starts = history
      .map((e) => e.activityTaskStartedEventAttributes)
      .filter((s) => s && scheduled.has(String(s.scheduledEventId)));
    expect(starts.map((s) => s?.attempt)).toEqual([2]);
    expect(starts.map((s) => c.workerOf(s?.identity ?? '')?.host.name)).toEqual([
      gpuKill.host === 'gpu-1' ? 'gpu-2' : 'gpu-1',
    ]);
    const completed = history
      .map((e) => e.activityTaskCompletedEventAttributes)
      .find((a) => a && scheduled.has(String(a.scheduledEventId)));
    const payload = completed?.result?.payloads?.[0]?.data as Uint8Array;
    const metrics = JSON.parse(Buffer.from(payload).toString()).metrics;
    expect(gpuKill.step).toBeGreaterThan(0);
    expect(metrics.resumed_from_step).toBeGreaterThanOrEqual(gpuKill.step);
    console.log(
      `multihost: ${trained} killed with step checkpoint ${gpuKill.step} of ${metrics.steps} on disk, resumed from step ${metrics.resumed_from_step} on the other gpu host`,
    );

    // One gpu activity at a time per worker (its device), in both runs.
    for (const o of [calm, hit]) {
      const spansOf = new Map<string, [number, number][]>();
      for (const h of o.histories) gpuIntervals(h, spansOf);
      for (const [worker, spans] of spansOf) {
        const sorted = spans.sort((x, y) => x[0] - y[0]);
        for (let i = 1; i < sorted.length; i++)
          expect(sorted[i]![0], `${worker} overlaps`).toBeGreaterThanOrEqual(sorted[i - 1]![1]);
      }
    }
  });
});
