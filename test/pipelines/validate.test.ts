import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../infra/paths';
import { applyOverrides, loadSpec, parseSpecText, readSpecFile, resolveSpecPath } from '../../pipelines/load';
import { findCycle, type ResolvedNode, SpecError, validateSpec } from '../../pipelines/validate';

const tiny = () => readSpecFile(resolveSpecPath('tiny')) as Record<string, unknown>;

function issuesOf(raw: unknown, opts = {}): { path: string; message: string }[] {
  try {
    validateSpec(raw, opts);
  } catch (err) {
    if (err instanceof SpecError) return err.issues;
    throw err;
  }
  return [];
}

/** The prompt parameter of a prompted node (rollouts, evaluate). */
const promptOf = (n: ResolvedNode | undefined) => (n?.params as { prompt?: unknown } | undefined)?.prompt;

describe('pipeline specs', () => {
  it('every committed spec under pipelines/ is valid', () => {
    const specs = readdirSync(join(ROOT, 'pipelines')).filter((f) => f.endsWith('.yaml'));
    expect(specs.sort()).toEqual([
      'ablation-no-reflective.yaml',
      'ablation-plain-rl.yaml',
      'autocode.yaml',
      'code4math.yaml',
      'tiny-no-reflective.yaml',
      'tiny-plain-rl.yaml',
      'tiny.yaml',
    ]);
    for (const f of specs) expect(() => loadSpec(join(ROOT, 'pipelines', f)), f).not.toThrow();
  });

  it('fills node parameters from defaults, then the node, then the activity', () => {
    const spec = loadSpec('tiny');
    const cot = spec.iteration.nodes.find((n) => n.id === 'rollouts_cot');
    expect(cot?.params).toMatchObject({
      modes: ['dictated_cot'],
      samples: 4,
      max_tokens: 64,
      top_p: 0.95,
      max_rounds: 2,
    });
    expect(spec.iteration.nodes.find((n) => n.id === 'update')?.queue).toBe('gpu');
    const ablation = loadSpec('ablation-no-reflective');
    expect(ablation.iteration.nodes.find((n) => n.uses === 'synthesize')?.params.reflective).toBe(false);
  });

  it('applies the spec-level prompt to every rollouts and evaluate node: Qwen2.5-Math chat for autocode, raw for tiny', () => {
    for (const name of ['autocode', 'ablation-no-reflective', 'ablation-plain-rl']) {
      const spec = loadSpec(name);
      const prompted = spec.iteration.nodes.filter((n) => n.uses === 'rollouts' || n.uses === 'evaluate');
      expect(prompted.length, name).toBeGreaterThanOrEqual(2);
      for (const n of prompted) expect(promptOf(n), `${name} ${n.id}`).toEqual({ preset: 'qwen25_math' });
    }
    for (const n of loadSpec('tiny').iteration.nodes) expect(promptOf(n)).toBeUndefined();
    // A node's own prompt replaces the spec's.
    const raw = applyOverrides(readSpecFile(resolveSpecPath('autocode')), {}) as {
      iteration: { nodes: { id: string; with?: Record<string, unknown> }[] };
    };
    const evalNode = raw.iteration.nodes.find((n) => n.id === 'evaluate') as {
      with?: Record<string, unknown>;
    };
    evalNode.with = { prompt: { preset: 'qwen25_math_cot' } };
    const spec = validateSpec(raw);
    expect(promptOf(spec.iteration.nodes.find((n) => n.id === 'evaluate'))).toEqual({
      preset: 'qwen25_math_cot',
    });
    expect(promptOf(spec.iteration.nodes.find((n) => n.id === 'rollouts_cot'))).toEqual({
      preset: 'qwen25_math',
    });
  });

  it('names the field of a bad prompt: an unknown preset, chat with a bootstrapped policy', () => {
    expect(
      issuesOf(applyOverrides(readSpecFile(resolveSpecPath('autocode')), { 'prompt.preset': 'qwen3' })),
    ).toEqual([
      {
        path: 'prompt.preset',
        message: expect.stringMatching(/^unknown prompt preset "qwen3"; known: raw, /),
      },
    ]);
    expect(issuesOf(applyOverrides(tiny(), { 'prompt.format': 'chat' }))).toEqual([
      {
        path: 'prompt.format',
        message: expect.stringMatching(/^chat needs a model whose tokenizer has a chat template/),
      },
    ]);
    expect(issuesOf(applyOverrides(tiny(), { 'defaults.evaluate.prompt': { preset: 'llama31' } }))).toEqual([
      { path: 'defaults.evaluate.prompt.format', message: expect.stringMatching(/^chat needs/) },
    ]);
  });

  it('refuses the adaptive budget on a rollouts node that samples one dictated mode (it would do nothing)', () => {
    const issues = issuesOf(applyOverrides(tiny(), { 'defaults.rollouts.adaptive.enabled': true }));
    expect(issues.length).toBeGreaterThan(0);
    for (const i of issues) {
      expect(i.path).toMatch(/adaptive\.enabled$/);
      expect(i.message).toMatch(/needs both dictated_cot and dictated_code/);
    }
  });

  it('names an unknown activity and lists the known ones', () => {
    const raw = applyOverrides(tiny(), {});
    (raw as { iteration: { nodes: { uses: string }[] } }).iteration.nodes[3]!.uses = 'estimat';
    expect(issuesOf(raw)).toContainEqual({
      path: 'iteration.nodes[3].uses',
      message: expect.stringMatching(/unknown activity 'estimat'; known: rollouts, estimate/),
    });
  });

  it('finds a cycle in needs and prints it', () => {
    const raw = tiny() as { iteration: { nodes: { id: string; needs?: string[] }[] } };
    raw.iteration.nodes[0]!.needs = ['evaluate'];
    const issue = issuesOf(raw).find((i) => i.message.startsWith('cycle'));
    expect(issue?.path).toBe('iteration.nodes');
    expect(issue?.message).toBe(
      'cycle in needs: rollouts_cot -> evaluate -> update -> behavior -> synthesize -> estimate -> rollouts_cot',
    );
    expect(
      findCycle([
        { id: 'a', needs: ['b'] },
        { id: 'b', needs: ['a'] },
      ]),
    ).toEqual(['a', 'b', 'a']);
    expect(
      findCycle([
        { id: 'a', needs: [] },
        { id: 'b', needs: ['a'] },
      ]),
    ).toBeUndefined();
  });

  it('reports a missing field and a wrong type with their paths', () => {
    const raw = tiny();
    delete raw.iterations;
    expect(issuesOf(raw)).toContainEqual({
      path: 'iterations',
      message: expect.stringMatching(/expected number/),
    });
    const typed = applyOverrides(tiny(), { 'defaults.estimate.alpha': 'zero' });
    expect(issuesOf(typed)).toContainEqual({
      path: 'iteration.nodes[3].with.alpha',
      message: expect.stringMatching(/expected number, received string/),
    });
    const node = tiny() as { iteration: { nodes: Record<string, unknown>[] } };
    node.iteration.nodes[0]!.with = { modes: ['dictated_cot'], temperture: 0.5 };
    expect(issuesOf(node)).toContainEqual({
      path: 'iteration.nodes[0].with',
      message: expect.stringMatching(/temperture/),
    });
  });

  it('checks needs references and producer kinds', () => {
    const raw = tiny() as { iteration: { nodes: { id: string; needs?: string[] }[] } };
    raw.iteration.nodes[6]!.needs = ['synthesise'];
    const issues = issuesOf(raw);
    expect(issues).toContainEqual({
      path: 'iteration.nodes[6].needs[0]',
      message: "unknown node 'synthesise'",
    });
    expect(issues).toContainEqual({
      path: 'iteration.nodes[6].needs',
      message: "'policy_update' needs 1..1 train producers, got 0",
    });
  });

  it('rejects an unknown benchmark when the registry is known', () => {
    const raw = readSpecFile(resolveSpecPath('autocode'));
    const issues = issuesOf(raw, { knownBenchmarks: new Set(['gsm8k', 'math500', 'math']) });
    expect(issues).toEqual([]);
    const bad = applyOverrides(raw, { 'queries.eval': [{ benchmark: 'gsm9k' }] });
    expect(issuesOf(bad, { knownBenchmarks: new Set(['gsm8k', 'math500', 'math']) })).toEqual([
      {
        path: 'queries.eval[0].benchmark',
        message: "unknown benchmark 'gsm9k'; known: gsm8k, math, math500",
      },
    ]);
  });

  it('reports YAML syntax errors with the source', () => {
    expect(() => parseSpecText('name: [unclosed', 'x.yaml')).toThrow(/x\.yaml/);
  });
});
