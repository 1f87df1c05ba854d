import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { namespaceRetentionHours } from '../../infra/temporal-server';
import { TASK_QUEUES } from '../../schemas/queues';
import { SmokeResult } from '../../schemas/smoke';
import { smoke } from '../../workflows/smoke';
import {
  spawnGpuWorker,
  startCpuWorker,
  startTestServer,
  stopProcess,
  type TestServer,
} from '../helpers/stack';

describe('smoke workflow across both workers on a real dev server', () => {
  let server: TestServer;
  let cpu: Awaited<ReturnType<typeof startCpuWorker>>;
  let gpu: ChildProcess;

  beforeAll(async () => {
    server = await startTestServer();
    cpu = await startCpuWorker(server.address);
    gpu = spawnGpuWorker(server.address, 'smoke');
  });
  afterAll(async () => {
    await stopProcess(gpu);
    await cpu?.stop();
    await server?.stop();
  });

  it('raises namespace retention to 30 days', async () => {
    expect(await namespaceRetentionHours(server.address)).toBe(720);
  });

  it('runs one activity on each queue and returns both answers', async () => {
    const result = await server.client.workflow.execute(smoke, {
      taskQueue: TASK_QUEUES.cpu,
      workflowId: `smoke-${Date.now()}`,
      args: [{ message: 'ping' }],
    });
    const parsed = SmokeResult.parse(result);
    expect(parsed.cpu.worker).toBe('typescript');
    expect(parsed.cpu.task_queue).toBe(TASK_QUEUES.cpu);
    expect(parsed.gpu.worker).toBe('python');
    expect(parsed.gpu.task_queue).toBe(TASK_QUEUES.gpu);
    expect(parsed.gpu.message).toBe('ping');
    expect(parsed.gpu.runtime).toMatch(/^python 3\.\d+.*torch/);
    expect(parsed.gpu.pid).toBe(gpu.pid);
  });

  it('rejects a wire payload the Python side does not accept, without retrying', async () => {
    const handle = await server.client.workflow.start('smoke', {
      taskQueue: TASK_QUEUES.cpu,
      workflowId: `smoke-bad-${Date.now()}`,
      args: [{ message: 'x', gpu_work_seconds: -1 }],
    });
    await expect(handle.result()).rejects.toThrow();
    const history = await handle.fetchHistory();
    const failed = history.events?.find((e) => e.activityTaskFailedEventAttributes);
    const failure = failed?.activityTaskFailedEventAttributes?.failure;
    expect(failure?.message).toMatch(/invalid GpuEchoInput at work_seconds/);
    expect(failure?.applicationFailureInfo?.nonRetryable).toBe(true);
  });
});
