// Task queues and search attributes: the one place their names live. Workflow-safe (no Node imports).

/** Task queues of the two worker kinds. Workflows run on the TypeScript worker's queue. */
export const TASK_QUEUES = {
  /** TypeScript worker: workflows, rollouts, sandbox, grading, estimation, synthesis, evaluation, hub I/O. */
  cpu: 'cpu',
  /** Python worker: owns the policy (serving, SFT, off-policy update). */
  gpu: 'gpu',
} as const;

export type TaskQueueName = keyof typeof TASK_QUEUES;

/** Search attributes registered on the dev server so the Web UI can list and filter runs. */
export const SEARCH_ATTRIBUTES = {
  runId: { name: 'AutocodeRunId', type: 'Keyword' },
  iteration: { name: 'AutocodeIteration', type: 'Int' },
  stage: { name: 'AutocodeStage', type: 'Keyword' },
  /** The schedule that started a nightly evaluation. */
  schedule: { name: 'AutocodeSchedule', type: 'Keyword' },
  /** Set on a nightly evaluation: true when a metric dropped beyond the schedule's threshold. */
  regression: { name: 'AutocodeRegression', type: 'Bool' },
} as const;

export const NAMESPACE = 'default';

/**
 * Liveness: every activity of both workers heartbeats at least this often, from a timer (TS) or a
 * thread (Python) besides its own progress heartbeats, so a step that blocks for minutes (a torch
 * step, a checkpoint write, a long HTTP call) still heartbeats, and a killed worker is noticed within
 * the timeout. The workers send heartbeats at most this far apart (their throttle), and every activity
 * the workflows start has this heartbeat timeout unless a spec node sets `heartbeat_timeout`.
 */
export const LIVENESS = {
  every_ms: 5000,
  heartbeat_timeout: '20 seconds',
} as const;
