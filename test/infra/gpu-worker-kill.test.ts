import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TASK_QUEUES } from '../../schemas/queues';
import { smoke } from '../../workflows/smoke';
import {
  spawnGpuWorker,
  startCpuWorker,
  startTestServer,
  stopProcess,
  type TestServer,
} from '../helpers/stack';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('kill -9 of the Python worker while its activity heartbeats', { timeout: 300_000 }, () => {
  let server: TestServer;
  let cpu: Awaited<ReturnType<typeof startCpuWorker>>;
  const gpuWorkers: ChildProcess[] = [];

  beforeAll(async () => {
    server = await startTestServer();
    cpu = await startCpuWorker(server.address);
  });
  afterAll(async () => {
    for (const w of gpuWorkers) await stopProcess(w);
    await cpu?.stop();
    await server?.stop();
  });

  it('retries the activity on a new worker and the workflow completes, the retry visible in history', async () => {
    const first = spawnGpuWorker(server.address, 'kill-first');
    gpuWorkers.push(first);
    const handle = await server.client.workflow.start(smoke, {
      taskQueue: TASK_QUEUES.cpu,
      workflowId: `kill-${Date.now()}`,
      args: [{ message: 'survive', gpu_work_seconds: 4 }],
    });

    // Wait until the first worker's attempt is running and has heartbeated.
    let heartbeated = false;
    // The deadline covers the worker's start (importing torch takes tens of seconds under load).
    for (const deadline = Date.now() + 120_000; Date.now() < deadline && !heartbeated; ) {
      const d = await handle.describe();
      const pending = d.raw.pendingActivities?.find((a) => a.activityType?.name === 'gpu_echo');
      heartbeated = !!pending?.heartbeatDetails?.payloads?.length;
      if (!heartbeated) await sleep(100);
    }
    expect(heartbeated).toBe(true);

    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const second = spawnGpuWorker(server.address, 'kill-second');
    gpuWorkers.push(second);

    const result = await handle.result();
    expect(result.gpu.attempt).toBe(2);
    expect(result.gpu.pid).toBe(second.pid);
    expect(result.gpu.message).toBe('survive');

    const history = await handle.fetchHistory();
    const attempts = (history.events ?? [])
      .filter((e) => e.activityTaskStartedEventAttributes)
      .map((e) => e.activityTaskStartedEventAttributes?.attempt);
    // The gpu activity's final start records attempt 2; its first attempt timed out on heartbeat.
    expect(attempts).toContain(2);
    const timedOut = (history.events ?? []).filter((e) => e.activityTaskTimedOutEventAttributes);
    expect(timedOut).toHaveLength(0); // retried within the same scheduled activity, not a new one
  });
});
