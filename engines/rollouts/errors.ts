// Errors of the rollout engine that no retry can fix.
import { NonRetryableError } from '../errors';

/** Input a retry cannot fix: bad parameters or queries. The message names the field or query. */
export class RolloutInputError extends NonRetryableError {
  constructor(message: string) {
    super('RolloutInputError', message);
  }
}
