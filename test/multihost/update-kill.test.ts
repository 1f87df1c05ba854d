// The update (policy_update, the M-step) killed on its gpu host: 2 gpu test hosts with the real Python
// worker, the store shared. Temporal retries the node on the other host after the heartbeat timeout;
// the retry finds the step checkpoint the first host left in <store>/_work/<key>/ and resumes from
// it, and the checkpoint it writes has the same weights as an undisturbed update's. The train set is
// the gpu suite's fixture (gpu/tests/conftest.py: a tiny checkpoint, rescored demonstrations), since
// the small EM run's update trains on an empty set (test/multihost/cluster.test.ts says why).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, TOOLS } from '../../infra/paths';
import type { ResolvedNode } from '../../pipelines/validate';
import { UpdateParams } from '../../schemas/nodes';
import type { NodeRequest, NodeResult } from '../../schemas/run';
import { type Cluster, type ClusterWorker, startCluster, stepFiles } from './cluster';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ROWS = 120;
// One sequence per forward pass, a step checkpoint after every optimizer step, so the kill lands
// between checkpoints mid-update.
const HYPER = { device: 'cpu', batch_size: 1, checkpoint_every: 1, lr: 1e-3, max_length: 128 };
const QUEUE = 'multihost-update';

/** The fixture's NodeRequest, its inputs written into `store`. */
function fixture(store: string): NodeRequest {
  const out = execFileSync(
    TOOLS.python,
    [join(ROOT, 'test', 'multihost', 'update_fixture.py'), String(ROWS), JSON.stringify(HYPER)],
    { env: { ...process.env, AUTOCODE_STORE: store }, cwd: ROOT },
  );
  return JSON.parse(out.toString());
}

const weights = (dir: string) =>
  createHash('sha256')
    .update(readFileSync(join(dir, 'model.safetensors')))
    .digest('hex');

describe('an update killed on its gpu host resumes on the other one', { timeout: 900_000 }, () => {
  let c: Cluster;
  let connection: NativeConnection | undefined;
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  beforeAll(async () => {
    c = await startCluster(['gpu-1', 'gpu-2']);
  });
  afterAll(async () => {
    worker?.shutdown();
    await running;
    await connection?.close();
    await c?.destroy();
  });

  it('from its last step checkpoint in the shared store, to the same weights as an undisturbed update', async () => {
    const store = join(mkdtempSync(join(tmpdir(), 'autocode-multihost-update-')), 'store');
    const req = fixture(store);
    // The undisturbed update, without Temporal, on the same fixture in a store of its own (references
    // are relative to the store root, so the request is the same).
    const calmStore = join(mkdtempSync(join(tmpdir(), 'autocode-multihost-update-calm-')), 'store');
    expect(fixture(calmStore)).toEqual(req);
    const calm = JSON.parse(
      execFileSync(TOOLS.python, ['-m', 'autocode_gpu.jobs', 'policy_update', JSON.stringify(req)], {
        env: { ...process.env, AUTOCODE_STORE: calmStore },
        cwd: ROOT,
      }).toString(),
    ) as NodeResult;

    const env = { AUTOCODE_STORE: store };
    const gpus: ClusterWorker[] = c.net.hosts.map((h) => c.startWorker(h, 'gpu', env));
    connection = await NativeConnection.connect({ address: c.address });
    worker = await Worker.create({
      connection,
      taskQueue: QUEUE,
      workflowsPath: fileURLToPath(new URL('./update-workflow.ts', import.meta.url)),
    });
    running = worker.run();
    await c.waitForPollers(gpus);
    const node: ResolvedNode = {
      id: 'update',
      uses: 'policy_update',
      needs: ['synthesize'],
      with: HYPER,
      params: UpdateParams.parse(HYPER),
      output: 'checkpoint',
      queue: 'gpu',
    };
    const handle = await c.client.workflow.start('oneNode', {
      taskQueue: QUEUE,
      workflowId: `multihost-update-${Date.now()}`,
      args: [node, req],
    });
    let killed: { host: string; step: number; at: number } | null = null;
    while (!killed) {
      await sleep(200);
      const pending = (await handle.describe()).raw.pendingActivities ?? [];
      const update = pending.find((a) => a.activityType?.name === 'policy_update' && a.lastWorkerIdentity);
      const steps = stepFiles(store);
      if (!update || steps.length === 0) continue;
      const w = c.workerOf(update.lastWorkerIdentity ?? '') as ClusterWorker;
      const step = Math.max(...steps);
      const at = Date.now();
      await w.host.kill();
      killed = { host: w.host.name, step, at };
    }
    const result = (await handle.result()) as NodeResult;
    const other = killed.host === 'gpu-1' ? 'gpu-2' : 'gpu-1';
    // History keeps the last attempt: the second, on the other host.
    const events = (await handle.fetchHistory()).events ?? [];
    const started = events.map((e) => e.activityTaskStartedEventAttributes).filter(Boolean);
    expect(started.map((s) => s?.attempt)).toEqual([2]);
    expect(c.workerOf(started[0]?.identity ?? '')?.host.name).toBe(other);
    const resumedAt =
      optionalTsToMs(events.find((e) => e.activityTaskStartedEventAttributes)?.eventTime) ?? 0;

    expect(killed.step).toBeGreaterThan(0);
    expect(killed.step).toBeLessThan(calm.metrics.steps as number);
    expect(result.metrics.resumed_from_step).toBeGreaterThanOrEqual(killed.step);
    expect(result.metrics.steps).toBe(calm.metrics.steps);
    // Same content key, same weights as the update nobody interrupted.
    expect(result.checkpoint?.key).toBe(calm.checkpoint?.key);
    expect(weights(join(store, 'checkpoints', result.checkpoint!.key))).toBe(
      weights(join(calmStore, 'checkpoints', calm.checkpoint!.key)),
    );
    console.log(
      `multihost update: killed on ${killed.host} with step checkpoint ${killed.step} of ${calm.metrics.steps} on disk; ` +
        `resumed on ${other} from step ${result.metrics.resumed_from_step} ` +
        `${((resumedAt - killed.at) / 1000).toFixed(1)} s after the kill; same weights as undisturbed`,
    );
  });
});
