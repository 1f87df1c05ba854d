// Pieces the workflows share: activity options, search attribute keys, and how a node is called.
import { defineSearchAttributeKey } from '@temporalio/common';
import { type ActivityOptions, proxyActivities } from '@temporalio/workflow';
import type { NodeKindName } from '../nodes/registry';
import type { ResolvedNode } from '../pipelines/validate';
import { LIVENESS, SEARCH_ATTRIBUTES, TASK_QUEUES } from '../schemas/queues';
import type { NodeRequest, NodeResult } from '../schemas/run';

export const RUN_ID = defineSearchAttributeKey(SEARCH_ATTRIBUTES.runId.name, 'KEYWORD');
export const ITERATION = defineSearchAttributeKey(SEARCH_ATTRIBUTES.iteration.name, 'INT');
export const STAGE = defineSearchAttributeKey(SEARCH_ATTRIBUTES.stage.name, 'KEYWORD');
export const SCHEDULE = defineSearchAttributeKey(SEARCH_ATTRIBUTES.schedule.name, 'KEYWORD');
export const REGRESSION = defineSearchAttributeKey(SEARCH_ATTRIBUTES.regression.name, 'BOOL');

interface RetrySpec {
  maximum_attempts?: number | undefined;
  initial_interval?: string | undefined;
  backoff_coefficient?: number | undefined;
}

// Errors no retry can fix are raised as non-retryable failures by the activities themselves (TS and
// Python), so no list of failure types is kept here. Every activity heartbeats from its worker (see
// LIVENESS), so the heartbeat timeout is short: a killed worker's work is retried within it.
export function activityOptions(
  taskQueue: string,
  startToClose: string,
  o: { heartbeatTimeout?: string; retry?: RetrySpec | undefined } = {},
): ActivityOptions {
  return {
    taskQueue,
    startToCloseTimeout: startToClose as ActivityOptions['startToCloseTimeout'],
    heartbeatTimeout: (o.heartbeatTimeout ??
      LIVENESS.heartbeat_timeout) as ActivityOptions['heartbeatTimeout'],
    retry: {
      maximumAttempts: o.retry?.maximum_attempts ?? 5,
      initialInterval: (o.retry?.initial_interval ?? '2 seconds') as ActivityOptions['startToCloseTimeout'],
      backoffCoefficient: o.retry?.backoff_coefficient ?? 2,
    },
  };
}

/** Every node kind is an activity under its `uses` name taking a request and returning a result. */
export type NodeActivities = Record<NodeKindName, (req: NodeRequest) => Promise<NodeResult>>;

/** Runs one node on its queue, with its own timeouts and retry policy: the same call for every kind. */
export function callNode(node: ResolvedNode, req: NodeRequest): Promise<NodeResult> {
  const options = activityOptions(TASK_QUEUES[node.queue], node.timeout ?? '6 hours', {
    ...(node.heartbeat_timeout ? { heartbeatTimeout: node.heartbeat_timeout } : {}),
    retry: node.retry,
  });
  // The node's id as the activity id: `autocode watch` tells nodes of one kind apart by it.
  return proxyActivities<NodeActivities>({ ...options, activityId: node.id })[node.uses](req);
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
