// The sweep's plan: run ids, the overrides each run gets, what the three specs share (one bootstrap
// cache entry, the same rollout budget per query), and which runs count as finished on disk.
import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { readSpecFile, resolveSpecPath } from '../../pipelines/load';
import { AblationSweepInput } from '../../schemas/ablation';
import { ablationPlan } from '../../services/ablation/activities';
import { planRuns, runFinished } from '../../services/ablation/plan';
import { resolveRunSpec } from '../../services/run/prepare';

const resolved = (run: Parameters<typeof resolveRunSpec>[0]) => resolveRunSpec(run);
const never = () => false;

describe('ablation plan', () => {
  it('plans one run per method and seed with deterministic ids, method by method', () => {
    const runs = planRuns(AblationSweepInput.parse({}), 'abl', never);
    expect(runs.map((r) => r.run_id)).toEqual([
      'abl-autocode-s0',
      'abl-autocode-s1',
      'abl-autocode-s2',
      'abl-no_reflective-s0',
      'abl-no_reflective-s1',
      'abl-no_reflective-s2',
      'abl-plain_rl-s0',
      'abl-plain_rl-s1',
      'abl-plain_rl-s2',
    ]);
    expect(runs.map((r) => r.spec)).toEqual([
      ...Array(3).fill('tiny'),
      ...Array(3).fill('tiny-no-reflective'),
      ...Array(3).fill('tiny-plain-rl'),
    ]);
    expect(runs[4]?.overrides).toEqual({
      iterations: 2,
      seed: 1,
      'defaults.policy_update.seed': 1,
      'defaults.evaluate.selection_labels': 4,
    });
  });

  it('gives every run the same bootstrap, queries and evaluation, and 12 rollouts per query', () => {
    const runs = planRuns(AblationSweepInput.parse({}), 'abl', never);
    const specs = runs.map(resolved);
    // The bootstrap checkpoint's key is a function of the demonstrations and `policy.bootstrap.with`
    // only (policy_sft's content key), so equal policy blocks are one cache entry for all nine runs.
    for (const s of specs) {
      expect(s.policy).toEqual(specs[0]?.policy);
      expect(s.queries).toEqual(specs[0]?.queries);
      expect(s.iterations).toBe(2);
      const evaluate = s.iteration.nodes.find((n) => n.uses === 'evaluate');
      expect(evaluate?.params).toEqual(specs[0]?.iteration.nodes.find((n) => n.uses === 'evaluate')?.params);
      expect(evaluate?.params.selection_labels).toBe(4);
      const budget = s.iteration.nodes
        .filter((n) => n.uses === 'rollouts')
        .reduce((a, n) => a + (n.params.samples as number) * (n.params.modes as string[]).length, 0);
      expect(budget, s.name).toBe(12);
    }
    expect(specs.map((s) => s.seed)).toEqual([0, 1, 2, 0, 1, 2, 0, 1, 2]);
    const update = (i: number) => specs[i]?.iteration.nodes.find((n) => n.uses === 'policy_update')?.params;
    expect([update(0)?.seed, update(1)?.seed, update(2)?.seed]).toEqual([0, 1, 2]);
    const synth = (i: number) => specs[i]?.iteration.nodes.find((n) => n.uses === 'synthesize')?.params;
    expect(synth(0)?.reflective).toBe(true);
    expect(synth(3)?.reflective).toBe(false);
    expect(synth(6)).toMatchObject({ reflective: false, replay_dictated: false, keep_other_correct: true });
    // Plain RL samples native only: its estimate has no dictated evidence.
    expect(specs[6]?.iteration.nodes.filter((n) => n.uses === 'rollouts').map((n) => n.params.modes)).toEqual(
      [['native']],
    );
  });

  it('differs from tiny.yaml only where the ablation says (so a change to tiny.yaml shows here)', () => {
    // biome-ignore lint/suspicious/noExplicitAny: parsed YAML documents, compared field by field
    const raw = (name: string): any => {
      // biome-ignore lint/suspicious/noExplicitAny: as above
      const s = structuredClone(readSpecFile(resolveSpecPath(name))) as any;
      delete s.name;
      delete s.description;
      delete s.defaults.evaluate.selection_labels; // the sweep sets it on every run
      return s;
    };
    const tiny = raw('tiny');
    const noRefl = raw('tiny-no-reflective');
    expect(noRefl.defaults.synthesize.reflective).toBe(false);
    delete noRefl.defaults.synthesize.reflective;
    expect(noRefl).toEqual(tiny);
    const plain = raw('tiny-plain-rl');
    expect({ ...plain, iteration: null }).toEqual({ ...tiny, iteration: null });
  });

  it('bootstraps once per seed when asked', () => {
    const runs = planRuns(
      AblationSweepInput.parse({ bootstrap: 'per_seed', methods: ['autocode'] }),
      'abl',
      never,
    );
    const seeds = runs
      .map(resolved)
      .map((s) => ('bootstrap' in s.policy ? s.policy.bootstrap.with.seed : null));
    expect(seeds).toEqual([0, 1, 2]);
  });

  it('counts a run finished only when it completed with the same input', () => {
    const root = mkdtempSync(join(tmpdir(), 'ablation-plan-'));
    const [run] = planRuns(AblationSweepInput.parse({ seeds: [0], methods: ['plain_rl'] }), 'abl', never);
    if (!run) throw new Error('no run planned');
    const dir = join(root, run.run_id);
    const write = (spec: unknown, report: unknown) => {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'spec.json'), JSON.stringify(spec));
      writeFileSync(join(dir, 'report.json'), JSON.stringify(report));
    };
    const input = { run_id: run.run_id, spec: run.spec, overrides: { ...run.overrides } };
    // spec.json holds the resolved spec beside the input, as prepareRun writes it.
    const spec = JSON.parse(
      JSON.stringify(resolveRunSpec({ run_id: run.run_id, spec: run.spec, overrides: run.overrides })),
    );
    const done = { iterations: [{ iteration: 0 }, { iteration: 1 }, { iteration: 2 }] };
    expect(runFinished(root, run, 2)).toBe(false); // nothing there
    write({ input, spec }, done);
    expect(runFinished(root, run, 2)).toBe(true);
    // The spec file was edited since (another lr): its resolved content differs, so not finished.
    const edited = structuredClone(spec);
    edited.defaults.policy_update.lr_later = 1e-3;
    write({ input, spec: edited }, done);
    expect(runFinished(root, run, 2)).toBe(false);
    write({ input }, done);
    expect(runFinished(root, run, 2)).toBe(false); // no resolved spec recorded
    // Overrides recorded in another key order are the same input.
    write(
      { input: { ...input, overrides: Object.fromEntries(Object.entries(run.overrides).reverse()) }, spec },
      done,
    );
    expect(runFinished(root, run, 2)).toBe(true);
    write({ input: { ...input, overrides: { ...run.overrides, seed: 5 } } }, done);
    expect(runFinished(root, run, 2)).toBe(false); // another seed
    write({ input: { ...input, spec: 'tiny' } }, done);
    expect(runFinished(root, run, 2)).toBe(false); // another spec
    write({ input, spec }, { iterations: [{ iteration: 0 }, { iteration: 1 }] });
    expect(runFinished(root, run, 2)).toBe(false); // fewer iterations
    write({ input, spec }, done);
    // Restarted after it finished (spec.json rewritten by prepareRun, report.json older): not finished.
    const past = new Date(Date.now() - 60_000);
    utimesSync(join(dir, 'report.json'), past, past);
    expect(runFinished(root, run, 2)).toBe(false);
    writeFileSync(join(dir, 'report.json'), '{half');
    expect(runFinished(root, run, 2)).toBe(false);
  });

  it('refuses bad input before anything starts, naming the field or the run', async () => {
    const failure = async (input: Parameters<typeof ablationPlan>[0]) => {
      const err = await ablationPlan(input).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ApplicationFailure);
      expect((err as ApplicationFailure).nonRetryable).toBe(true);
      return (err as ApplicationFailure).message;
    };
    expect(await failure({ id: 'x', seeds: [1, 1] })).toMatch(/seeds repeat/);
    expect(await failure({ id: 'x', methods: ['plain'] as never })).toMatch(/methods/);
    expect(await failure({ id: 'x', overrides: { seed: 3 } })).toMatch(/overrides: seed set by the sweep/);
    expect(
      await failure({ id: 'x', methods: ['no_reflective'], overrides: { 'defaults.rollouts.samples': 0 } }),
    ).toMatch(/^x-no_reflective-s0 \(pipelines\/tiny-no-reflective\.yaml .*samples/s);
  });
});
