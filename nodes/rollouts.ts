// The `rollouts` node: K responses per training query in each of its modes, code executed in the
// sandbox, graded; written shard by shard so a crash or resume redoes at most one shard.

import { InferenceClient } from '../engines/rollouts/client';
import { toActivityFailure } from '../engines/rollouts/failure';
import { rewardByMode } from '../engines/rollouts/mode-rewards';
import { rolloutTools } from '../engines/rollouts/sandbox-tools';
import { runRolloutShard } from '../engines/rollouts/shard';
import { contentKey } from '../engines/store/canonical';
import { readRows } from '../engines/store/reader';
import { runSharded } from '../engines/store/sharded';
import { RolloutsParams } from '../pipelines/node-kinds';
import type { Row } from '../schemas/datasets';
import { nodeResult } from '../schemas/node-result';
import { resolvePrompt } from '../schemas/prompt';
import type { NodeRequest, NodeResult } from '../schemas/run';
import { activitySignal } from './context';
import { nodeInputError } from './errors';
import { policyInput } from './inputs';

export const ROLLOUTS_PRODUCER = { activity: 'rollouts', version: '1' };

/** Seeds derive from the run's seed, iteration and node, so a resumed shard samples the same way. */
export function nodeSeed(req: NodeRequest): number {
  let h = 2166136261 ^ req.seed;
  for (const c of `${req.iteration}/${req.node_id}`) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return (h >>> 0) % 2 ** 31;
}

export async function rollouts(req: NodeRequest): Promise<NodeResult> {
  const parsed = RolloutsParams.safeParse(req.params);
  if (!parsed.success) throw nodeInputError(`${req.node_id}: ${parsed.error.message}`);
  const { shard_size, code_timeout_s, ...rest } = parsed.data;
  // The prompt as resolved (preset expanded), so the content key names the exact format, system and stops.
  const params = {
    ...rest,
    seed: rest.seed ?? nodeSeed(req),
    ...(rest.prompt ? { prompt: resolvePrompt(rest.prompt) } : {}),
  };
  const keyParams = { ...params, shard_size, code_timeout_s, iteration: req.iteration };
  const inputs = { queries: req.train, policy: policyInput(req) };
  const key = contentKey({ producer: ROLLOUTS_PRODUCER, params: keyParams, inputs });
  const queries = (await readRows(req.train, { columns: ['query_id', 'question', 'answer'] })) as {
    query_id: string;
    question: string;
    answer: string;
  }[];
  const client = new InferenceClient(req.inference);
  const signal = activitySignal();
  try {
    const tools = await rolloutTools({
      timeoutMs: code_timeout_s * 1000,
      outputMaxChars: params.tool_output_max_chars,
    });
    const result = await runSharded({
      kind: 'rollouts',
      key,
      producer: ROLLOUTS_PRODUCER,
      params: keyParams,
      inputs,
      items: queries,
      shardSize: shard_size,
      tokensOf: (r: Row) => (r.response_token_ids as number[]).length,
      runShard: (items, _i, onQueryDone) =>
        runRolloutShard(
          items,
          params,
          { iteration: req.iteration, policy: req.policy.key },
          { generator: client, ...tools, signal },
          onQueryDone,
        ) as Promise<Row[]>,
    });
    return nodeResult(req, 'rollouts', {
      dataset: result.ref,
      metrics: {
        rows: result.ref.rows,
        shards: result.progress.shards,
        shards_reused: result.progress.shards_reused,
        tokens: result.progress.tokens,
        tokens_per_s: result.progress.tokens_per_s,
        ...(await rewardByMode(result.ref)),
      },
      cached: result.cached,
    });
  } catch (err) {
    throw toActivityFailure(err);
  } finally {
    client.close();
  }
}
