import { ApplicationFailure } from '@temporalio/common';

/** Bad E-step input: retrying cannot fix it, so the failure is non-retryable. */
export function emInputError(message: string): ApplicationFailure {
  return ApplicationFailure.create({ message, type: 'EmInputError', nonRetryable: true });
}
