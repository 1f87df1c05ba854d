// Wire types of the smoke workflow that proves both workers are wired. snake_case: they cross to Python.
import { z } from 'zod';

export const SmokeInput = z
  .object({
    message: z.string().min(1).default('hello from autocode'),
    /** Seconds the gpu-side activity keeps working and heartbeating (0: answer at once). */
    gpu_work_seconds: z.number().min(0).max(600).default(0),
  })
  .strict();
export type SmokeInput = z.input<typeof SmokeInput>;

export const WorkerEcho = z
  .object({
    worker: z.enum(['typescript', 'python']),
    task_queue: z.string(),
    message: z.string(),
    pid: z.number().int(),
    hostname: z.string(),
    runtime: z.string(),
    attempt: z.number().int().min(1),
  })
  .strict();
export type WorkerEcho = z.infer<typeof WorkerEcho>;

export const GpuEchoInput = z
  .object({
    message: z.string(),
    work_seconds: z.number().min(0),
  })
  .strict();
export type GpuEchoInput = z.infer<typeof GpuEchoInput>;

export const SmokeResult = z
  .object({
    cpu: WorkerEcho,
    gpu: WorkerEcho,
  })
  .strict();
export type SmokeResult = z.infer<typeof SmokeResult>;
