// Serving a policy: the one place emRun, iteration and evalRun make a checkpoint the one rollouts
// and evaluations sample from. Embedded: the gpu worker's server loads it (started on first use); with
// replicas, every serving process does, and policy_load returns once each reports it. External servers
// (SGLang, or vLLM with the same endpoint): each url told to load it from disk and checked to report it,
// unless they already serve it (a run's starting policy, or an evaluation told not to reload). Either
// way the caller waits here: nothing samples until every endpoint serves the new policy.
import { ActivityFailure, ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { GpuActivities } from '../schemas/gpu-activities';
import { TASK_QUEUES } from '../schemas/queues';
import type { InferenceEndpoints } from '../schemas/rollout';
import type { PolicyRef } from '../schemas/run';
import type * as services from '../services/index';
import { activityOptions } from './common';

/** Where a run's policy is served: the gpu worker's embedded server, or external servers. */
export type ServeTarget =
  | { embedded: { port: number; replicas?: number } }
  | { endpoints: { urls: string[]; model: string; max_concurrency: number } };

/** The rollout client's settings for a served policy: the engine's retry and timeout defaults. */
function endpoints(urls: string[], model: string, concurrency: number): InferenceEndpoints {
  return {
    urls,
    model,
    concurrency,
    timeout_ms: 600_000,
    attempts: 6,
    backoff_ms: 250,
    backoff_max_ms: 8000,
  };
}

/** Makes `policy` the served one and returns the endpoints to sample from. */
export async function servePolicy(
  target: ServeTarget,
  policy: PolicyRef,
  o: { reload: boolean },
): Promise<InferenceEndpoints> {
  if ('embedded' in target) {
    const gpu = proxyActivities<GpuActivities>(activityOptions(TASK_QUEUES.gpu, '30 minutes'));
    const { port, replicas = 1 } = target.embedded;
    // One replica sends what it always sent (an unchanged history for runs in flight).
    const out = await gpu.policy_load({ checkpoint: policy, port, ...(replicas > 1 ? { replicas } : {}) });
    const roots = (out.base_urls ?? [out.base_url]).map((u) => u.replace(/\/v1\/?$/, ''));
    return endpoints(roots, out.model, 64);
  }
  const e = target.endpoints;
  if (o.reload) {
    const cpu = proxyActivities<typeof services>(activityOptions(TASK_QUEUES.cpu, '30 minutes'));
    await cpu.reloadEndpoints({ urls: e.urls, model_path: policy.uri });
  }
  return endpoints(e.urls, e.model, e.max_concurrency);
}

/** How many times a node is given a freshly served policy after its server was lost. */
export const RESERVE_LIMIT = 2;

/** The node failed because no inference endpoint answered (its retries spent): the server is gone. */
export function serverLost(err: unknown): boolean {
  return (
    err instanceof ActivityFailure &&
    err.cause instanceof ApplicationFailure &&
    err.cause.type === 'InferenceUnavailable'
  );
}

/**
 * Survives the loss of the embedded server's host. The embedded server lives in the gpu worker that
 * ran policy_load; when that host dies, every node sampling from it fails with InferenceUnavailable.
 * `call` then gets the policy served again (policy_load goes to whichever gpu worker still polls) and
 * runs once more; its shards on disk are kept (content keys do not name the endpoints). Nodes that
 * fail together share one new serve. External endpoints are fixed by the spec: nothing to re-serve.
 */
export class Served {
  private reserving: Promise<InferenceEndpoints> | null = null;

  constructor(
    private readonly target: ServeTarget,
    public inference: InferenceEndpoints,
  ) {}

  async serve(policy: PolicyRef, o: { reload: boolean }): Promise<InferenceEndpoints> {
    this.inference = await servePolicy(this.target, policy, o);
    return this.inference;
  }

  async call<T>(
    policy: PolicyRef,
    used: InferenceEndpoints,
    run: (e: InferenceEndpoints) => Promise<T>,
  ): Promise<T> {
    for (let reserved = 0; ; reserved++) {
      try {
        return await run(used);
      } catch (err) {
        if (!('embedded' in this.target) || !serverLost(err) || reserved >= RESERVE_LIMIT) throw err;
      }
      if (this.inference.urls.join(' ') === used.urls.join(' ')) {
        this.reserving ??= servePolicy(this.target, policy, { reload: true }).finally(() => {
          this.reserving = null;
        });
        this.inference = await this.reserving;
      }
      used = this.inference;
    }
  }
}
