// The running activity's heartbeat and cancellation, for code that also runs outside an activity
// (scripts, unit tests), where both are no-ops; and the worker's liveness heartbeat.
import { Context } from '@temporalio/activity';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { LIVENESS } from '../schemas/queues';

// The last progress each running activity reported: the liveness timer repeats it (a heartbeat
// replaces the details `autocode watch` and the Web UI show).
const lastDetails = new WeakMap<Context, unknown>();

/** The running activity's cancellation signal; undefined outside an activity. */
export function activitySignal(): AbortSignal | undefined {
  try {
    return Context.current().cancellationSignal;
  } catch {
    return undefined;
  }
}

/** Heartbeats `details` (`autocode watch` and the Web UI show them); nothing outside an activity. */
export function heartbeat(details: unknown): void {
  let ctx: Context;
  try {
    ctx = Context.current();
  } catch {
    return; // not in an activity
  }
  lastDetails.set(ctx, details);
  ctx.heartbeat(details);
}

/**
 * The worker's activity interceptor: while an activity runs, it heartbeats every LIVENESS.every_ms
 * with the activity's last progress, whether or not the activity itself reports (a long await, a
 * service that never heartbeats), so the heartbeat timeout measures whether the worker is alive.
 */
export const livenessInterceptor: ActivityInterceptorsFactory = (ctx) => ({
  inbound: {
    async execute(input, next) {
      const timer = setInterval(() => ctx.heartbeat(lastDetails.get(ctx)), LIVENESS.every_ms);
      try {
        return await next(input);
      } finally {
        clearInterval(timer);
      }
    },
  },
});
