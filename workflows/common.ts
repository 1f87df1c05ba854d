// Pieces both run workflows share: activity options, search attribute keys, serving a policy.
import { defineSearchAttributeKey } from '@temporalio/common';
import { type ActivityOptions, proxyActivities } from '@temporalio/workflow';
import type { ResolvedNode } from '../pipelines/validate';
import type { GpuActivities } from '../schemas/gpu-activities';
import { SEARCH_ATTRIBUTES, TASK_QUEUES } from '../schemas/queues';
import type { InferenceEndpoints } from '../schemas/rollout';
import type { NodeRequest, NodeResult, PolicyRef } from '../schemas/run';
import type * as cpuActivities from '../services/index';

export const RUN_ID = defineSearchAttributeKey(SEARCH_ATTRIBUTES.runId.name, 'KEYWORD');
export const ITERATION = defineSearchAttributeKey(SEARCH_ATTRIBUTES.iteration.name, 'INT');
export const STAGE = defineSearchAttributeKey(SEARCH_ATTRIBUTES.stage.name, 'KEYWORD');
export const SCHEDULE = defineSearchAttributeKey(SEARCH_ATTRIBUTES.schedule.name, 'KEYWORD');
export const REGRESSION = defineSearchAttributeKey(SEARCH_ATTRIBUTES.regression.name, 'BOOL');

/** Where the run's policy is served: the gpu worker's embedded server, or external servers. */
export type ServeTarget =
  | { embedded: { port: number } }
  | { endpoints: { urls: string[]; model: string; max_concurrency: number } };

interface RetrySpec {
  maximum_attempts?: number | undefined;
  initial_interval?: string | undefined;
  backoff_coefficient?: number | undefined;
}

/** Errors no retry can fix: the activity says so with these failure types. */
const NON_RETRYABLE = ['InvalidSpec', 'NodeInputError', 'InvalidInput', 'EmInputError', 'RolloutInputError'];

export function activityOptions(
  taskQueue: string,
  startToClose: string,
  o: { heartbeatTimeout?: string; retry?: RetrySpec | undefined } = {},
): ActivityOptions {
  return {
    taskQueue,
    startToCloseTimeout: startToClose as ActivityOptions['startToCloseTimeout'],
    heartbeatTimeout: o.heartbeatTimeout as ActivityOptions['heartbeatTimeout'],
    retry: {
      maximumAttempts: o.retry?.maximum_attempts ?? 5,
      initialInterval: (o.retry?.initial_interval ?? '2 seconds') as ActivityOptions['startToCloseTimeout'],
      backoffCoefficient: o.retry?.backoff_coefficient ?? 2,
      nonRetryableErrorTypes: NON_RETRYABLE,
    },
  };
}

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
  current: InferenceEndpoints | null,
): Promise<InferenceEndpoints> {
  if ('embedded' in target) {
    const gpu = proxyActivities<GpuActivities>(activityOptions(TASK_QUEUES.gpu, '30 minutes'));
    const out = await gpu.policy_load({
      checkpoint: { uri: policy.uri, key: policy.key },
      port: target.embedded.port,
    });
    const root = out.base_url.replace(/\/v1\/?$/, '');
    return endpoints([root], out.model, 64);
  }
  const e = target.endpoints;
  // External servers start with the run's initial policy; later checkpoints are loaded into them.
  if (current) {
    const cpu = proxyActivities<typeof cpuActivities>(activityOptions(TASK_QUEUES.cpu, '30 minutes'));
    await cpu.reloadEndpoints({ urls: e.urls, model_path: policy.uri });
  }
  return endpoints(e.urls, e.model, e.max_concurrency);
}

/** What every node of a run sees beside its own parameters and inputs. */
export type NodeContext = Pick<
  NodeRequest,
  'run_id' | 'iteration' | 'seed' | 'policy' | 'inference' | 'train' | 'eval'
>;

/** The request a node activity receives: the run's context, the node's parameters, its inputs. */
export function nodeRequest(
  ctx: NodeContext,
  node: Pick<ResolvedNode, 'id' | 'uses' | 'params'>,
  inputs: Record<string, NodeResult> = {},
): NodeRequest {
  return { ...ctx, node_id: node.id, uses: node.uses, params: node.params, inputs };
}
