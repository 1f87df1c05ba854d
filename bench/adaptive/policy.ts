// A synthetic policy behind the rollout engine's Generator interface, with known per-query success
// rates per method, for the adaptive-budget bench. Tokens are code points, so prompts decode back to
// text: the generator reads the query and the dictated mode from the prompt, and, in the round after
// an output block, the value the program printed. It counts what a server and a sandbox would spend.

import type { CompletionResult } from '../../engines/rollouts/client';
import type { Generator } from '../../engines/rollouts/tool-loop';
import type { ToolExecutor } from '../../engines/rollouts/tools';
import { TOOL_OUTPUT_STOP } from '../../schemas/inference';

export interface QueryTruth {
  query_id: string;
  answer: string;
  /** Probability that a response with this method is correct. */
  p_cot: number;
  p_code: number;
  /** Probability that a native (no-hint) response uses code. */
  p_native_code: number;
}

export interface SpendCounts {
  requests: number;
  samples: number;
  tokens: number;
  executions: number;
}

/**
 * `stream`: sample j of a (query, mode) is the same draw however it was requested (a prefix-consistent
 * server: adaptive takes a prefix of what fixed K takes). `seeded`: a draw depends on the request's
 * seed and its index in the request, as with a server seeding each request (the engine derives a
 * chunk's seed from its first sample index, so later chunks draw other samples than fixed K would).
 */
export type DrawMode = 'stream' | 'seeded';

const encode = (s: string) => [...s].map((c) => c.codePointAt(0) as number);
const decode = (ids: readonly number[]) => String.fromCodePoint(...ids);

/** A uniform draw in [0, 1) from a list of keys (FNV-1a, then a xorshift finish). */
export function draw(...keys: (string | number)[]): number {
  let h = 0x811c9dc5;
  for (const c of keys.join('\u0000')) h = Math.imul(h ^ (c.codePointAt(0) as number), 0x01000193);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return (h >>> 0) / 4294967296;
}

export function syntheticPolicy(truths: readonly QueryTruth[], drawMode: DrawMode, salt: number) {
  const byId = new Map(truths.map((t) => [t.query_id, t]));
  const counts: SpendCounts = { requests: 0, samples: 0, tokens: 0, executions: 0 };
  const streamAt = new Map<string, number>();

  const truthOf = (text: string): QueryTruth => {
    const id = /Query (q\d+)\b/.exec(text)?.[1];
    const t = id ? byId.get(id) : undefined;
    if (!t) throw new Error(`synthetic policy: no query in prompt ${JSON.stringify(text.slice(0, 120))}`);
    return t;
  };
  const modeOf = (text: string) =>
    text.includes("Let's write a program.")
      ? 'dictated_code'
      : text.includes("Let's reason step by step.")
        ? 'dictated_cot'
        : 'native';

  const firstRound = (t: QueryTruth, mode: string, u: number, v: number): string => {
    const code = mode === 'dictated_code' || (mode === 'native' && v < t.p_native_code);
    const ok = u < (code ? t.p_code : t.p_cot);
    const value = ok ? t.answer : `${Number(t.answer) + 1}`;
    return code
      ? `\`\`\`python\nprint(${value})\n\`\`\`\n${TOOL_OUTPUT_STOP}`
      : `So it is \\boxed{${value}}.`;
  };

  const generator: Generator = {
    async complete(req): Promise<CompletionResult> {
      counts.requests++;
      const text = decode(req.prompt);
      const t = truthOf(text);
      const mode = modeOf(text);
      const outputs: string[] = [];
      if (text.includes(TOOL_OUTPUT_STOP)) {
        // After the output block: answer with what the program printed.
        const printed = /```output\n([^\n]*)/.exec(text.slice(text.lastIndexOf(TOOL_OUTPUT_STOP)))?.[1] ?? '';
        outputs.push(`The answer is \\boxed{${printed.trim()}}.`);
      } else {
        for (let i = 0; i < req.n; i++) {
          const key = `${t.query_id}/${mode}`;
          let u: number;
          let v: number;
          if (drawMode === 'stream') {
            const j = streamAt.get(key) ?? 0;
            streamAt.set(key, j + 1);
            u = draw(salt, key, j, 'u');
            v = draw(salt, key, j, 'v');
          } else {
            u = draw(salt, req.seed ?? 0, i, 'u');
            v = draw(salt, req.seed ?? 0, i, 'v');
          }
          outputs.push(firstRound(t, mode, u, v));
        }
        counts.samples += req.n;
      }
      const generations = outputs.map((o) => {
        const ids = encode(o);
        counts.tokens += ids.length;
        return {
          text: o,
          token_ids: ids,
          logprobs: ids.map(() => -0.5),
          finish_reason: 'stop' as const,
          stop_reason: o.endsWith(TOOL_OUTPUT_STOP) ? TOOL_OUTPUT_STOP : null,
        };
      });
      return { generations, endpoint: 0 };
    },
    async tokenize(text) {
      return encode(text);
    },
    async tokenizeChat() {
      throw new Error('synthetic policy: raw prompts only');
    },
  };
  const executor: ToolExecutor = {
    async execute(code) {
      counts.executions++;
      return { text: `${/print\(([^)]*)\)/.exec(code)?.[1] ?? ''}\n` };
    },
  };
  return { generator, executor, counts };
}
