// The tool loop: generate until the model opens an output block ("```output", kept in the output) or
// stops otherwise; run the last ```python block; append the output block as tool tokens (tokenized by the
// server, log-prob 0, loss mask 0); continue from the full token sequence; at most `max_rounds` code calls.
import { type ChatMessage, TOOL_OUTPUT_STOP } from '../../schemas/inference';
import type { FinishReason, Method } from '../../schemas/rollout';
import { type CompletionResult, type Generation, InferenceError } from './client';
import { boundOutput, lastPythonBlock, methodOf, outputBlock } from './code';
import type { ToolExecutor } from './tools';

/** What the tool loop needs from the inference client. */
export interface Generator {
  complete(
    request: {
      prompt: number[];
      n: number;
      max_tokens: number;
      temperature: number;
      top_p: number;
      stop: string[];
      seed?: number;
    },
    opts?: { prefer?: number; signal?: AbortSignal },
  ): Promise<CompletionResult>;
  tokenize(text: string, addSpecialTokens: boolean, signal?: AbortSignal): Promise<number[]>;
  /** Messages through the served model's chat template, with the generation prompt (the chat format). */
  tokenizeChat(messages: ChatMessage[], signal?: AbortSignal): Promise<number[]>;
  /** Context length of the served model, when known: prompt + max_tokens is kept within it. */
  readonly maxModelLen?: number | undefined;
}

export interface LoopParams {
  temperature: number;
  top_p: number;
  /** Token budget of a whole response, model and tool tokens together. */
  max_tokens: number;
  max_rounds: number;
  tool_output_max_chars: number;
  /** Extra stop strings; the tool-call stop is always added. */
  stop: string[];
  /** Seed of the first request; later requests derive theirs. Undefined: unseeded. */
  seed?: number;
  /** Cancels requests in flight and stops the loop (the activity was cancelled). */
  signal?: AbortSignal;
}

export interface Response {
  method: Method;
  rounds: number;
  code_calls: number;
  response_text: string;
  response_token_ids: number[];
  behavior_logprobs: number[];
  loss_mask: (0 | 1)[];
  finish_reason: FinishReason;
  error: string | null;
}

/** Samples `n` responses to one tokenized prompt: one batched first round, then each on its own. */
export async function sampleResponses(
  gen: Generator,
  executor: ToolExecutor,
  promptIds: number[],
  n: number,
  params: LoopParams,
): Promise<Response[]> {
  const stop = [TOOL_OUTPUT_STOP, ...params.stop.filter((s) => s !== TOOL_OUTPUT_STOP)];
  const budget = tokenBudget(gen, params, promptIds.length, 0);
  if (budget <= 0) return Array.from({ length: n }, () => failed('length', null));
  let first: CompletionResult;
  try {
    first = await gen.complete(
      {
        prompt: promptIds,
        n,
        max_tokens: budget,
        temperature: params.temperature,
        top_p: params.top_p,
        stop,
        ...(params.seed === undefined ? {} : { seed: params.seed }),
      },
      { signal: params.signal },
    );
  } catch (e) {
    if (e instanceof InferenceError && e.requestRejected)
      return Array.from({ length: n }, () => failed('error', e.message));
    throw e;
  }
  return Promise.all(
    first.generations.map((g, i) =>
      continueResponse(gen, executor, promptIds, g, first.endpoint, i, stop, params),
    ),
  );
}

async function continueResponse(
  gen: Generator,
  executor: ToolExecutor,
  promptIds: number[],
  firstRound: Generation,
  endpoint: number,
  sample: number,
  stop: string[],
  params: LoopParams,
): Promise<Response> {
  const r: Response = {
    method: methodOf(firstRound.text),
    rounds: 0,
    code_calls: 0,
    response_text: '',
    response_token_ids: [],
    behavior_logprobs: [],
    loss_mask: [],
    finish_reason: 'stop',
    error: null,
  };
  let g: Generation = firstRound;
  for (;;) {
    r.rounds++;
    appendModel(r, g);
    if (
      g.finish_reason === 'length' ||
      tokenBudget(gen, params, promptIds.length, r.response_token_ids.length) <= 0
    ) {
      r.finish_reason = g.finish_reason === 'stop' && !opensOutput(g) ? 'stop' : 'length';
      return r;
    }
    if (!opensOutput(g)) {
      r.finish_reason = 'stop';
      return r;
    }
    if (r.code_calls >= params.max_rounds) {
      r.finish_reason = 'max_rounds';
      return r;
    }
    params.signal?.throwIfAborted();
    const code = lastPythonBlock(r.response_text);
    let output: string;
    try {
      output = code === null ? 'Error: no ```python block to run.' : (await executor.execute(code)).text;
    } catch (e) {
      r.finish_reason = 'error';
      r.error = `tool executor failed: ${(e as Error).message}`;
      return r;
    }
    const toolText = outputBlock(boundOutput(output, params.tool_output_max_chars));
    const toolIds = await gen.tokenize(toolText, false, params.signal);
    const budget = tokenBudget(gen, params, promptIds.length, r.response_token_ids.length + toolIds.length);
    if (budget <= 0) {
      // No room to answer after the output block: end at the open fence, as text and ids agree there.
      r.finish_reason = 'length';
      return r;
    }
    appendTool(r, toolText, toolIds);
    r.code_calls++;
    try {
      const next = await gen.complete(
        {
          prompt: [...promptIds, ...r.response_token_ids],
          n: 1,
          max_tokens: budget,
          temperature: params.temperature,
          top_p: params.top_p,
          stop,
          ...(params.seed === undefined ? {} : { seed: deriveSeed(params.seed, sample, r.rounds) }),
        },
        { prefer: endpoint, signal: params.signal },
      );
      g = next.generations[0] as Generation;
      endpoint = next.endpoint;
    } catch (e) {
      // A request the server refuses (e.g. the sequence outgrew its context) ends this response only;
      // an unavailable server fails the whole batch so the activity is retried.
      if (e instanceof InferenceError && e.requestRejected) {
        r.finish_reason = 'error';
        r.error = e.message;
        return r;
      }
      throw e;
    }
  }
}

/** Tokens the next request may generate: the response budget, and the context left, if known. */
function tokenBudget(gen: Generator, params: LoopParams, promptLen: number, responseLen: number): number {
  const budget = params.max_tokens - responseLen;
  return gen.maxModelLen === undefined ? budget : Math.min(budget, gen.maxModelLen - promptLen - responseLen);
}

/** A response that never got a first round (method unknown: counted as cot, with no tokens). */
function failed(finish_reason: FinishReason, error: string | null): Response {
  return {
    method: 'cot',
    rounds: 0,
    code_calls: 0,
    response_text: '',
    response_token_ids: [],
    behavior_logprobs: [],
    loss_mask: [],
    finish_reason,
    error,
  };
}

function opensOutput(g: Generation): boolean {
  return g.finish_reason === 'stop' && g.text.endsWith(TOOL_OUTPUT_STOP);
}

function appendModel(r: Response, g: Generation): void {
  r.response_text += g.text;
  if (r.response_token_ids.length === 0) {
    // First round (most responses have only one): take the parsed arrays as they are.
    r.response_token_ids = g.token_ids;
    r.behavior_logprobs = g.logprobs;
    r.loss_mask = new Array<0 | 1>(g.token_ids.length).fill(1);
    return;
  }
  for (let i = 0; i < g.token_ids.length; i++) {
    r.response_token_ids.push(g.token_ids[i] as number);
    r.behavior_logprobs.push(g.logprobs[i] as number);
    r.loss_mask.push(1);
  }
}

function appendTool(r: Response, text: string, ids: number[]): void {
  r.response_text += text;
  for (const id of ids) {
    r.response_token_ids.push(id);
    r.behavior_logprobs.push(0);
    r.loss_mask.push(0);
  }
}

/** A per-(sample, round) seed from the base seed (FNV-1a over the three numbers, 31 bits). */
export function deriveSeed(base: number, sample: number, round: number): number {
  let h = 0x811c9dc5;
  for (const v of [base, sample, round]) {
    for (const b of [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff]) {
      h = Math.imul(h ^ b, 0x01000193);
    }
  }
  return (h >>> 1) & 0x7fffffff;
}
