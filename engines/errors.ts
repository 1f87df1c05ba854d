// The engines' error for what no retry can fix (a bad file, column, manifest, parameter). Engines know
// nothing of Temporal: the worker turns this into a non-retryable Temporal failure of the same type
// and message (workers/failures.ts), so a node or service fails fast with the reason.

export class NonRetryableError extends Error {
  readonly nonRetryable = true;
  constructor(
    /** The failure type Temporal shows (e.g. SchemaMismatch, EmInputError). */
    readonly type: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = type;
  }
}
