// One line per running activity for `autocode run` / `watch`: done/total with a bar, rate, loss where
// there is one, elapsed and ETA, the attempt when it is a retry, and a stall notice when the
// heartbeats stopped (the worker is likely gone; Temporal retries after the heartbeat timeout).
import { LIVENESS } from '../schemas/queues';

export interface PendingView {
  /** Activity type: a node kind or another activity (policy_sft, policy_load, prepareRun, ...). */
  name: string;
  attempt: number;
  startedMs: number | null;
  lastHeartbeatMs: number | null;
  heartbeatTimeoutMs: number;
  /** The last heartbeat's details, decoded. */
  details: unknown;
}

const secs = (ms: number) => {
  const s = Math.max(0, Math.round(ms / 1000));
  return s >= 3600
    ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
    : s >= 60
      ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
      : `${s}s`;
};

function bar20(f: number): string {
  const n = Math.max(0, Math.min(20, Math.round(f * 20)));
  return `[${'#'.repeat(n)}${'.'.repeat(20 - n)}]`;
}

type Beat = Record<string, unknown>;
const num = (b: Beat, k: string): number | null => (typeof b[k] === 'number' ? (b[k] as number) : null);

/** done/total, unit and rate from whichever progress shape the activity heartbeats. */
function measure(
  b: Beat,
): { done: number; total: number; unit: string; rate: string | null; loss: number | null } | null {
  const shards = num(b, 'shards');
  if (shards !== null) {
    const done = num(b, 'shards_done') ?? 0;
    const tps = num(b, 'tokens_per_s');
    return {
      done,
      total: shards,
      unit: 'shards',
      rate: tps !== null ? `${Math.round(tps)} tok/s` : null,
      loss: null,
    };
  }
  const total = num(b, 'total_steps');
  if (total !== null) {
    const tps = num(b, 'tokens_per_s');
    return {
      done: num(b, 'step') ?? 0,
      total,
      unit: 'steps',
      rate: tps !== null ? `${Math.round(tps)} tok/s` : null,
      loss: num(b, 'loss'),
    };
  }
  const rows = num(b, 'total_rows');
  if (rows !== null) return { done: num(b, 'rows') ?? 0, total: rows, unit: 'rows', rate: null, loss: null };
  return null;
}

export function pendingLine(p: PendingView, nowMs: number): string {
  const parts: string[] = [];
  const elapsed = p.startedMs !== null ? nowMs - p.startedMs : null;
  const m = p.details && typeof p.details === 'object' ? measure(p.details as Beat) : null;
  if (m) {
    const f = m.total > 0 ? m.done / m.total : 0;
    parts.push(`${bar20(f)} ${m.done}/${m.total} ${m.unit}`);
    if (m.rate) parts.push(m.rate);
    if (m.loss !== null) parts.push(`loss ${m.loss.toFixed(4)}`);
  }
  if (elapsed !== null) {
    parts.push(`${secs(elapsed)} elapsed`);
    const f = m && m.total > 0 ? m.done / m.total : 0;
    if (m && f > 0 && f < 1) parts.push(`ETA ${secs((elapsed * (1 - f)) / f)}`);
  }
  if (p.attempt > 1) parts.push(`attempt ${p.attempt}`);
  if (stalled(p, nowMs)) {
    const quiet = quietFor(p, nowMs);
    const left = Math.max(0, p.heartbeatTimeoutMs - quiet);
    parts.push(`no heartbeat for ${secs(quiet)} (worker lost?); retry at most in ${secs(left)}`);
  }
  return parts.join(', ');
}

/** How long a queue may go without any poller before its workers count as gone (a long poll: 60 s). */
export const POLLER_GONE_MS = 90_000;

/**
 * Why the run cannot go on by itself, or null: a running activity stopped heartbeating (its worker
 * died) more than POLLER_GONE_MS ago and no worker has polled its queue since, so nothing will pick
 * up the retry.
 */
export function workersGone(
  stalled: readonly (PendingView & { queue: string })[],
  lastPollMs: Readonly<Record<string, number | null>>,
  nowMs: number,
): string | null {
  for (const p of stalled) {
    const last = lastPollMs[p.queue];
    // A busy worker does not poll (the gpu worker has one slot), so its last poll can be old: only a
    // stall long enough for a restarted worker to have polled counts.
    if (quietFor(p, nowMs) <= POLLER_GONE_MS) continue;
    if (last !== undefined && (last === null || nowMs - last > POLLER_GONE_MS)) {
      const ago = last === null ? 'ever' : `for ${secs(nowMs - last)}`;
      return `no worker has polled queue ${p.queue} ${ago} and ${p.name} waits for one: start the workers (autocode up; autocode status shows them); the run goes on once one polls`;
    }
  }
  return null;
}

/**
 * How long since the activity last showed life: its last heartbeat, or the start of this attempt (a
 * retry that just started carries its predecessor's last heartbeat). Infinity when it never started.
 */
function quietFor(p: PendingView, nowMs: number): number {
  const since = Math.max(p.lastHeartbeatMs ?? 0, p.startedMs ?? 0);
  return since > 0 ? nowMs - since : Number.POSITIVE_INFINITY;
}

/** Whether a running activity's heartbeats stopped (its worker is likely gone). */
export function stalled(p: PendingView, nowMs: number): boolean {
  const quiet = quietFor(p, nowMs);
  return Number.isFinite(quiet) && quiet > 2 * LIVENESS.every_ms;
}
