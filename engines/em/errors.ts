import { NonRetryableError } from '../errors';

/** Bad E-step input: retrying cannot fix it. */
export function emInputError(message: string): NonRetryableError {
  return new NonRetryableError('EmInputError', message);
}
