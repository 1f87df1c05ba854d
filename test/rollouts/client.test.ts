import { afterEach, describe, expect, it } from 'vitest';
import { InferenceClient, InferenceError } from '../../engines/rollouts/client';
import { freePort } from '../../infra/ports';
import type { InferenceEndpointsInput } from '../../schemas/rollout';
import {
  type CompletionsServer,
  EOS_ID,
  encode,
  type Fault,
  scriptedLogprob,
  startCompletionsServer,
} from '../helpers/completions-server';

const servers: CompletionsServer[] = [];
const clients: InferenceClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(opts: { fault?: (count: number) => Fault | undefined; tokenDelayMs?: number } = {}) {
  const s = await startCompletionsServer({
    script: ({ index }) => `answer ${index}`,
    tokenDelayMs: opts.tokenDelayMs,
    fault: opts.fault ? ({ count }) => opts.fault?.(count) : undefined,
  });
  servers.push(s);
  return s;
}

function connect(urls: string[], extra: Partial<InferenceEndpointsInput> = {}) {
  const c = new InferenceClient({ urls, model: 'scripted', backoff_ms: 5, backoff_max_ms: 20, ...extra });
  clients.push(c);
  return c;
}

const ask = (c: InferenceClient, n = 1) => c.complete({ prompt: encode('Q: '), n, max_tokens: 64 });

describe('inference client', () => {
  it('returns token ids with aligned log-probs for n choices', async () => {
    const s = await serve();
    const r = await ask(connect([s.url]), 3);
    expect(r.generations.map((g) => g.text)).toEqual(['answer 0', 'answer 1', 'answer 2']);
    const promptLen = encode('Q: ').length;
    for (const g of r.generations) {
      expect(g.token_ids).toEqual([...encode(g.text), EOS_ID]);
      expect(g.logprobs).toEqual(g.token_ids.map((id, j) => scriptedLogprob(id, promptLen + j)));
      expect(g).toMatchObject({ finish_reason: 'stop', stop_reason: null });
    }
  });

  it('retries after injected 5xx answers', async () => {
    const s = await serve({ fault: (n) => (n <= 2 ? { status: 503, message: 'overloaded' } : undefined) });
    const c = connect([s.url]);
    const r = await ask(c);
    expect(r.generations[0]?.text).toBe('answer 0');
    expect(s.requests).toHaveLength(3);
    expect(c.stats.retries).toBe(2);
  });

  it('retries after a connection reset and after a socket destroyed mid-response', async () => {
    const s = await serve({ fault: (n) => (n === 1 ? 'reset' : n === 2 ? 'drop-mid-body' : undefined) });
    const c = connect([s.url]);
    expect((await ask(c)).generations[0]?.text).toBe('answer 0');
    expect(s.requests).toHaveLength(3);
    expect(c.stats.retries).toBe(2);
  });

  it('times out a request that never answers and retries it', async () => {
    const s = await serve({ fault: (n) => (n === 1 ? 'hang' : undefined) });
    const c = connect([s.url], { timeout_ms: 300 });
    const t0 = Date.now();
    expect((await ask(c)).generations[0]?.text).toBe('answer 0');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    expect(s.requests).toHaveLength(2);
  });

  it('gives up after the attempts with an error that says why', async () => {
    const s = await serve({ fault: () => 'hang' });
    const c = connect([s.url], { timeout_ms: 100, attempts: 2 });
    const err = await ask(c).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InferenceError);
    expect((err as InferenceError).kind).toBe('unavailable');
    expect((err as Error).message).toMatch(/after 2 attempts: .*no complete answer within 100 ms/);
  });

  it('fails over to the next endpoint when one is down, and keeps sending there', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const s = await serve();
    const c = connect([dead, s.url]);
    for (let i = 0; i < 5; i++) expect((await ask(c)).endpoint).toBe(1);
    // The dead endpoint was tried once, then rested: every request reached the live one.
    expect(s.requests).toHaveLength(5);
    expect(c.stats.retries).toBe(1);
  });

  it('fails over from an endpoint that answers 500', async () => {
    const bad = await serve({ fault: () => ({ status: 500 }) });
    const good = await serve();
    const c = connect([bad.url, good.url]);
    const results = await Promise.all(Array.from({ length: 6 }, () => ask(c)));
    expect(results.every((r) => r.endpoint === 1)).toBe(true);
    expect(good.requests).toHaveLength(6);
    expect(bad.requests.length).toBeGreaterThanOrEqual(1);
  });

  it('keeps at most `concurrency` requests in flight per endpoint', async () => {
    const a = await serve({ tokenDelayMs: 2 });
    const b = await serve({ tokenDelayMs: 2 });
    const c = connect([a.url, b.url], { concurrency: 3 });
    await Promise.all(Array.from({ length: 24 }, () => ask(c)));
    expect(a.maxInFlight).toBe(3);
    expect(b.maxInFlight).toBe(3);
    expect(a.requests.length + b.requests.length).toBe(24);
  });

  it('does not queue tokenize requests behind generations that hold every slot', async () => {
    const s = await startCompletionsServer({ script: () => ({ text: 'z', eos: false }), tokenDelayMs: 50 });
    servers.push(s);
    const c = connect([s.url], { concurrency: 1 });
    const order: string[] = [];
    // Holds the only generation slot for about a second.
    const slow = c.complete({ prompt: encode('Q'), max_tokens: 20 }).then(() => order.push('generation'));
    const tok = c.tokenize('```python', false).then((ids) => {
      order.push('tokenize');
      return ids;
    });
    expect(await tok).toEqual(encode('```python'));
    await slow;
    expect(order).toEqual(['tokenize', 'generation']);
  });

  it('names the endpoint when nothing listens there', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const c = connect([url], { attempts: 2 });
    const err = await ask(c).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InferenceError);
    expect((err as Error).message).toContain(url);
    expect((err as Error).message).toMatch(/ECONNREFUSED/);
  });

  it('does not retry a request the server rejects (4xx), and says which endpoint rejected it', async () => {
    const s = await serve();
    const c = new InferenceClient({ urls: [s.url], model: 'no-such-model' });
    clients.push(c);
    const err = (await ask(c).catch((e: unknown) => e)) as InferenceError;
    expect(err.kind).toBe('rejected');
    expect(err.status).toBe(404);
    expect(err.requestRejected).toBe(false);
    expect(err.message).toBe(
      `${s.url}/v1/completions rejected the request: HTTP 404: The model \`no-such-model\` does not exist.`,
    );
    expect(s.requests).toHaveLength(1);
  });

  it('reports a server that does not return token ids as a protocol error', async () => {
    const { createServer } = await import('node:http');
    const plain = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          id: 'x',
          object: 'text_completion',
          created: 0,
          model: 'scripted',
          choices: [{ index: 0, text: 'hi', finish_reason: 'stop', logprobs: null }],
          usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
        }),
      );
    });
    await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
    const port = (plain.address() as { port: number }).port;
    try {
      const err = (await ask(connect([`http://127.0.0.1:${port}/v1`])).catch(
        (e: unknown) => e,
      )) as InferenceError;
      expect(err.kind).toBe('protocol');
      expect(err.message).toMatch(/no token_ids \(the server must support return_token_ids\)/);
    } finally {
      plain.close();
    }
  });
});
