import { ApplicationFailure } from '@temporalio/common';
import { afterEach, describe, expect, it } from 'vitest';
import { InferenceClient } from '../../engines/rollouts/client';
import { renderPrompt } from '../../engines/rollouts/prompts';
import { defaultReward } from '../../engines/rollouts/reward';
import { type RolloutQuery, runRolloutShard, type ShardProgress } from '../../engines/rollouts/shard';
import { freePort } from '../../infra/ports';
import { toActivityFailure } from '../../nodes/failure';
import { PromptTemplates, RolloutRow } from '../../schemas/rollout';
import {
  type CompletionsServer,
  encode,
  type Script,
  startCompletionsServer,
} from '../helpers/completions-server';
import { pythonExecutor } from '../helpers/python-executor';

// A scripted policy: prose gets additions wrong by one, code gets them right; native picks by sample.
const policy: Script = ({ prompt, index }) => {
  const m = /What is (\d+) \+ (\d+)\?/.exec(prompt);
  if (!m) return 'I do not know.';
  const [a, b] = [Number(m[1]), Number(m[2])];
  if (prompt.includes('```output')) return ` The answer is \\boxed{${prompt.trim().split('\n').at(-2)}}.`;
  const code = `\`\`\`python\nprint(${a} + ${b})\n\`\`\`\n\`\`\`output`;
  const cot = `${a} plus ${b} is ${a + b + 1}. \\boxed{${a + b + 1}}`;
  if (prompt.includes("Let's write a program.")) return code;
  if (prompt.includes("Let's reason step by step.")) return cot;
  return index < 3 ? code : cot;
};

const QUERIES: RolloutQuery[] = [
  { query_id: 'q-1', question: 'What is 2 + 3?', answer: '5' },
  { query_id: 'q-2', question: 'What is 40 + 2?', answer: '42' },
];

let server: CompletionsServer | undefined;
let client: InferenceClient | undefined;
afterEach(async () => {
  client?.close();
  await server?.close();
});

async function setup() {
  server = await startCompletionsServer({ script: policy });
  client = new InferenceClient({ urls: [server.url], model: 'scripted' });
  return { server, client, deps: { generator: client, executor: pythonExecutor(), reward: defaultReward } };
}

describe('rollout shard (queries × modes × K samples → rows)', () => {
  it('produces one valid row per (query, mode, sample), in order, graded and with the first-round method', async () => {
    const { deps } = await setup();
    const progress: ShardProgress[] = [];
    const rows = await runRolloutShard(
      QUERIES,
      { samples: 4 },
      { iteration: 2, policy: 'ckpt-abc' },
      deps,
      (p) => progress.push(p),
    );
    expect(rows).toHaveLength(2 * 3 * 4);
    for (const row of rows) RolloutRow.parse(row);
    expect(rows.map((r) => `${r.query_id}/${r.mode}/${r.sample}`)).toEqual(
      QUERIES.flatMap((q) =>
        ['dictated_cot', 'dictated_code', 'native'].flatMap((m) =>
          [0, 1, 2, 3].map((s) => `${q.query_id}/${m}/${s}`),
        ),
      ),
    );
    const templates = PromptTemplates.parse({});
    for (const r of rows) {
      const q = QUERIES.find((x) => x.query_id === r.query_id) as RolloutQuery;
      expect(r.prompt_token_ids).toEqual(encode(renderPrompt(templates, q.question, r.mode)));
      expect(r).toMatchObject({ iteration: 2, policy: 'ckpt-abc', error: null, finish_reason: 'stop' });
      const code = r.mode === 'dictated_code' || (r.mode === 'native' && r.sample < 3);
      expect(r.method).toBe(code ? 'code' : 'cot');
      expect(r.code_calls).toBe(code ? 1 : 0);
      expect(r.rounds).toBe(code ? 2 : 1);
      expect(r.reward).toBe(code ? 1 : 0);
      expect(r.final_answer).toBe(code ? q.answer : String(Number(q.answer) + 1));
    }
    expect(progress.map((p) => p.queries_done)).toEqual([1, 2]);
    expect(progress.at(-1)).toEqual({ queries_done: 2, queries: 2, rows: 24 });
  });

  it('renders the prompts from the templates it is given', async () => {
    const { server, deps } = await setup();
    const rows = await runRolloutShard(
      [QUERIES[0] as RolloutQuery],
      {
        samples: 1,
        modes: ['dictated_code'],
        templates: { format: 'chatml', system: 'Be brief.', instructions: { dictated_code: 'Use Python.' } },
      },
      { iteration: 0, policy: 'p' },
      deps,
    );
    const expected =
      '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nWhat is 2 + 3? Use Python.<|im_end|>\n<|im_start|>assistant\n';
    expect(rows[0]?.prompt_token_ids).toEqual(encode(expected));
    expect(server.requests.find((r) => r.path === '/tokenize')?.body).toMatchObject({
      add_special_tokens: false,
    });
  });

  it('stops dictated sampling once the hard-max decision is settled (adaptive budget)', async () => {
    const { server, deps } = await setup();
    const rows = await runRolloutShard(
      [QUERIES[1] as RolloutQuery],
      { samples: 8, adaptive: { enabled: true, chunk: 2 } },
      { iteration: 0, policy: 'p' },
      deps,
    );
    const count = (mode: string) => rows.filter((r) => r.mode === mode).length;
    // Code always right, prose always wrong. Code's floor vs prose's ceiling (K = 8): after 2 each 2/8 vs
    // 6/8, after 4 each 4/8 vs 4/8 (a tie would go to cot: still open), after 6 each 6/8 > 2/8: settled.
    expect(count('dictated_code')).toBe(6);
    expect(count('dictated_cot')).toBe(6);
    expect(count('native')).toBe(8);
    expect(rows.filter((r) => r.mode === 'dictated_cot').map((r) => r.sample)).toEqual([0, 1, 2, 3, 4, 5]);
    const firstRounds = server.requests.filter(
      (r) => r.path === '/v1/completions' && (r.body as { n: number }).n === 2,
    );
    expect(firstRounds).toHaveLength(6);
  });

  it('sends derived seeds when a base seed is set, the same ones on a rerun', async () => {
    const { server, deps } = await setup();
    const params = { samples: 2, seed: 7 };
    const a = await runRolloutShard(QUERIES, params, { iteration: 0, policy: 'p' }, deps);
    const seedsA = server.requests
      .filter((r) => r.path === '/v1/completions')
      .map((r) => (r.body as { seed: number }).seed);
    server.reset();
    const b = await runRolloutShard(QUERIES, params, { iteration: 0, policy: 'p' }, deps);
    const seedsB = server.requests
      .filter((r) => r.path === '/v1/completions')
      .map((r) => (r.body as { seed: number }).seed);
    expect(seedsA.every((s) => Number.isInteger(s))).toBe(true);
    expect(new Set(seedsA).size).toBe(seedsA.length);
    expect([...seedsB].sort()).toEqual([...seedsA].sort());
    expect(b).toEqual(a);
  });

  it('stops on cancellation: rejects with the reason and sends nothing more', async () => {
    const slowServer = await startCompletionsServer({
      script: () => ({ text: 'z', eos: false }),
      tokenDelayMs: 20,
    });
    const c = new InferenceClient({ urls: [slowServer.url], model: 'scripted', concurrency: 2 });
    try {
      const controller = new AbortController();
      const run = runRolloutShard(
        QUERIES,
        { samples: 2, max_tokens: 200 },
        { iteration: 0, policy: 'p' },
        {
          generator: c,
          executor: pythonExecutor(),
          reward: defaultReward,
          signal: controller.signal,
        },
      );
      // Cancel once the first generations are in flight (each takes 200 × 20 ms).
      while (slowServer.requests.filter((r) => r.path === '/v1/completions').length < 2) {
        await new Promise((r) => setTimeout(r, 5));
      }
      controller.abort(new Error('activity cancelled'));
      await expect(run).rejects.toThrow('activity cancelled');
      const sent = slowServer.requests.length;
      await new Promise((r) => setTimeout(r, 100));
      expect(slowServer.requests.length).toBe(sent);
      expect(c.stats.retries).toBe(0);
    } finally {
      c.close();
      await slowServer.close();
    }
  });

  it('rejects bad input with a non-retryable failure naming the query or field', async () => {
    const { server, deps } = await setup();
    const q = QUERIES[0] as RolloutQuery;
    const ctx = { iteration: 0, policy: 'p' };
    const failure = async (p: Promise<unknown>) =>
      toActivityFailure(
        await p.then(
          () => null,
          (e: unknown) => e,
        ),
      );
    const dup = await failure(runRolloutShard([q, q], {}, ctx, deps));
    expect(dup).toBeInstanceOf(ApplicationFailure);
    expect(dup).toMatchObject({ type: 'RolloutInputError', nonRetryable: true });
    expect(dup.message).toBe('rollout shard: query_id q-1 appears twice');
    const bad = await failure(
      runRolloutShard([q], { samples: 0, templates: { format: 'custom' } }, ctx, deps),
    );
    expect(bad.message).toMatch(
      /^rollout params: samples: .*; templates.template: a custom template must contain/,
    );
    expect(server.requests).toHaveLength(0);
  });

  it('maps inference failures: unavailable is retryable, a misconfigured model is not', async () => {
    const { server } = await setup();
    const wrong = new InferenceClient({ urls: [server.url], model: 'other' });
    const dead = new InferenceClient({
      urls: [`http://127.0.0.1:${await freePort()}`],
      model: 'x',
      attempts: 1,
    });
    try {
      const run = (generator: InferenceClient) =>
        runRolloutShard(
          QUERIES,
          { samples: 1 },
          { iteration: 0, policy: 'p' },
          {
            generator,
            executor: pythonExecutor(),
            reward: defaultReward,
          },
        ).then(
          () => null,
          (e: unknown) => toActivityFailure(e),
        );
      // /tokenize does not check the model name; the first completion does (HTTP 404).
      expect(await run(wrong)).toMatchObject({ type: 'InferenceRejected', nonRetryable: true });
      expect(await run(dead)).toMatchObject({ type: 'InferenceUnavailable', nonRetryable: false });
    } finally {
      wrong.close();
      dead.close();
    }
  });
});
