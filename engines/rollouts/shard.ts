// One shard of the rollout activity: every query of the shard × every mode × K samples, as rollout rows.
// The sharded activity (store, heartbeats, resume) calls this per shard and writes the rows it returns.

import { type ResolvedPrompt, resolvePrompt } from '../../schemas/prompt';
import {
  MODES,
  type Mode,
  type RolloutParams,
  type RolloutParamsInput,
  RolloutParams as RolloutParamsSchema,
  type RolloutRow,
} from '../../schemas/rollout';
import { type MethodTally, settledDecision } from './adaptive';
import { InferenceError } from './client';
import { RolloutInputError } from './errors';
import { addSpecialTokens, chatMessages, renderPrompt } from './prompts';
import { deriveSeed, type Generator, type Response, sampleResponses } from './tool-loop';
import type { RewardFn, ToolExecutor } from './tools';

export interface RolloutQuery {
  query_id: string;
  question: string;
  /** Gold answer. */
  answer: string;
}

export interface ShardContext {
  iteration: number;
  /** Key of the behaviour policy (checkpoint) the endpoints serve. */
  policy: string;
}

export interface RolloutDeps {
  generator: Generator;
  executor: ToolExecutor;
  reward: RewardFn;
  /** The activity's cancellation signal: stops the shard and aborts requests in flight. */
  signal?: AbortSignal;
}

export interface ShardProgress {
  queries_done: number;
  queries: number;
  rows: number;
}

/** Rows ordered by query (input order), mode (params order), sample. */
export async function runRolloutShard(
  queries: readonly RolloutQuery[],
  paramsInput: RolloutParamsInput,
  ctx: ShardContext,
  deps: RolloutDeps,
  onProgress?: (p: ShardProgress) => void,
): Promise<RolloutRow[]> {
  const parsed = RolloutParamsSchema.safeParse(paramsInput);
  if (!parsed.success) {
    const why = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new RolloutInputError(`rollout params: ${why}`);
  }
  const params = parsed.data;
  const seen = new Set<string>();
  for (const [i, q] of queries.entries()) {
    if (!q.query_id) throw new RolloutInputError(`rollout shard: query ${i} has an empty query_id`);
    if (typeof q.question !== 'string' || typeof q.answer !== 'string') {
      throw new RolloutInputError(
        `rollout shard: query ${q.query_id} needs a question and an answer (strings)`,
      );
    }
    if (seen.has(q.query_id))
      throw new RolloutInputError(`rollout shard: query_id ${q.query_id} appears twice`);
    seen.add(q.query_id);
  }
  const progress: ShardProgress = { queries_done: 0, queries: queries.length, rows: 0 };
  const perQuery = await Promise.all(
    queries.map(async (q) => {
      const rows = await rolloutQuery(q, params, ctx, deps);
      progress.queries_done++;
      progress.rows += rows.length;
      onProgress?.({ ...progress });
      return rows;
    }),
  );
  return perQuery.flat();
}

async function rolloutQuery(
  q: RolloutQuery,
  params: RolloutParams,
  ctx: ShardContext,
  deps: RolloutDeps,
): Promise<RolloutRow[]> {
  const modes = MODES.filter((m) => params.modes.includes(m));
  const format = resolvePrompt(params.prompt);
  const prompts = new Map<Mode, number[]>();
  await Promise.all(modes.map(async (m) => void prompts.set(m, await promptIds(q, m, params, format, deps))));
  const stop = [...params.stop, ...format.stop.filter((s) => !params.stop.includes(s))];
  const rowsOf = async (mode: Mode, start: number, n: number): Promise<RolloutRow[]> => {
    const seed =
      params.seed === undefined ? undefined : deriveSeed(params.seed, hash(`${q.query_id}/${mode}`), start);
    const responses = await sampleResponses(deps.generator, deps.executor, prompts.get(mode) as number[], n, {
      ...params,
      stop,
      seed,
      signal: deps.signal,
    });
    return Promise.all(
      responses.map((r, i) => toRow(q, mode, start + i, prompts.get(mode) as number[], r, ctx, deps)),
    );
  };

  const dictated = modes.filter((m) => m !== 'native');
  const byMode = new Map<Mode, RolloutRow[]>();
  const jobs: Promise<void>[] = [];
  if (modes.includes('native')) {
    jobs.push(rowsOf('native', 0, params.samples).then((rows) => void byMode.set('native', rows)));
  }
  const adaptive = params.adaptive.enabled && dictated.length === 2;
  if (!adaptive) {
    for (const m of dictated)
      jobs.push(rowsOf(m, 0, params.samples).then((rows) => void byMode.set(m, rows)));
  } else {
    jobs.push(
      adaptiveDictated(params, rowsOf).then((rows) => {
        for (const [m, r] of rows) byMode.set(m, r);
      }),
    );
  }
  await Promise.all(jobs);
  return modes.flatMap((m) => byMode.get(m) ?? []);
}

/** The prompt's token ids: the templates' text tokenized, or the chat messages through the model's template. */
async function promptIds(
  q: RolloutQuery,
  mode: Mode,
  params: RolloutParams,
  format: ResolvedPrompt,
  deps: RolloutDeps,
): Promise<number[]> {
  if (format.format === 'raw') {
    const text = renderPrompt(params.templates, q.question, mode);
    return deps.generator.tokenize(text, addSpecialTokens(params.templates), deps.signal);
  }
  try {
    return await deps.generator.tokenizeChat(
      chatMessages(format, params.templates, q.question, mode),
      deps.signal,
    );
  } catch (e) {
    // A server that cannot apply a chat template (none in the tokenizer, or text-only /tokenize) refuses
    // the request: say which setting asked for it. Still a rejection, so the activity fails for good.
    if (e instanceof InferenceError && e.requestRejected) {
      throw new InferenceError(
        'rejected',
        `prompt.format is chat, but the served model's chat template could not be applied (use prompt.format: raw for a tokenizer without one): ${e.message}`,
        e.status,
      );
    }
    throw e;
  }
}

/** Both dictated modes in chunks, until K each or the hard-max decision is settled. */
async function adaptiveDictated(
  params: RolloutParams,
  rowsOf: (mode: Mode, start: number, n: number) => Promise<RolloutRow[]>,
): Promise<Map<Mode, RolloutRow[]>> {
  const k = params.samples;
  const rows = new Map<Mode, RolloutRow[]>([
    ['dictated_cot', []],
    ['dictated_code', []],
  ]);
  const tally = (m: Mode): MethodTally => {
    const r = rows.get(m) as RolloutRow[];
    return { n: r.length, reward_sum: r.reduce((s, x) => s + x.reward, 0) };
  };
  while (settledDecision(tally('dictated_cot'), tally('dictated_code'), k) === null) {
    await Promise.all(
      [...rows].map(async ([m, done]) => {
        const n = Math.min(params.adaptive.chunk, k - done.length);
        if (n > 0) done.push(...(await rowsOf(m, done.length, n)));
      }),
    );
  }
  return rows;
}

async function toRow(
  q: RolloutQuery,
  mode: Mode,
  sample: number,
  promptIds: number[],
  r: Response,
  ctx: ShardContext,
  deps: RolloutDeps,
): Promise<RolloutRow> {
  const judged =
    r.finish_reason === 'error'
      ? { reward: 0, final_answer: null }
      : await deps.reward(q.answer, r.response_text);
  return {
    query_id: q.query_id,
    iteration: ctx.iteration,
    mode,
    sample,
    method: r.method,
    rounds: r.rounds,
    code_calls: r.code_calls,
    prompt_token_ids: promptIds,
    response_text: r.response_text,
    response_token_ids: r.response_token_ids,
    behavior_logprobs: r.behavior_logprobs,
    loss_mask: r.loss_mask,
    final_answer: judged.final_answer,
    reward: judged.reward,
    finish_reason: r.finish_reason,
    policy: ctx.policy,
    error: r.error,
  };
}

function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
