// The prompt format over real HTTP against the protocol test server: chat sends [system?, user] messages
// to /tokenize and takes the returned ids as prompt_token_ids; its stop strings reach /v1/completions;
// a model without a chat template fails for good naming prompt.format; raw sends what it always sent.
import { ApplicationFailure } from '@temporalio/common';
import { afterEach, describe, expect, it } from 'vitest';
import { InferenceClient } from '../../engines/rollouts/client';
import { defaultReward } from '../../engines/rollouts/reward';
import { type RolloutQuery, runRolloutShard } from '../../engines/rollouts/shard';
import { toActivityFailure } from '../../nodes/failure';
import type { ChatMessage } from '../../schemas/inference';
import { PromptSpec, QWEN_MATH_TIR_SYSTEM } from '../../schemas/prompt';
import {
  type CompletionsServer,
  encode,
  type Script,
  startCompletionsServer,
} from '../helpers/completions-server';
import { pythonExecutor } from '../helpers/python-executor';

// ChatML, as Qwen's tokenizers render it.
const chatml = (messages: ChatMessage[], gen: boolean) =>
  messages.map((m) => `<|im_start|>${m.role}\n${m.content}<|im_end|>\n`).join('') +
  (gen ? '<|im_start|>assistant\n' : '');

const policy: Script = ({ prompt }) =>
  prompt.includes('```output')
    ? ' \\boxed{5}'
    : prompt.includes("Let's write a program.")
      ? '```python\nprint(2 + 3)\n```\n```output'
      : '2 + 3 = 5. \\boxed{5}';

const Q: RolloutQuery = { query_id: 'q-1', question: 'What is 2 + 3?', answer: '5' };
const CTX = { iteration: 0, policy: 'p' };

let server: CompletionsServer | undefined;
let client: InferenceClient | undefined;
afterEach(async () => {
  client?.close();
  await server?.close();
});

async function setup(chatTemplate?: typeof chatml) {
  server = await startCompletionsServer({ script: policy, ...(chatTemplate ? { chatTemplate } : {}) });
  client = new InferenceClient({ urls: [server.url], model: 'scripted', attempts: 1 });
  return { server, deps: { generator: client, executor: pythonExecutor(), reward: defaultReward } };
}

const bodies = (s: CompletionsServer, path: string) =>
  s.requests.filter((r) => r.path === path).map((r) => r.body as Record<string, unknown>);

describe('prompt format', () => {
  it('chat (the qwen25_math preset): messages to /tokenize, their ids as the prompt, the preset stops sent', async () => {
    const { server, deps } = await setup(chatml);
    const rows = await runRolloutShard(
      [Q],
      { samples: 2, modes: ['dictated_code', 'native'], prompt: { preset: 'qwen25_math' } },
      CTX,
      deps,
    );
    // One /tokenize per mode for the prompt (plus one per output block); the dictation suffix is in the
    // user message after the question, native has none.
    const chats = bodies(server, '/tokenize').filter((b) => 'messages' in b);
    expect(chats).toHaveLength(2);
    const code = `${Q.question} Let's write a program.`;
    expect(chats).toContainEqual({
      model: 'scripted',
      add_generation_prompt: true,
      messages: [
        { role: 'system', content: QWEN_MATH_TIR_SYSTEM },
        { role: 'user', content: code },
      ],
    });
    expect(chats.map((c) => (c.messages as ChatMessage[])[1]?.content).sort()).toEqual([Q.question, code]);
    // The rendered text written out by hand.
    const system = `<|im_start|>system\n${QWEN_MATH_TIR_SYSTEM}<|im_end|>\n`;
    const want = (user: string) =>
      encode(`${system}<|im_start|>user\n${user}<|im_end|>\n<|im_start|>assistant\n`);
    for (const r of rows) {
      expect(r.prompt_token_ids).toEqual(want(r.mode === 'native' ? Q.question : code));
      expect(r.error).toBeNull();
    }
    expect(rows.filter((r) => r.mode === 'dictated_code').map((r) => r.reward)).toEqual([1, 1]);
    const completions = bodies(server, '/v1/completions');
    for (const b of completions) expect(b.stop).toEqual(['```output', '<|im_end|>', '<|endoftext|>']);
    // First rounds send exactly the ids /tokenize returned.
    const firsts = completions.filter((b) => b.n === 2).map((b) => b.prompt);
    expect(firsts).toContainEqual(want(code));
    expect(firsts).toContainEqual(want(Q.question));
  });

  it('chat without a system message sends the user message alone', async () => {
    const { server, deps } = await setup(chatml);
    await runRolloutShard(
      [Q],
      { samples: 1, modes: ['dictated_cot'], prompt: { format: 'chat' } },
      CTX,
      deps,
    );
    const chat = bodies(server, '/tokenize').find((b) => 'messages' in b);
    expect(chat?.messages).toEqual([{ role: 'user', content: `${Q.question} Let's reason step by step.` }]);
    expect(bodies(server, '/v1/completions')[0]?.stop).toEqual(['```output']);
  });

  it('chat against a model without a chat template fails for good, naming prompt.format', async () => {
    const { server, deps } = await setup();
    const err = await runRolloutShard([Q], { samples: 1, prompt: { format: 'chat' } }, CTX, deps).then(
      () => null,
      (e: unknown) => toActivityFailure(e),
    );
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'InferenceRejected', nonRetryable: true });
    expect(err?.message).toMatch(/prompt\.format is chat.*chat_template is not set/);
    expect(bodies(server, '/v1/completions')).toHaveLength(0);
  });

  it('raw sends the text prompt and only the tool stop when no prompt is given; extra stops reach the request', async () => {
    const { server, deps } = await setup(chatml);
    await runRolloutShard([Q], { samples: 1, modes: ['native'] }, CTX, deps);
    expect(bodies(server, '/tokenize')[0]).toEqual({
      model: 'scripted',
      prompt: 'User: What is 2 + 3?\nAssistant:',
      add_special_tokens: true,
    });
    expect(bodies(server, '/v1/completions')[0]?.stop).toEqual(['```output']);
    server.reset();
    await runRolloutShard(
      [Q],
      { samples: 1, modes: ['native'], stop: ['\n\nUser:'], prompt: { stop: ['</s>', '\n\nUser:'] } },
      CTX,
      deps,
    );
    expect(bodies(server, '/tokenize')[0]).toHaveProperty('prompt');
    expect(bodies(server, '/v1/completions')[0]?.stop).toEqual(['```output', '\n\nUser:', '</s>']);
  });

  it('validates the prompt spec, naming the field', () => {
    const issue = (input: unknown) => {
      const r = PromptSpec.safeParse(input);
      return r.success ? null : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    };
    expect(issue({ preset: 'qwen3' })).toMatch(
      /^preset: unknown prompt preset "qwen3"; known: raw, qwen25_math/,
    );
    expect(issue({ format: 'raw', system: 'x' })).toMatch(/^system: a system message needs format chat/);
    expect(issue({ preset: 'qwen25_math', format: 'raw' })).toMatch(/^system:/);
    expect(issue({ preset: 'qwen25_math', format: 'raw', system: null })).toBeNull();
    expect(issue({ template: 'x' })).toMatch(/template/);
  });
});
