import { afterEach, describe, expect, it } from 'vitest';
import { InferenceClient } from '../../engines/rollouts/client';
import { type LoopParams, sampleResponses } from '../../engines/rollouts/tool-loop';
import type { ToolExecutor } from '../../engines/rollouts/tools';
import {
  type CompletionsServer,
  decode,
  EOS_ID,
  encode,
  type Script,
  scriptedLogprob,
  startCompletionsServer,
} from '../helpers/completions-server';
import { pythonExecutor } from '../helpers/python-executor';

const PARAMS: LoopParams = {
  temperature: 1,
  top_p: 0.95,
  max_tokens: 2000,
  max_rounds: 5,
  tool_output_max_chars: 1024,
  stop: [],
};

const rounds = (prompt: string) => prompt.split('```output').length - 1;

let server: CompletionsServer | undefined;
let client: InferenceClient | undefined;
afterEach(async () => {
  client?.close();
  await server?.close();
  server = undefined;
  client = undefined;
});

async function setup(script: Script, opts: { maxModelLen?: number; reportMaxModelLen?: boolean } = {}) {
  server = await startCompletionsServer({ script, ...opts });
  client = new InferenceClient({ urls: [server.url], model: 'scripted', attempts: 1 });
  return { server, client };
}

/** Checks every token's log-prob and mask against the server's scripted values; returns the tool spans. */
function checkAlignment(
  promptLen: number,
  r: { response_token_ids: number[]; behavior_logprobs: number[]; loss_mask: number[] },
) {
  expect(r.behavior_logprobs).toHaveLength(r.response_token_ids.length);
  expect(r.loss_mask).toHaveLength(r.response_token_ids.length);
  r.response_token_ids.forEach((id, j) => {
    if (r.loss_mask[j] === 1)
      expect(r.behavior_logprobs[j], `token ${j}`).toBe(scriptedLogprob(id, promptLen + j));
    else expect(r.behavior_logprobs[j], `tool token ${j}`).toBe(0);
  });
  return decode(r.response_token_ids.filter((_, j) => r.loss_mask[j] === 0));
}

describe('tool loop against a protocol server', () => {
  it('runs code over several rounds, continuing from token ids, with aligned log-probs and a 0 mask on tool tokens', async () => {
    const { server, client } = await setup(({ prompt }) => {
      // What the model writes after the stop string is never seen: generation stops at "```output".
      if (rounds(prompt) === 0) return 'Compute.\n```python\nprint(6*7)\n```\n```output\n41\n```\nnever';
      if (rounds(prompt) === 1) return ' Check.\n```python\nprint(42 + 1)\n```\n```output';
      return ' So the answer is \\boxed{42}.';
    });
    const exec = pythonExecutor();
    const prompt = encode('User: what is 6*7?\nAssistant:');
    const [r] = await sampleResponses(client, exec, prompt, 1, PARAMS);
    if (!r) throw new Error('no response');

    expect(exec.calls).toEqual(['print(6*7)\n', 'print(42 + 1)\n']);
    expect(r.response_text).toBe(
      'Compute.\n```python\nprint(6*7)\n```\n```output\n42\n```\n' +
        ' Check.\n```python\nprint(42 + 1)\n```\n```output\n43\n```\n' +
        ' So the answer is \\boxed{42}.',
    );
    expect(decode(r.response_token_ids)).toBe(r.response_text);
    expect(r.response_token_ids.at(-1)).toBe(EOS_ID);
    expect(r).toMatchObject({ method: 'code', rounds: 3, code_calls: 2, finish_reason: 'stop', error: null });
    expect(checkAlignment(prompt.length, r)).toBe('\n42\n```\n\n43\n```\n');

    // Continuations send the exact ids so far: prompt + model tokens + server-tokenized tool tokens.
    const completions = server.requests
      .filter((q) => q.path === '/v1/completions')
      .map((q) => q.body as Record<string, unknown>);
    expect(completions).toHaveLength(3);
    const firstRound = encode('Compute.\n```python\nprint(6*7)\n```\n```output');
    expect(completions[1]?.prompt).toEqual([...prompt, ...firstRound, ...encode('\n42\n```\n')]);
    for (const c of completions) {
      expect(c).toMatchObject({
        return_token_ids: true,
        include_stop_str_in_output: true,
        logprobs: 0,
        model: 'scripted',
      });
      expect(c.stop).toContain('```output');
    }
    expect(server.requests.filter((q) => q.path === '/tokenize')).toHaveLength(2);
  });

  it('samples n responses in one first-round request and sets each method from its first round', async () => {
    const { server, client } = await setup(({ prompt, index }) => {
      if (rounds(prompt) > 0) return ' \\boxed{7}';
      return index % 2 === 0 ? '```python\nprint(7)\n```\n```output' : 'Seven. \\boxed{7}';
    });
    const rs = await sampleResponses(client, pythonExecutor(), encode('Q'), 4, PARAMS);
    expect(rs.map((r) => r.method)).toEqual(['code', 'cot', 'code', 'cot']);
    expect(rs.map((r) => r.code_calls)).toEqual([1, 0, 1, 0]);
    const firsts = server.requests.filter(
      (q) => q.path === '/v1/completions' && (q.body as { n: number }).n === 4,
    );
    expect(firsts).toHaveLength(1);
    expect(server.requests.filter((q) => q.path === '/v1/completions')).toHaveLength(3);
    for (const r of rs) checkAlignment(1, r);
  });

  it('truncates long tool output to the bound', async () => {
    const { client } = await setup(({ prompt }) =>
      rounds(prompt) === 0 ? "```python\nprint('x' * 5000)\n```\n```output" : ' done',
    );
    const [r] = await sampleResponses(client, pythonExecutor(), encode('Q'), 1, {
      ...PARAMS,
      tool_output_max_chars: 100,
    });
    if (!r) throw new Error('no response');
    const tool = checkAlignment(1, r);
    expect(tool.startsWith('\nxxxxx')).toBe(true);
    expect(tool.endsWith('(output truncated)\n```\n')).toBe(true);
    expect(tool.length).toBe(100 + '\n'.length + '\n```\n'.length);
    expect(r.finish_reason).toBe('stop');
  });

  it('cuts off at max_rounds code calls', async () => {
    const { client } = await setup(() => 'again\n```python\nprint(1)\n```\n```output');
    const exec = pythonExecutor();
    const [r] = await sampleResponses(client, exec, encode('Q'), 1, { ...PARAMS, max_rounds: 2 });
    if (!r) throw new Error('no response');
    expect(r).toMatchObject({ finish_reason: 'max_rounds', code_calls: 2, rounds: 3 });
    expect(exec.calls).toHaveLength(2);
    expect(r.response_text.endsWith('```output')).toBe(true);
    expect(r.loss_mask.at(-1)).toBe(1);
    checkAlignment(1, r);
  });

  it('keeps a whole response, tool tokens included, within max_tokens', async () => {
    const { server, client } = await setup(({ prompt }) =>
      rounds(prompt) === 0 ? '```python\nprint(12345)\n```\n```output' : { text: ' and so on', eos: false },
    );
    const [r] = await sampleResponses(client, pythonExecutor(), encode('Q'), 1, {
      ...PARAMS,
      max_tokens: 40,
    });
    if (!r) throw new Error('no response');
    expect(r.response_token_ids).toHaveLength(40);
    expect(r.finish_reason).toBe('length');
    const second = server.requests.filter((q) => q.path === '/v1/completions')[1]?.body as {
      max_tokens: number;
    };
    const firstLen =
      encode('```python\nprint(12345)\n```\n```output').length + encode('\n12345\n```\n').length;
    expect(second.max_tokens).toBe(40 - firstLen);
    checkAlignment(1, r);
  });

  it('ends a response with an error when the tool executor fails', async () => {
    const { client } = await setup(() => '```python\nprint(2)\n```\n```output');
    const broken: ToolExecutor = { execute: () => Promise.reject(new Error('sandbox worker died')) };
    const [r] = await sampleResponses(client, broken, encode('Q'), 1, PARAMS);
    expect(r).toMatchObject({
      finish_reason: 'error',
      error: 'tool executor failed: sandbox worker died',
      code_calls: 0,
    });
  });

  it('keeps prompt + max_tokens within the context length that /tokenize reports', async () => {
    // Prompt 18 tokens, first round 12, output block 5.
    const script: Script = ({ prompt }) =>
      rounds(prompt) === 0 ? '```python\nprint(2)\n```\n```output' : { text: ' more', eos: false };
    const { server, client } = await setup(script, { maxModelLen: 40 });
    const prompt = await client.tokenize('User: Q\nAssistant:', true);
    expect(prompt).toHaveLength(18);
    const [r] = await sampleResponses(client, pythonExecutor(), prompt, 1, PARAMS);
    expect(r).toMatchObject({ finish_reason: 'length', code_calls: 1, rounds: 2 });
    expect(prompt.length + (r?.response_token_ids.length ?? 0)).toBe(40);
    const sent = server.requests.filter((x) => x.path === '/v1/completions');
    expect(sent.map((q) => (q.body as { max_tokens: number }).max_tokens)).toEqual([22, 5]);
    client.close();
    await server.close();

    // An output block that would not leave room for one more token is not appended.
    const small = await setup(script, { maxModelLen: 32 });
    await small.client.tokenize('User: Q\nAssistant:', true);
    const [t] = await sampleResponses(small.client, pythonExecutor(), prompt, 1, PARAMS);
    expect(t).toMatchObject({ finish_reason: 'length', code_calls: 0, rounds: 1 });
    expect(t?.response_text.endsWith('```output')).toBe(true);
    expect(t?.loss_mask.every((m) => m === 1)).toBe(true);
  });

  it('turns a refused request (HTTP 400) into error responses instead of failing the batch', async () => {
    const { client } = await setup(() => 'never seen', { maxModelLen: 30, reportMaxModelLen: false });
    const rs = await sampleResponses(client, pythonExecutor(), encode('Q'), 2, PARAMS);
    expect(rs).toHaveLength(2);
    for (const r of rs) {
      expect(r.finish_reason).toBe('error');
      expect(r.error).toMatch(
        /\/v1\/completions rejected the request: HTTP 400: This model's maximum context length is 30/,
      );
      expect(r.response_token_ids).toEqual([]);
    }
  });
});
