// How engine failures reach Temporal (at the node and service boundary): retry what another attempt can fix (endpoints unavailable, a
// tool executor that died), fail fast on what it cannot (bad input, a server off the protocol, a
// misconfigured model name).
import { ApplicationFailure } from '@temporalio/common';
import { InferenceError } from '../engines/rollouts/client';
import { RolloutInputError } from '../engines/rollouts/errors';

export function toActivityFailure(e: unknown): Error {
  if (e instanceof ApplicationFailure) return e;
  if (e instanceof RolloutInputError) {
    return ApplicationFailure.create({
      message: e.message,
      type: 'RolloutInputError',
      nonRetryable: true,
      cause: e,
    });
  }
  if (e instanceof InferenceError) {
    const type =
      e.kind === 'unavailable'
        ? 'InferenceUnavailable'
        : e.kind === 'protocol'
          ? 'InferenceProtocol'
          : 'InferenceRejected';
    return ApplicationFailure.create({
      message: e.message,
      type,
      nonRetryable: e.kind !== 'unavailable',
      cause: e,
    });
  }
  return e instanceof Error ? e : new Error(String(e));
}
