// A completion server for tests and benchmarks that speaks the protocol of schemas/inference.ts (vLLM's
// /v1/completions with token ids and log-probs, stop strings with include_stop_str_in_output, n > 1, and
// /tokenize) over real HTTP on 127.0.0.1. The "model" is a script: a function from the decoded prompt to
// the text it writes. The tokenizer is deterministic: a few multi-character pieces, else one token per
// character. Log-probs are a fixed function of (token id, absolute position), so a test can check that
// every recorded log-prob sits next to the token it belongs to.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type ChatMessage,
  CompletionRequest,
  TokenizeChatRequest,
  TokenizeRequest,
} from '../../schemas/inference';

export const EOS_ID = 0;
const PIECES = ['```', 'python', 'output', 'print', '\\boxed', 'answer', '\n'];
const CHAR_BASE = 1000;

export function encode(text: string): number[] {
  const ids: number[] = [];
  let i = 0;
  outer: while (i < text.length) {
    for (let p = 0; p < PIECES.length; p++) {
      const piece = PIECES[p] as string;
      if (text.startsWith(piece, i)) {
        ids.push(p + 1);
        i += piece.length;
        continue outer;
      }
    }
    const cp = text.codePointAt(i) as number;
    ids.push(CHAR_BASE + cp);
    i += cp > 0xffff ? 2 : 1;
  }
  return ids;
}

export function pieceOf(id: number): string {
  if (id === EOS_ID) return '';
  if (id >= CHAR_BASE) return String.fromCodePoint(id - CHAR_BASE);
  const piece = PIECES[id - 1];
  if (piece === undefined) throw new Error(`unknown token id ${id}`);
  return piece;
}

export function decode(ids: readonly number[]): string {
  return ids.map(pieceOf).join('');
}

/** The log-prob the server reports for token `id` generated at absolute position `pos`. */
export function scriptedLogprob(id: number, pos: number): number {
  return -(((id * 7919 + pos * 104729) % 1000) + 1) / 1000;
}

export interface ScriptContext {
  /** The whole prompt, decoded (for continuation turns: prompt + response so far). */
  prompt: string;
  prompt_token_ids: number[];
  /** Choice index within the request (0..n-1). */
  index: number;
  request: CompletionRequest;
  /** The checkpoint last loaded through /update_weights_from_disk (null: the one it started with). */
  model_path: string | null;
}

/** What the model writes; `eos: false` means it never ends by itself (only max_tokens stops it). */
export type Script = (ctx: ScriptContext) => string | { text: string; eos: boolean };

/** A failure to inject into one request. */
export type Fault =
  | { status: number; message?: string }
  /** Close the connection before answering. */
  | 'reset'
  /** Send the status line, headers and half the body, then destroy the socket. */
  | 'drop-mid-body'
  /** Never answer. */
  | 'hang';

export interface ServerOptions {
  script: Script;
  model?: string;
  /** Simulated decode time per generated token (per request; choices decode in parallel). */
  tokenDelayMs?: number;
  /** vLLM's check: prompt + max_tokens must fit. */
  maxModelLen?: number;
  /** Whether /tokenize tells max_model_len (vLLM does; default true). */
  reportMaxModelLen?: boolean;
  /**
   * The model's chat template (vLLM's chat form of /tokenize renders messages with it, then tokenizes the
   * text). Absent: the model has none, and a chat /tokenize request is refused with 400, as vLLM does.
   */
  chatTemplate?: (messages: ChatMessage[], addGenerationPrompt: boolean) => string;
  /** Called per request, in arrival order (count from 1); a Fault is applied instead of answering. */
  fault?: (info: { path: string; count: number; body: unknown }) => Fault | undefined;
}

export interface LoggedRequest {
  path: string;
  body: unknown;
}

export interface CompletionsServer {
  url: string;
  port: number;
  requests: LoggedRequest[];
  readonly inFlight: number;
  readonly maxInFlight: number;
  readonly completionTokens: number;
  /** Forget the request log and counters (keeps serving). */
  reset(): void;
  close(): Promise<void>;
}

interface Counters {
  count: number;
  inFlight: number;
  maxInFlight: number;
  completionTokens: number;
}

export async function startCompletionsServer(opts: ServerOptions): Promise<CompletionsServer> {
  const model = opts.model ?? 'scripted';
  const requests: LoggedRequest[] = [];
  const c: Counters = { count: 0, inFlight: 0, maxInFlight: 0, completionTokens: 0 };
  const sockets = new Set<Socket>();
  const loaded: { path: string | null } = { path: null };

  const server = http.createServer(async (req, res) => {
    c.inFlight++;
    c.maxInFlight = Math.max(c.maxInFlight, c.inFlight);
    try {
      const raw = await readBody(req);
      const path = (req.url ?? '/').split('?')[0] as string;
      // SGLang's /get_model_info: what it serves, so a reload can be checked.
      if (req.method === 'GET' && path === '/get_model_info')
        return send(res, 200, { model_path: loaded.path ?? '/scripted', is_generation: true });
      let body: unknown;
      try {
        body = JSON.parse(raw);
      } catch {
        return send(res, 400, error('body is not JSON', 'BadRequestError', 400));
      }
      requests.push({ path, body });
      const fault = opts.fault?.({ path, count: ++c.count, body });
      if (fault === 'hang') return;
      if (fault === 'reset') {
        req.socket.destroy();
        return;
      }
      const answer = route(path, body);
      if (fault === 'drop-mid-body') {
        const text = JSON.stringify(answer.body);
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.write(text.slice(0, Math.floor(text.length / 2)));
        setImmediate(() => req.socket.destroy());
        return;
      }
      if (fault)
        return send(
          res,
          fault.status,
          error(fault.message ?? 'injected failure', 'InternalServerError', fault.status),
        );
      if (answer.delayTokens && opts.tokenDelayMs) await sleep(answer.delayTokens * opts.tokenDelayMs);
      send(res, answer.status, answer.body);
    } finally {
      c.inFlight--;
    }
  });

  function route(path: string, body: unknown): { status: number; body: unknown; delayTokens?: number } {
    if (path === '/tokenize') {
      const chat = typeof body === 'object' && body !== null && 'messages' in body;
      const parsed = (chat ? TokenizeChatRequest : TokenizeRequest).safeParse(body);
      if (!parsed.success) return { status: 400, body: error(parsed.error.message, 'BadRequestError', 400) };
      let text: string;
      if (!('messages' in parsed.data)) text = parsed.data.prompt;
      else if (opts.chatTemplate)
        text = opts.chatTemplate(parsed.data.messages, parsed.data.add_generation_prompt);
      else {
        const msg = 'Cannot use chat template functions because tokenizer.chat_template is not set';
        return { status: 400, body: error(msg, 'BadRequestError', 400) };
      }
      const tokens = encode(text);
      const limit = opts.reportMaxModelLen === false ? {} : { max_model_len: opts.maxModelLen ?? 1 << 20 };
      return { status: 200, body: { tokens, count: tokens.length, ...limit } };
    }
    if (path === '/v1/completions') return complete(body);
    if (path === '/update_weights_from_disk') {
      // SGLang's reload call: the script sees which checkpoint it now serves.
      const p = (body as { model_path?: unknown } | null)?.model_path;
      if (typeof p !== 'string' || !p)
        return { status: 400, body: { success: false, message: 'model_path: required' } };
      loaded.path = p;
      return { status: 200, body: { success: true, message: `loaded ${p}` } };
    }
    return { status: 404, body: error(`no route ${path}`, 'NotFoundError', 404) };
  }

  function complete(body: unknown): { status: number; body: unknown; delayTokens?: number } {
    const parsed = CompletionRequest.safeParse(body);
    if (!parsed.success) return { status: 400, body: error(parsed.error.message, 'BadRequestError', 400) };
    const r = parsed.data;
    if (r.model !== model)
      return { status: 404, body: error(`The model \`${r.model}\` does not exist.`, 'NotFoundError', 404) };
    const promptIds = typeof r.prompt === 'string' ? encode(r.prompt) : r.prompt;
    const maxTokens = r.max_tokens ?? 16;
    if (opts.maxModelLen !== undefined && promptIds.length + maxTokens > opts.maxModelLen) {
      const msg = `This model's maximum context length is ${opts.maxModelLen} tokens. However, you requested ${promptIds.length + maxTokens} tokens.`;
      return { status: 400, body: error(msg, 'BadRequestError', 400) };
    }
    const stops = r.stop === undefined ? [] : typeof r.stop === 'string' ? [r.stop] : r.stop;
    const prompt = decode(promptIds);
    const choices = [];
    let longest = 0;
    let total = 0;
    for (let index = 0; index < (r.n ?? 1); index++) {
      const out = generate(
        opts.script({ prompt, prompt_token_ids: promptIds, index, request: r, model_path: loaded.path }),
        maxTokens,
        stops,
        r,
      );
      const ids = out.ids;
      longest = Math.max(longest, ids.length);
      total += ids.length;
      const wantLogprobs = r.logprobs !== undefined && r.logprobs !== null;
      const lps = ids.map((id, j) => scriptedLogprob(id, promptIds.length + j));
      choices.push({
        index,
        text: out.text,
        finish_reason: out.finish,
        stop_reason: out.stopReason,
        logprobs: wantLogprobs
          ? {
              tokens: ids.map(pieceOf),
              token_logprobs: lps,
              top_logprobs:
                (r.logprobs ?? 0) > 0 ? ids.map((id, j) => ({ [pieceOf(id)]: lps[j] as number })) : null,
            }
          : null,
        ...(r.return_token_ids ? { token_ids: ids, prompt_token_ids: index === 0 ? promptIds : null } : {}),
      });
    }
    c.completionTokens += total;
    return {
      status: 200,
      delayTokens: longest,
      body: {
        id: `cmpl-${c.count}`,
        object: 'text_completion',
        created: Math.floor(Date.now() / 1000),
        model,
        choices,
        usage: {
          prompt_tokens: promptIds.length,
          completion_tokens: total,
          total_tokens: promptIds.length + total,
        },
      },
    };
  }

  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1' }, resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    get inFlight() {
      return c.inFlight;
    },
    get maxInFlight() {
      return c.maxInFlight;
    },
    get completionTokens() {
      return c.completionTokens;
    },
    reset() {
      requests.length = 0;
      c.maxInFlight = c.inFlight;
      c.completionTokens = 0;
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** Token-by-token generation of the scripted text with vLLM's stop-string and length rules. */
function generate(
  scripted: string | { text: string; eos: boolean },
  maxTokens: number,
  stops: string[],
  r: CompletionRequest,
): { ids: number[]; text: string; finish: 'stop' | 'length'; stopReason: string | null } {
  const { text: target, eos } = typeof scripted === 'string' ? { text: scripted, eos: true } : scripted;
  const tokens = encode(target);
  const ids: number[] = [];
  let text = '';
  // A script that never ends by itself repeats its text until max_tokens.
  const limit = eos ? tokens.length : Math.max(maxTokens, tokens.length);
  for (let j = 0; j < limit && tokens.length > 0; j++) {
    const id = tokens[j % tokens.length] as number;
    if (ids.length >= maxTokens) return { ids, text, finish: 'length', stopReason: null };
    const before = text.length;
    ids.push(id);
    text += pieceOf(id);
    for (const s of stops) {
      const at = text.indexOf(s, Math.max(0, before - s.length + 1));
      if (at >= 0) {
        text = text.slice(0, r.include_stop_str_in_output ? at + s.length : at);
        return { ids, text, finish: 'stop', stopReason: s };
      }
    }
  }
  if (ids.length >= maxTokens || !eos) return { ids, text, finish: 'length', stopReason: null };
  ids.push(EOS_ID);
  return { ids, text, finish: 'stop', stopReason: null };
}

function error(message: string, type: string, code: number) {
  return { error: { message, type, code } };
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
