// Reads a /v1/completions answer into generations. A hand-written check of only the fields the engine
// uses: a full zod parse of every answer cost as much CPU as JSON.parse itself (~0.8 ms per 2k tokens).
/** One sampled continuation as the completions endpoint returned it. */
export interface Generation {
  text: string;
  token_ids: number[];
  logprobs: number[];
  finish_reason: 'stop' | 'length';
  /** The stop string that ended it (null: EOS or length). */
  stop_reason: string | number | null;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Throws a message (without the endpoint) on anything outside the protocol. */
export function readGenerations(json: unknown, n: number): Generation[] {
  if (!isObj(json) || !Array.isArray(json.choices)) throw new Error('no choices list');
  const choices = json.choices as unknown[];
  if (choices.length !== n) throw new Error(`asked for n=${n} choices, got ${choices.length}`);
  const out: Generation[] = new Array(n);
  for (const c of choices) {
    if (!isObj(c) || !Number.isInteger(c.index) || (c.index as number) < 0 || (c.index as number) >= n) {
      throw new Error('a choice without a valid index');
    }
    const i = c.index as number;
    if (out[i]) throw new Error(`choice ${i} appears twice`);
    out[i] = readChoice(c, i);
  }
  return out;
}

function readChoice(c: Obj, i: number): Generation {
  if (typeof c.text !== 'string') throw new Error(`choice ${i} has no text`);
  if (c.finish_reason !== 'stop' && c.finish_reason !== 'length') {
    throw new Error(`choice ${i} has finish_reason ${JSON.stringify(c.finish_reason)}`);
  }
  const ids = c.token_ids;
  if (!Array.isArray(ids))
    throw new Error(`choice ${i} has no token_ids (the server must support return_token_ids)`);
  const lps = isObj(c.logprobs) ? c.logprobs.token_logprobs : undefined;
  if (!Array.isArray(lps)) throw new Error(`choice ${i} has no logprobs.token_logprobs`);
  if (lps.length !== ids.length)
    throw new Error(`choice ${i}: ${ids.length} token_ids but ${lps.length} log-probs`);
  for (let j = 0; j < ids.length; j++) {
    const id = ids[j];
    if (!Number.isInteger(id) || (id as number) < 0) throw new Error(`choice ${i}: token id ${j} is ${id}`);
    const lp = lps[j];
    if (typeof lp !== 'number' || !Number.isFinite(lp))
      throw new Error(`choice ${i}: log-prob ${j} is ${lp}`);
  }
  const stop = c.stop_reason;
  return {
    text: c.text,
    token_ids: ids as number[],
    logprobs: lps as number[],
    finish_reason: c.finish_reason,
    stop_reason: typeof stop === 'string' || typeof stop === 'number' ? stop : null,
  };
}
