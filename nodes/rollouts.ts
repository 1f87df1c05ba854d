// The `rollouts` node: K responses per training query in each of its modes, code executed in the
// sandbox, graded; written shard by shard so a crash or resume redoes at most one shard.
import type { z } from 'zod';
import { InferenceClient } from '../engines/rollouts/client';
import { rewardByMode } from '../engines/rollouts/mode-rewards';
import { rolloutTools } from '../engines/rollouts/sandbox-tools';
import { runRolloutShard } from '../engines/rollouts/shard';
import { executionCacheFor, executionCacheMetrics } from '../engines/sandbox/cache';
import { readRows } from '../engines/store/reader';
import type { Row } from '../schemas/datasets';
import { RolloutsParams } from '../schemas/nodes';
import { resolvePrompt } from '../schemas/prompt';
import type { NodeRequest } from '../schemas/run';
import { defineNode } from './define';
import { policyInput } from './inputs';

/** Seeds derive from the run's seed, iteration and node, so a resumed shard samples the same way. */
export function nodeSeed(req: Pick<NodeRequest, 'seed' | 'iteration' | 'node_id'>): number {
  let h = 2166136261 ^ req.seed;
  for (const c of `${req.iteration}/${req.node_id}`) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return (h >>> 0) % 2 ** 31;
}

type Params = z.output<typeof RolloutsParams>;

/** The engine's parameters: the seed filled in, the prompt as resolved (the key names the exact format). */
function engineParams(req: NodeRequest<Params>) {
  const { shard_size: _s, code_timeout_s: _c, extraction: _e, execution_cache: _x, ...rest } = req.params;
  return {
    ...rest,
    seed: rest.seed ?? nodeSeed(req),
    ...(rest.prompt ? { prompt: resolvePrompt(rest.prompt) } : {}),
  };
}

export const rollouts = defineNode({
  uses: 'rollouts',
  queue: 'cpu',
  output: 'rollouts',
  dataset: 'rollouts',
  inputs: {},
  params: RolloutsParams,
  prompted: true,
  producer: { activity: 'rollouts', version: '1' },
  description: 'sample K responses per training query in one mode, executing Python, graded',
  identity: (req) => ({
    params: {
      ...engineParams(req),
      shard_size: req.params.shard_size,
      code_timeout_s: req.params.code_timeout_s,
      // The reward is part of the output: another extraction policy is another dataset.
      extraction: req.params.extraction,
      // execution_cache is not: a cached result is byte-identical to a fresh one (test/sandbox/cache).
      iteration: req.iteration,
    },
    inputs: { queries: req.train, policy: policyInput(req) },
  }),
  async produce({ req, sharded, signal }) {
    const params = engineParams(req);
    const queries = (await readRows(req.train, { columns: ['query_id', 'question', 'answer'] })) as {
      query_id: string;
      question: string;
      answer: string;
    }[];
    const client = new InferenceClient(req.inference);
    try {
      const cached = req.params.execution_cache;
      const { runner, ...tools } = await rolloutTools({
        timeoutMs: req.params.code_timeout_s * 1000,
        outputMaxChars: params.tool_output_max_chars,
        extraction: req.params.extraction,
        // One cache per run on this worker, shared by its rollouts nodes and iterations.
        cache: cached ? executionCacheFor(req.run_id) : undefined,
      });
      const written = await sharded({
        items: queries,
        shardSize: req.params.shard_size,
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
      const p = written.progress;
      return {
        written,
        stats: {
          shards: p.shards,
          shards_reused: p.shards_reused,
          tokens: p.tokens,
          tokens_per_s: p.tokens_per_s,
          // This attempt's executions only (shards found on disk ran nothing).
          ...executionCacheMetrics(runner.stats, cached),
        },
      };
    } finally {
      client.close();
    }
  },
  async describe(ref, req, produced) {
    // A cached output ran nothing: every shard counts as reused.
    const shards = Math.max(1, Math.ceil(req.train.rows / req.params.shard_size));
    const run = produced?.stats ?? { shards, shards_reused: shards, tokens: 0, tokens_per_s: 0 };
    return { metrics: { rows: ref.rows, ...run, ...(await rewardByMode(ref)) } };
  },
});
