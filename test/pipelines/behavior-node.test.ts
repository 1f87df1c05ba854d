// The behavior_logprobs node in the specs and the iteration's wiring: synthesize -> behavior_logprobs
// -> policy_update, the update taking the rescored train set. Pure code: the specs as committed and
// the request the iteration workflow sends (the em-run integration test runs it for real).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../infra/paths';
import { applyOverrides, loadSpec, readSpecFile, resolveSpecPath } from '../../pipelines/load';
import { SpecError, validateSpec } from '../../pipelines/validate';
import { nodeResult } from '../../schemas/node-result';
import { BehaviorParams } from '../../schemas/nodes';
import { NodeRequest } from '../../schemas/run';
import { nodeRequest } from '../../workflows/common';
import { fakeRef, nodeRequestFor } from '../helpers/node-request';

const ref = (c: string) => fakeRef(c, 'train', 7);
const request = (uses: string, params: Record<string, unknown>, inputs: NodeRequest['inputs']) =>
  nodeRequestFor(uses, params, inputs, {
    policy: { uri: '/store/checkpoints/start', key: 'start-key' },
    train: ref('0'),
  });

describe('behavior_logprobs node', () => {
  it('sits between synthesize and the update in every committed spec, with the documented defaults', () => {
    for (const f of readdirSync(join(ROOT, 'pipelines')).filter((n) => n.endsWith('.yaml'))) {
      const nodes = loadSpec(join(ROOT, 'pipelines', f)).iteration.nodes;
      const behavior = nodes.filter((n) => n.uses === 'behavior_logprobs');
      const update = nodes.find((n) => n.uses === 'policy_update');
      expect(behavior, f).toHaveLength(1);
      expect(behavior[0]!.queue).toBe('gpu');
      expect(behavior[0]!.output).toBe('train');
      expect(nodes.find((n) => n.id === behavior[0]!.needs[0])?.uses, f).toBe('synthesize');
      expect(update?.needs, f).toEqual([behavior[0]!.id]);
      // The authors': every pair rescored; drift above 0.5 nats on more than 2% of tokens fails.
      expect(behavior[0]!.params).toEqual({
        device: 'auto',
        dtype: 'auto',
        micro_batch_size: 16,
        rescore_rows: 'all',
        drift_threshold: 0.5,
        drift_limit: 0.02,
      });
    }
  });

  it('needs one train producer and validates its parameters by path', () => {
    const raw = readSpecFile(resolveSpecPath('tiny'));
    const bad = applyOverrides(raw, {
      'iteration.nodes': [
        { id: 'behavior', uses: 'behavior_logprobs', with: { drift_limit: 2, rescore_rows: 'some' } },
      ],
    });
    let issues: { path: string; message: string }[] = [];
    try {
      validateSpec(bad);
    } catch (err) {
      if (!(err instanceof SpecError)) throw err;
      issues = err.issues;
    }
    expect(issues.map((i) => i.path)).toEqual([
      'iteration.nodes[0].with.rescore_rows',
      'iteration.nodes[0].with.drift_limit',
      'iteration.nodes[0].needs',
    ]);
    expect(issues[2]!.message).toBe("'behavior_logprobs' needs 1..1 train producers, got 0");
  });

  it('reaches the Python worker as a NodeRequest of the exported wire type, its parameters parsed', () => {
    const spec = loadSpec('tiny');
    const node = (id: string) => spec.iteration.nodes.find((n) => n.id === id)!;
    const synth = nodeResult({ node_id: 'synthesize', uses: 'synthesize' }, 'train', { dataset: ref('a') });
    const base = request('behavior_logprobs', {}, {});
    const breq = nodeRequest(base, node('behavior'), { synthesize: synth });
    // Strict wire type: exactly what gpu/src/autocode_gpu/nodes.py validates (unknown keys fail there).
    expect(NodeRequest.parse(breq)).toEqual(breq);
    expect(breq.params).toEqual(BehaviorParams.parse({}));
    expect(breq.inputs.synthesize?.dataset).toEqual(ref('a'));
    const ureq = nodeRequest(base, node('update'), {});
    expect(NodeRequest.parse(ureq).uses).toBe('policy_update');
  });
});
