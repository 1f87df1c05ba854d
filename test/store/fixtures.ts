// Deterministic test rows for every dataset kind (float values are float32-exact so they survive).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contentKey } from '../../engines/store';
import type { Row } from '../../schemas/datasets';

export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = 'the sum of two numbers is \\boxed{12} so we write a program print ( ) 3.5 × ünï 数学 😀'.split(
  ' ',
);

export function text(r: () => number, words: number): string {
  const out: string[] = [];
  for (let i = 0; i < words; i++) out.push(WORDS[Math.floor(r() * WORDS.length)] as string);
  return out.join(' ');
}

export function rolloutRow(r: () => number, i: number, opts: { tokens?: number; words?: number } = {}): Row {
  const n = opts.tokens ?? 1 + Math.floor(r() * 40);
  return {
    query_id: `q${i % 97}`,
    iteration: i % 3,
    mode: ['dictated_cot', 'dictated_code', 'native'][i % 3],
    sample: i % 8,
    method: i % 11 === 0 ? null : i % 2 ? 'code' : 'cot',
    rounds: 1 + (i % 5),
    code_calls: i % 4,
    prompt_token_ids: Array.from({ length: 5 + (i % 7) }, () => Math.floor(r() * 50_000)),
    response_text: text(r, opts.words ?? 5 + Math.floor(r() * 30)),
    response_token_ids: Array.from({ length: n }, () => Math.floor(r() * 50_000)),
    behavior_logprobs: Array.from({ length: n }, () => Math.fround(-r() * 8)),
    loss_mask: Array.from({ length: n }, () => (r() < 0.9 ? 1 : 0)),
    final_answer: i % 13 === 0 ? null : String(i % 17),
    reward: i % 2,
    finish_reason: i % 9 === 0 ? 'length' : 'stop',
    policy: 'p0',
    error: i % 29 === 0 ? 'sandbox timeout' : null,
  };
}

export function tempStore(): { root: string; cleanup(): void } {
  const root = mkdtempSync(join(tmpdir(), 'autocode-store-'));
  return { root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

export const PRODUCER = { activity: 'testRollouts', version: '1' };

export function keyFor(params: Record<string, unknown>): string {
  return contentKey({ producer: PRODUCER, params });
}
