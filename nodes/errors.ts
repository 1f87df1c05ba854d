import { ApplicationFailure } from '@temporalio/common';

/** A node's inputs or parameters are wrong: retrying cannot help. */
export function nodeInputError(message: string): ApplicationFailure {
  return ApplicationFailure.create({ message, type: 'NodeInputError', nonRetryable: true });
}
