// The TypeScript worker: hosts every workflow and the `cpu` activities (the cpu node kinds and the
// services).
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import { closeSharedSandboxPool } from '../engines/sandbox/shared';
import { assertServerVersion } from '../infra/cluster/server-check';
import { unreachableServer } from '../infra/hosts';
import { temporalAddress } from '../infra/paths';
import { nodeActivities } from '../nodes/activities';
import { NAMESPACE, TASK_QUEUES } from '../schemas/queues';
import * as services from '../services/index';
import { ACTIVITY_OPTIONS } from './activity-options';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export interface CpuWorkerOptions {
  connection: NativeConnection;
  namespace?: string;
  taskQueue?: string;
}

export function createCpuWorker(o: CpuWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: o.connection,
    namespace: o.namespace ?? NAMESPACE,
    taskQueue: o.taskQueue ?? TASK_QUEUES.cpu,
    workflowsPath: WORKFLOWS_PATH,
    activities: { ...services, ...nodeActivities() },
    ...ACTIVITY_OPTIONS,
    identity: `cpu@${process.pid}`,
  });
}

async function main(): Promise<void> {
  const address = temporalAddress();
  const connection = await NativeConnection.connect({ address }).catch((err) => {
    throw unreachableServer('cpu', address, err);
  });
  // A frontend that is too old (or not Temporal) fails here, naming the address, not mid-run.
  assertServerVersion(address, (await connection.workflowService.getSystemInfo({})).serverVersion);
  const worker = await createCpuWorker({ connection });
  // Worker.run() shuts down gracefully on SIGINT/SIGTERM (the SDK installs those handlers).
  await worker.run();
  await closeSharedSandboxPool();
  await connection.close();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
