// The grader's extraction policy per node: the rollouts' reward is strict by default (only marked
// answers pay), the evaluate node's grading lenient (an unmarked final answer counts), and a spec's
// `extraction` changes the grades and the content key. Both kinds run through the kernel on a real
// store, sampling a scripted model over HTTP whose every response ends without a box.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeRequest } from '../../schemas/run';
import type { DatasetRef } from '../../schemas/store';
import { type CompletionsServer, startCompletionsServer } from '../helpers/completions-server';
import { nodeRequestFor } from '../helpers/node-request';

// The store root is read from the environment at import; one sandbox slot is enough (no code runs).
const root = mkdtempSync(join(tmpdir(), 'autocode-extraction-'));
process.env.AUTOCODE_STORE = join(root, 'store');
process.env.AUTOCODE_SANDBOX_SIZE = '1';
const { runNode } = await import('../../nodes/kernel');
const { NODE_KINDS } = await import('../../nodes/registry');
const { writeDataset } = await import('../../engines/store/writer');
const { readRows } = await import('../../engines/store/reader');
const { closeSharedSandboxPool } = await import('../../engines/sandbox/shared');
const { EvaluateParams, RolloutsParams } = await import('../../schemas/nodes');

// Correct, but unmarked: strict finds no answer, lenient takes the last inline math.
const BOXLESS = 'So we get $ 42 $.';

let server: CompletionsServer;
let queries: DatasetRef;

beforeAll(async () => {
  server = await startCompletionsServer({ script: () => BOXLESS });
  queries = await writeDataset(
    { kind: 'queries', key: 'a'.repeat(64), producer: { activity: 'test', version: '1' }, params: {} },
    [
      {
        query_id: 'q0',
        source: 'test/add',
        question: 'What is 40 + 2?',
        answer: '42',
        split: 'test',
        meta: null,
      },
      {
        query_id: 'q1',
        source: 'test/add',
        question: 'What is 41 + 1?',
        answer: '42',
        split: 'test',
        meta: null,
      },
    ],
  );
});

afterAll(async () => {
  await server?.close();
  await closeSharedSandboxPool();
  rmSync(root, { recursive: true, force: true });
});

function served<P>(uses: string, params: P): NodeRequest<P> {
  const req = nodeRequestFor(uses, params, {}, { train: queries });
  return {
    ...req,
    inference: { ...req.inference, urls: [server.url], model: 'scripted', timeout_ms: 10_000 },
    eval: [{ name: 't', queries }],
  };
}

const kindKey = (uses: 'rollouts' | 'evaluate', req: NodeRequest) => {
  const kind = NODE_KINDS[uses];
  return JSON.stringify(kind.identity(req as never).params);
};

describe('extraction policy per node', { timeout: 60_000 }, () => {
  it('rollouts: strict by default (a boxless correct response earns 0); extraction: lenient pays it', async () => {
    const defaults = RolloutsParams.parse({ modes: ['dictated_cot'], samples: 1, max_tokens: 32 });
    expect(defaults.extraction).toBe('strict');
    const strict = await runNode(NODE_KINDS.rollouts, served('rollouts', defaults));
    const strictRows = await readRows(strict.dataset!);
    expect(strictRows.map((r) => [r.response_text, r.reward, r.final_answer])).toEqual([
      [BOXLESS, 0, null],
      [BOXLESS, 0, null],
    ]);

    const lenientParams = RolloutsParams.parse({ ...defaults, extraction: 'lenient' });
    const lenient = await runNode(NODE_KINDS.rollouts, served('rollouts', lenientParams));
    expect(lenient.cached).toBe(false);
    expect(lenient.dataset?.key).not.toBe(strict.dataset?.key);
    expect((await readRows(lenient.dataset!)).map((r) => [r.reward, r.final_answer])).toEqual([
      [1, '42'],
      [1, '42'],
    ]);
    expect(kindKey('rollouts', served('rollouts', defaults))).toContain('"extraction":"strict"');
  });

  it('evaluate: lenient by default (the boxless answer counts); extraction: strict does not', async () => {
    const defaults = EvaluateParams.parse({ modes: ['cot'], max_tokens: 32 });
    expect(defaults.extraction).toBe('lenient');
    const lenient = await runNode(NODE_KINDS.evaluate, served('evaluate', defaults));
    expect(lenient.metrics['t.cot.accuracy']).toBe(1);

    const strictParams = EvaluateParams.parse({ ...defaults, extraction: 'strict' });
    const strict = await runNode(NODE_KINDS.evaluate, served('evaluate', strictParams));
    expect(strict.cached).toBe(false);
    expect(strict.dataset?.key).not.toBe(lenient.dataset?.key);
    expect(strict.metrics['t.cot.accuracy']).toBe(0);
    // The per-set results are keyed by the policy too: neither run reused the other's grades.
    expect(strict.extra?.t?.key).not.toBe(lenient.extra?.t?.key);
  });
});
