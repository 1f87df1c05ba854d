import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type MethodTally, settledDecision } from '../../engines/rollouts/adaptive';
import { boundOutput, lastPythonBlock, methodOf } from '../../engines/rollouts/code';
import { EndpointPool } from '../../engines/rollouts/endpoints';
import { readGenerations } from '../../engines/rollouts/parse';
import { addSpecialTokens, renderPrompt } from '../../engines/rollouts/prompts';
import { defaultReward, extractAnswer, lastBoxed, toNumber } from '../../engines/rollouts/reward';
import { PromptTemplates, ROLLOUT_COLUMNS, RolloutParams, RolloutRow } from '../../schemas/rollout';

describe('default reward', () => {
  it('takes the last \\boxed{} (balanced braces), else the last number', () => {
    expect(lastBoxed('\\boxed{1} then \\boxed{\\frac{1}{2}}')).toBe('\\frac{1}{2}');
    expect(extractAnswer('first 3, then 4,000 apples')).toBe('4,000');
    expect(extractAnswer('no digits')).toBeNull();
  });

  it('compares numbers after normalisation, else text', () => {
    expect(toNumber('4,000')).toBe(4000);
    expect(toNumber('$12.50')).toBe(12.5);
    expect(toNumber('\\frac{3}{4}')).toBe(0.75);
    expect(toNumber('-3/4')).toBe(-0.75);
    expect(toNumber('x+1')).toBeNull();
    expect(defaultReward('4000', 'so \\boxed{4,000}')).toEqual({ reward: 1, final_answer: '4,000' });
    expect(defaultReward('0.75', 'it is \\boxed{\\frac{3}{4}}').reward).toBe(1);
    expect(defaultReward('5', 'The answer is 6.').reward).toBe(0);
    expect(defaultReward('x + 1', '\\boxed{x+1}').reward).toBe(1);
    expect(defaultReward('5', 'no answer')).toEqual({ reward: 0, final_answer: null });
  });
});

describe('tool-call text', () => {
  it('finds the last python block and the method of the first round', () => {
    const text = '```python\nprint(1)\n```\n```output\n1\n```\n```python\nx = 2\nprint(x)\n```\n```output';
    expect(lastPythonBlock(text)).toBe('x = 2\nprint(x)\n');
    expect(lastPythonBlock('no code')).toBeNull();
    expect(methodOf('Let me think. 2 + 2 = 4.')).toBe('cot');
    expect(methodOf('```python\nprint(4)\n```')).toBe('code');
  });

  it('bounds output and marks the cut', () => {
    expect(boundOutput('short\n\n', 50)).toBe('short');
    const cut = boundOutput('y'.repeat(500), 64);
    expect(cut).toHaveLength(64);
    expect(cut.endsWith('(output truncated)')).toBe(true);
  });
});

describe('prompts', () => {
  const t = PromptTemplates.parse({});
  it('uses the paper defaults: base template and dictation suffixes', () => {
    expect(renderPrompt(t, 'What is {x}?', 'dictated_cot')).toBe(
      "User: What is {x}? Let's reason step by step.\nAssistant:",
    );
    expect(renderPrompt(t, 'Q', 'dictated_code')).toBe("User: Q Let's write a program.\nAssistant:");
    expect(renderPrompt(t, 'Q', 'native')).toBe('User: Q\nAssistant:');
    expect(addSpecialTokens(t)).toBe(true);
  });

  it('validates custom templates and fills an {instruction} slot', () => {
    expect(() => PromptTemplates.parse({ format: 'custom', template: 'no slot' })).toThrow(
      /must contain \{question\}/,
    );
    const c = PromptTemplates.parse({ format: 'custom', template: '[{instruction}] {question} =>' });
    expect(renderPrompt(c, 'Q', 'dictated_code')).toBe("[Let's write a program.] Q =>");
    expect(addSpecialTokens(c)).toBe(false);
    expect(() => RolloutParams.parse({ modes: ['dictated_prose'] })).toThrow();
  });
});

describe('rollout row schema', () => {
  it('lists every column, in the DESIGN order, and checks the aligned arrays', () => {
    expect(ROLLOUT_COLUMNS).toEqual(Object.keys(RolloutRow.shape));
    const row = {
      query_id: 'q',
      iteration: 0,
      mode: 'native',
      sample: 0,
      method: 'cot',
      rounds: 1,
      code_calls: 0,
      prompt_token_ids: [1],
      response_text: 'a',
      response_token_ids: [5, 6],
      behavior_logprobs: [-0.1],
      loss_mask: [1, 1],
      final_answer: null,
      reward: 0,
      finish_reason: 'stop',
      policy: 'p',
      error: null,
    };
    expect(() => RolloutRow.parse(row)).toThrow(/must have equal lengths/);
    expect(RolloutRow.parse({ ...row, behavior_logprobs: [-0.1, -0.2] }).sample).toBe(0);
  });
});

describe('adaptive budget (hard-max decision settled)', () => {
  it('settles on the obvious cases and stays open otherwise', () => {
    expect(settledDecision({ n: 4, reward_sum: 4 }, { n: 4, reward_sum: 0 }, 8)).toBe('cot'); // 4/8 >= 4/8: tie → cot
    expect(settledDecision({ n: 4, reward_sum: 0 }, { n: 4, reward_sum: 4 }, 8)).toBeNull();
    expect(settledDecision({ n: 6, reward_sum: 0 }, { n: 6, reward_sum: 6 }, 8)).toBe('code');
    expect(settledDecision({ n: 0, reward_sum: 0 }, { n: 0, reward_sum: 0 }, 8)).toBeNull();
    expect(() => settledDecision({ n: 9, reward_sum: 0 }, { n: 0, reward_sum: 0 }, 8)).toThrow(/budget of 8/);
  });

  const decide = (cot: number, code: number) => (cot >= code ? 'cot' : 'code');
  it('never settles on a decision that the remaining samples could reverse, and always settles at K', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }).chain((k) =>
          fc.record({
            k: fc.constant(k),
            cot: fc.array(fc.integer({ min: 0, max: 1 }), { minLength: k, maxLength: k }),
            code: fc.array(fc.integer({ min: 0, max: 1 }), { minLength: k, maxLength: k }),
            nCot: fc.integer({ min: 0, max: k }),
            nCode: fc.integer({ min: 0, max: k }),
          }),
        ),
        ({ k, cot, code, nCot, nCode }) => {
          const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
          const tally = (xs: number[], n: number): MethodTally => ({ n, reward_sum: sum(xs.slice(0, n)) });
          const settled = settledDecision(tally(cot, nCot), tally(code, nCode), k);
          // The decision on all K samples, whatever the untaken ones turned out to be.
          if (settled !== null) expect(settled).toBe(decide(sum(cot), sum(code)));
          expect(settledDecision(tally(cot, k), tally(code, k), k)).toBe(decide(sum(cot), sum(code)));
          // And the estimate on the samples taken agrees (when both were sampled).
          if (settled !== null && nCot > 0 && nCode > 0) {
            expect(decide(sum(cot.slice(0, nCot)) / nCot, sum(code.slice(0, nCode)) / nCode)).toBe(settled);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('endpoint pool', () => {
  it('bounds slots, queues waiters, rests a failed endpoint and probes it one request at a time', async () => {
    const pool = new EndpointPool(['http://127.0.0.1:1', 'http://127.0.0.1:2'], 2, { base: 40, max: 40 });
    try {
      const slots = await Promise.all([pool.acquire(), pool.acquire(), pool.acquire(), pool.acquire()]);
      expect(slots.map((e) => e.index).sort()).toEqual([0, 0, 1, 1]);
      let fifth: number | undefined;
      const waiting = pool.acquire().then((e) => {
        fifth = e.index;
        return e;
      });
      await new Promise((r) => setTimeout(r, 10));
      expect(fifth).toBeUndefined();
      const ep0 = pool.endpoints[0];
      if (!ep0) throw new Error('no endpoint 0');
      pool.release(ep0);
      expect((await waiting).index).toBe(0);
      expect(pool.endpoints.map((e) => e.inFlight)).toEqual([2, 2]);

      // Endpoint 1 fails: while it rests, new requests go to endpoint 0 only.
      for (const e of pool.endpoints) {
        pool.release(e);
        pool.release(e);
      }
      const one = pool.endpoints[1];
      if (!one) throw new Error('no endpoint 1');
      pool.failed(one);
      const during = await Promise.all([pool.acquire(), pool.acquire()]);
      expect(during.map((e) => e.index)).toEqual([0, 0]);
      for (const e of during) pool.release(e);
      // After the rest it gets one probe while endpoint 0 is busy; a success restores its capacity.
      await new Promise((r) => setTimeout(r, 50));
      const busy = await Promise.all([pool.acquire(), pool.acquire()]);
      const probe = await pool.acquire();
      expect(probe.index).toBe(1);
      let extra: number | undefined;
      void pool.acquire().then((e) => {
        extra = e.index;
      });
      await new Promise((r) => setTimeout(r, 10));
      expect(extra).toBeUndefined();
      pool.succeeded(probe);
      pool.release(probe);
      await new Promise((r) => setTimeout(r, 5));
      expect(extra).toBe(1);
      for (const e of busy) pool.release(e);
    } finally {
      pool.close();
    }
  });
});

describe('completion answers', () => {
  const choice = (index: number, extra: Record<string, unknown> = {}) => ({
    index,
    text: 'ab',
    finish_reason: 'stop',
    stop_reason: '```output',
    token_ids: [5, 6],
    logprobs: { tokens: ['a', 'b'], token_logprobs: [-0.5, -0.25] },
    ...extra,
  });
  it('orders choices by index and keeps ids with their log-probs', () => {
    const g = readGenerations({ choices: [choice(1, { token_ids: [7, 8] }), choice(0)] }, 2);
    expect(g.map((x) => x.token_ids)).toEqual([
      [5, 6],
      [7, 8],
    ]);
    expect(g[0]).toMatchObject({ logprobs: [-0.5, -0.25], stop_reason: '```output', finish_reason: 'stop' });
  });
  it('names what is outside the protocol', () => {
    expect(() => readGenerations({ choices: [choice(0)] }, 2)).toThrow('asked for n=2 choices, got 1');
    expect(() => readGenerations({ choices: [choice(0), choice(0)] }, 2)).toThrow('choice 0 appears twice');
    expect(() => readGenerations({ choices: [choice(0, { token_ids: [5] })] }, 1)).toThrow(
      'choice 0: 1 token_ids but 2 log-probs',
    );
    expect(() => readGenerations({ choices: [choice(0, { logprobs: null })] }, 1)).toThrow(
      'no logprobs.token_logprobs',
    );
    const nan = { tokens: ['a', 'b'], token_logprobs: [-0.5, null] };
    expect(() => readGenerations({ choices: [choice(0, { logprobs: nan })] }, 1)).toThrow(
      'log-prob 1 is null',
    );
    expect(() => readGenerations({ choices: [choice(0, { finish_reason: null })] }, 1)).toThrow(
      'finish_reason null',
    );
    expect(() => readGenerations({ choices: [choice(0, { token_ids: [5, -1] })] }, 1)).toThrow(
      'token id 1 is -1',
    );
  });
});
