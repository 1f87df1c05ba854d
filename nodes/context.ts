// The running activity's heartbeat and cancellation, for code that also runs outside an activity
// (scripts, unit tests), where both are no-ops.
import { Context } from '@temporalio/activity';

/** The running activity's cancellation signal; undefined outside an activity. */
export function activitySignal(): AbortSignal | undefined {
  try {
    return Context.current().cancellationSignal;
  } catch {
    return undefined;
  }
}

/** Heartbeats `details` (the CLI and the `progress` query show them); nothing outside an activity. */
export function heartbeat(details: unknown): void {
  try {
    Context.current().heartbeat(details);
  } catch {
    /* not in an activity */
  }
}
