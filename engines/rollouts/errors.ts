// Errors of the rollout engine that no retry can fix; nodes/failure.ts maps them to Temporal failures.

/** Input a retry cannot fix: bad parameters or queries. The message names the field or query. */
export class RolloutInputError extends Error {
  override name = 'RolloutInputError';
}
