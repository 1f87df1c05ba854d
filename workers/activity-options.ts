// How the TypeScript worker runs every activity: with a liveness heartbeat and typed failures. Its own
// module so that test workers with other activities run them the same way.
import type { WorkerOptions } from '@temporalio/worker';
import { livenessInterceptor } from '../nodes/context';
import { failureInterceptor } from '../nodes/failure';
import { LIVENESS } from '../schemas/queues';

export const ACTIVITY_OPTIONS = {
  // Every activity heartbeats while it runs; engines throw plain errors and Temporal sees typed
  // failures (non-retryable where no retry helps).
  interceptors: { activity: [livenessInterceptor, failureInterceptor] },
  // Heartbeats reach the server at least every LIVENESS.every_ms (the SDK would hold them back for
  // 80% of the heartbeat timeout).
  maxHeartbeatThrottleInterval: LIVENESS.every_ms,
} satisfies Partial<WorkerOptions>;
