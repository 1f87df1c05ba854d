// Store failures that retrying cannot fix (bad file, bad column, bad manifest, unknown name): the
// worker reports them as non-retryable failures of the same type, so an activity fails fast.
import { NonRetryableError } from '../errors';

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

export function storeError(type: StoreErrorType, message: string, cause?: unknown): NonRetryableError {
  return new NonRetryableError(type, message, { cause: asError(cause) });
}

function asError(cause: unknown): Error | undefined {
  if (cause === undefined) return undefined;
  return cause instanceof Error ? cause : new Error(String(cause));
}

/**
 * This host's store root is missing, unreadable or an empty mount point. Retryable (a plain Error:
 * Temporal retries it as failure type StoreUnavailable): once the root is back, the retry succeeds.
 */
export class StoreUnavailable extends Error {
  constructor(
    readonly host: string,
    readonly root: string,
    readonly uri: string,
    readonly reason: string,
  ) {
    super(
      `host ${host}: store root ${root} is unavailable (${reason}) while opening ${uri}; ` +
        `mount the shared store there or set AUTOCODE_STORE on ${host}; the activity retries`,
    );
    this.name = 'StoreUnavailable';
  }
}
