// The activity types the Python worker registers on task queue `gpu`: names are snake_case, as in Python.
import type { GpuEchoInput, WorkerEcho } from './smoke';

export interface GpuActivities {
  gpu_echo(input: GpuEchoInput): Promise<WorkerEcho>;
}
