// How engine failures reach Temporal, for every activity of the cpu worker (its interceptor) and the
// node kernel: fail fast on what no retry can fix (bad input, a server off the protocol, a misconfigured
// model name), retry what another attempt can (endpoints unavailable, a tool executor that died).
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { NonRetryableError } from '../engines/errors';
import { InferenceError } from '../engines/rollouts/client';

export function toActivityFailure(e: unknown): Error {
  if (e instanceof ApplicationFailure) return e;
  if (e instanceof NonRetryableError) {
    return ApplicationFailure.create({ message: e.message, type: e.type, nonRetryable: true, cause: e });
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

/** The worker's activity interceptor: every activity's error goes through toActivityFailure. */
export const failureInterceptor: ActivityInterceptorsFactory = () => ({
  inbound: {
    async execute(input, next) {
      try {
        return await next(input);
      } catch (err) {
        throw toActivityFailure(err);
      }
    },
  },
});
