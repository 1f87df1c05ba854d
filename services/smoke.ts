import { hostname } from 'node:os';
import { Context } from '@temporalio/activity';
import type { WorkerEcho } from '../schemas/smoke';

/** Answers from the TypeScript worker: proves the `cpu` queue is served. */
export async function cpuEcho(message: string): Promise<WorkerEcho> {
  const info = Context.current().info;
  return {
    worker: 'typescript',
    task_queue: info.taskQueue,
    message,
    pid: process.pid,
    hostname: hostname(),
    runtime: `node ${process.versions.node}`,
    attempt: info.attempt,
  };
}
