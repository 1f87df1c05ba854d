// Store failures that retrying cannot fix (bad file, bad column, bad manifest, unknown name) are
// non-retryable Temporal failures, so an activity that calls the store fails fast with the reason.
import { ApplicationFailure } from '@temporalio/common';

export type StoreErrorType =
  | 'UnknownDatasetKind'
  | 'InvalidRow'
  | 'SchemaMismatch'
  | 'UnreadableParquet'
  | 'ManifestInvalid'
  | 'ChecksumMismatch'
  | 'MissingPart'
  | 'UnknownBenchmark'
  | 'InvalidInput';

export function storeError(type: StoreErrorType, message: string, cause?: unknown): ApplicationFailure {
  return ApplicationFailure.create({ message, type, nonRetryable: true, cause: asError(cause) });
}

function asError(cause: unknown): Error | undefined {
  if (cause === undefined) return undefined;
  return cause instanceof Error ? cause : new Error(String(cause));
}
