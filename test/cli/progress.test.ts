// The progress line `autocode run` and `watch` print per running activity, from the heartbeats the
// activities really send (shard progress of rollouts/evaluation, training steps, rescored rows).
import { describe, expect, it } from 'vitest';
import { type PendingView, POLLER_GONE_MS, pendingLine, stalled, workersGone } from '../../cli/progress';

const NOW = 1_000_000;
const view = (details: unknown, o: Partial<PendingView> = {}): PendingView => ({
  name: 'x',
  attempt: 1,
  startedMs: NOW - 60_000,
  lastHeartbeatMs: NOW - 1000,
  heartbeatTimeoutMs: 20_000,
  details,
  ...o,
});

describe('progress line', () => {
  it('shows shards done, tokens/s, elapsed and ETA for rollouts and evaluation', () => {
    const line = pendingLine(view({ shards_done: 2, shards: 8, tokens_per_s: 1234.4, rows: 10 }), NOW);
    expect(line).toBe('[#####...............] 2/8 shards, 1234 tok/s, 1m00s elapsed, ETA 3m00s');
  });

  it('shows steps and loss for SFT and the update, rows for rescoring', () => {
    const sft = pendingLine(
      view({ step: 30, total_steps: 120, loss: 1.23456, lr: 0.003, tokens_per_s: 5000 }),
      NOW,
    );
    expect(sft).toBe(
      '[#####...............] 30/120 steps, 5000 tok/s, loss 1.2346, 1m00s elapsed, ETA 3m00s',
    );
    expect(pendingLine(view({ rows: 64, total_rows: 64 }), NOW)).toBe(
      '[####################] 64/64 rows, 1m00s elapsed',
    );
  });

  it('names a retry and a worker that stopped heartbeating, with when Temporal retries', () => {
    const line = pendingLine(
      view({ step: 5, total_steps: 10 }, { attempt: 2, lastHeartbeatMs: NOW - 12_000 }),
      NOW,
    );
    expect(line).toContain('attempt 2');
    expect(line).toContain('no heartbeat for 12s (worker lost?); retry at most in 8s');
    // A retry that has just started is no stall, whatever its predecessor's last heartbeat.
    expect(
      pendingLine(view(undefined, { attempt: 2, startedMs: NOW - 3000, lastHeartbeatMs: NOW - 30_000 }), NOW),
    ).toBe('3s elapsed, attempt 2');
    // A heartbeat within two liveness intervals is no stall.
    expect(pendingLine(view(undefined, { lastHeartbeatMs: NOW - 9000 }), NOW)).toBe('1m00s elapsed');
  });
});

describe('a run whose workers are gone', () => {
  const stuck = {
    ...view(
      { step: 5, total_steps: 10 },
      { name: 'policy_sft', startedMs: NOW - 300_000, lastHeartbeatMs: NOW - 100_000 },
    ),
    queue: 'gpu',
  };

  it("is said when a stalled activity's queue has had no poller for longer than a long poll", () => {
    expect(stalled(stuck, NOW)).toBe(true);
    expect(workersGone([stuck], { gpu: NOW - POLLER_GONE_MS - 5000 }, NOW)).toBe(
      'no worker has polled queue gpu for 1m35s and policy_sft waits for one: start the workers (autocode up; autocode status shows them); the run goes on once one polls',
    );
    expect(workersGone([stuck], { gpu: null }, NOW)).toMatch(/^no worker has polled queue gpu ever/);
  });

  it('is not said while a worker polls the queue (the retry will be picked up) or nothing stalled', () => {
    expect(workersGone([stuck], { gpu: NOW - 10_000 }, NOW)).toBeNull();
    // A busy gpu worker took its task long ago and has not polled since; just killed, the supervisor
    // restarts it within seconds: no verdict until the stall has outlasted a restart.
    const justKilled = { ...stuck, lastHeartbeatMs: NOW - 15_000 };
    expect(workersGone([justKilled], { gpu: NOW - 300_000 }, NOW)).toBeNull();
    const alive = view({ step: 5, total_steps: 10 }, { lastHeartbeatMs: NOW - 2000 });
    expect(stalled(alive, NOW)).toBe(false);
    expect(workersGone([], { gpu: null }, NOW)).toBeNull();
  });
});
