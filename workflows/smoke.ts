import { proxyActivities } from '@temporalio/workflow';
import type { GpuActivities } from '../schemas/gpu-activities';
import { TASK_QUEUES } from '../schemas/queues';
import type { SmokeInput, SmokeResult } from '../schemas/smoke';
import type * as services from '../services/index';

const cpu = proxyActivities<typeof services>({
  taskQueue: TASK_QUEUES.cpu,
  startToCloseTimeout: '30 seconds',
});

/** Proves the wiring end to end: one activity on each worker kind, both results returned. */
export async function smoke(input: SmokeInput = {}): Promise<SmokeResult> {
  const message = input.message ?? 'hello from autocode';
  const workSeconds = input.gpu_work_seconds ?? 0;
  const gpu = proxyActivities<GpuActivities>({
    taskQueue: TASK_QUEUES.gpu,
    startToCloseTimeout: `${Math.ceil(workSeconds) + 60} seconds`,
    // A short heartbeat timeout so a killed Python worker is noticed fast and the activity retried.
    heartbeatTimeout: '3 seconds',
    retry: { initialInterval: '500 milliseconds', maximumAttempts: 5 },
  });
  const [cpuEcho, gpuEcho] = await Promise.all([
    cpu.cpuEcho(message),
    gpu.gpu_echo({ message, work_seconds: workSeconds }),
  ]);
  return { cpu: cpuEcho, gpu: gpuEcho };
}
