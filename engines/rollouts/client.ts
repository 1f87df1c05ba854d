// Client of OpenAI-compatible completion servers (vLLM, SGLang, the project's policy server) speaking the
// protocol pinned in schemas/inference.ts: completions with token ids and log-probs, and /tokenize.
import { setTimeout as sleep } from 'node:timers/promises';
import { type ChatMessage, type CompletionRequest, TokenizeResponse } from '../../schemas/inference';
import { InferenceEndpoints, type InferenceEndpointsInput } from '../../schemas/rollout';
import { type Endpoint, EndpointPool } from './endpoints';
import { HttpFailure, postJson } from './http';
import { type Generation, readGenerations } from './parse';

export type { Generation };

/**
 * `unavailable`: no endpoint answered within the attempts (retrying later may help);
 * `rejected`: an endpoint refused this request (4xx; the request is wrong, not the server);
 * `protocol`: an endpoint answered something that does not follow the pinned protocol.
 */
export type InferenceErrorKind = 'unavailable' | 'rejected' | 'protocol';

export class InferenceError extends Error {
  constructor(
    readonly kind: InferenceErrorKind,
    message: string,
    /** HTTP status of a rejection. */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'InferenceError';
  }

  /** A rejection of this request's content (too long, invalid for this input), not of the setup. */
  get requestRejected(): boolean {
    return this.kind === 'rejected' && (this.status === 400 || this.status === 413 || this.status === 422);
  }
}

/** A completion request without the fields the client sets itself. */
export interface CompletionParams {
  prompt: string | number[];
  n?: number;
  max_tokens: number;
  temperature?: number;
  top_p?: number;
  stop?: string[];
  seed?: number;
}

/** One generated sequence: token ids with their log-probs, aligned. */
export interface CompletionResult {
  generations: Generation[];
  /** Index of the endpoint that answered (pass it back as `prefer` to keep a rollout's prefix cache warm). */
  endpoint: number;
}

export interface ClientStats {
  requests: number;
  retries: number;
  completion_tokens: number;
}

export interface EndpointStats {
  url: string;
  served: number;
  failed: number;
  in_flight: number;
}

export class InferenceClient {
  readonly config: InferenceEndpoints;
  readonly stats: ClientStats = { requests: 0, retries: 0, completion_tokens: 0 };
  /** The served context length, once /tokenize has reported it. */
  maxModelLen: number | undefined;
  /** Generation slots, bounded by `concurrency` per endpoint. */
  private readonly pool: EndpointPool;
  /** Tokenize has its own slots: it must not queue behind long generations. */
  private readonly tokenizePool: EndpointPool;

  constructor(config: InferenceEndpointsInput) {
    this.config = InferenceEndpoints.parse(config);
    this.pool = new EndpointPool(this.config.urls, this.config.concurrency);
    this.tokenizePool = new EndpointPool(this.config.urls, Math.min(this.config.concurrency, 16));
  }

  get endpoints(): readonly string[] {
    return this.config.urls;
  }

  /**
   * Samples `request.n` sequences. Always asks for token ids and the sampled tokens' log-probs; the
   * caller's stop strings are kept in the output so text and token ids describe the same sequence.
   */
  async complete(
    request: CompletionParams,
    opts: { prefer?: number; signal?: AbortSignal } = {},
  ): Promise<CompletionResult> {
    const n = request.n ?? 1;
    const body: CompletionRequest = {
      ...request,
      model: this.config.model,
      logprobs: 0,
      return_token_ids: true,
      include_stop_str_in_output: true,
    };
    const { json, endpoint } = await this.post('completions', body, opts.prefer, opts.signal);
    let generations: Generation[];
    try {
      generations = readGenerations(json, n);
    } catch (e) {
      const why = (e as Error).message;
      throw new InferenceError(
        'protocol',
        `${endpoint.name}/v1/completions answered outside the protocol: ${why}`,
      );
    }
    for (const g of generations) this.stats.completion_tokens += g.token_ids.length;
    return { generations, endpoint: endpoint.index };
  }

  /** Token ids of `text` as the served model tokenizes it (vLLM's /tokenize). */
  tokenize(text: string, addSpecialTokens: boolean, signal?: AbortSignal): Promise<number[]> {
    const body = { model: this.config.model, prompt: text, add_special_tokens: addSpecialTokens };
    return this.tokenizeBody(body, signal);
  }

  /**
   * Token ids of `messages` rendered by the served model's chat template, ending with the assistant's
   * generation prompt (vLLM's chat form of /tokenize).
   */
  tokenizeChat(messages: ChatMessage[], signal?: AbortSignal): Promise<number[]> {
    const body = { model: this.config.model, messages, add_generation_prompt: true };
    return this.tokenizeBody(body, signal);
  }

  private async tokenizeBody(body: object, signal?: AbortSignal): Promise<number[]> {
    const { json, endpoint } = await this.post('tokenize', body, undefined, signal);
    const parsed = TokenizeResponse.safeParse(json);
    if (!parsed.success) {
      throw new InferenceError('protocol', `${endpoint.name}/tokenize answered without a tokens list`);
    }
    // vLLM reports the context length here; the tool loop keeps prompt + max_tokens within it.
    const limit = (parsed.data as { max_model_len?: unknown }).max_model_len;
    if (typeof limit === 'number' && Number.isInteger(limit) && limit > 0) this.maxModelLen = limit;
    return parsed.data.tokens;
  }

  /** Per endpoint: completion requests answered and failed, and in flight now. */
  endpointStats(): EndpointStats[] {
    return this.pool.endpoints.map((e) => ({
      url: e.name,
      served: e.served,
      failed: e.failed,
      in_flight: e.inFlight,
    }));
  }

  close(): void {
    this.pool.close();
    this.tokenizePool.close();
  }

  private async post(
    route: 'completions' | 'tokenize',
    body: unknown,
    prefer?: number,
    signal?: AbortSignal,
  ): Promise<{ json: unknown; endpoint: Endpoint }> {
    const { attempts, timeout_ms, backoff_ms, backoff_max_ms } = this.config;
    const pool = route === 'completions' ? this.pool : this.tokenizePool;
    const tried = new Set<number>();
    const failures: string[] = [];
    for (let attempt = 1; attempt <= attempts; attempt++) {
      signal?.throwIfAborted();
      const ep = await pool.acquire(prefer, tried);
      const url = route === 'completions' ? ep.completionsUrl : ep.tokenizeUrl;
      this.stats.requests++;
      try {
        const json = await postJson(url, body, { agent: ep.agent, timeoutMs: timeout_ms, signal });
        pool.succeeded(ep);
        return { json, endpoint: ep };
      } catch (e) {
        if (!(e instanceof HttpFailure)) throw e;
        if (!e.retryable) {
          const kind = e.kind === 'protocol' ? 'protocol' : 'rejected';
          const what = kind === 'rejected' ? 'rejected the request' : 'broke the protocol';
          throw new InferenceError(kind, `${url.href} ${what}: ${e.message}`, e.status);
        }
        pool.failed(ep);
        tried.add(ep.index);
        failures.push(`${url.href}: ${e.message}`);
      } finally {
        pool.release(ep);
      }
      if (tried.size === pool.endpoints.length) tried.clear();
      if (attempt < attempts) {
        this.stats.retries++;
        const delay = Math.min(backoff_max_ms, backoff_ms * 2 ** (attempt - 1));
        await sleep(delay * (0.5 + Math.random() / 2));
      }
    }
    const names = this.config.urls.join(', ');
    throw new InferenceError(
      'unavailable',
      `inference endpoints unavailable (${names}) after ${attempts} attempts: ${failures.slice(-4).join('; ')}`,
    );
  }
}
